"""Rewind's own data folder: the demo database, and the locks of runs in progress."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "REWIND_DATA_DIR"


def data_dir() -> Path:
    """``$REWIND_DATA_DIR`` when set (tests point it at a temporary folder), else the
    user's data folder for Rewind (``platformdirs``)."""
    return Path(os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("Rewind"))
