"""Building the first window with the application stylesheet applied once, at the end.

With an application stylesheet set, Qt restyles a widget's whole subtree each time the
widget changes parent (``QWidgetPrivate::inheritStyle``), and a window is built
bottom-up: every pane added to a layout or a splitter moves under a new parent, so the
Rewind window took ~1,500 style changes and ~300 polishes to build, more than half of
its construction time. Built with the sheet off, then the sheet set again, each widget
is polished once, with the same result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtWidgets import QApplication, QWidget


@contextmanager
def stylesheet_set_after(window: QWidget) -> Iterator[None]:
    """Build ``window`` inside this block with the application stylesheet off.

    Only when ``window`` is the application's only top-level widget (the first window
    of a process): then turning the sheet off and on again restyles nothing else.
    Otherwise the block runs with the sheet on, as usual.
    """
    app = QApplication.instance()
    sheet = app.styleSheet() if isinstance(app, QApplication) else ""
    if not sheet or any(w is not window for w in app.topLevelWidgets()):
        yield
        return
    app.setStyleSheet("")
    try:
        yield
    finally:
        app.setStyleSheet(sheet)
