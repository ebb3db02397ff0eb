"""Widgets of the Rewind window, and the application stylesheet they are designed for."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop.ui.palette import fill_stylesheet

_STYLESHEET = Path("resources") / "style.qss"


def stylesheet() -> str:
    """The application's Qt stylesheet, its colours filled in from
    :mod:`desktop.ui.palette`, or ``""`` when the file is not shipped.

    Looked up inside the package (``desktop/resources/``: a checkout, an installed
    wheel) and in a PyInstaller bundle.
    """
    package = Path(__file__).resolve().parents[2]
    candidates = [package / _STYLESHEET]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / _STYLESHEET)
    for candidate in candidates:
        if candidate.is_file():
            return fill_stylesheet(candidate.read_text(encoding="utf-8"))
    return ""
