"""The diff pane: what changed between the selected checkpoint and the one it is compared with.

Like the state view it only shows a document built off the UI thread by
:func:`desktop.ui.render.diff.render_diff`. The title row is plain-text labels: the title
(which names checkpoints and may hold text from the database) elides with the whole
title on hover, and each part of the summary ("1 added", "2 internal") stays whole.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.ui.render.diff import RenderedDiff
from desktop.ui.widgets.elided_label import ElidedLabel, plain_label
from desktop.ui.widgets.state_view import make_document_browser

STYLE = """
#diffHeader { background: @background; border-bottom: 1px solid @border; }
#diffTitle { font-weight: 600; }
#diffTitle[muted="true"] { font-weight: normal; color: @text_muted; }
#diffSummary { font-weight: 600; color: @text_muted; }
#diffSummary[kind="added"] { color: @success_text; }
#diffSummary[kind="removed"] { color: @error_text; }
#diffSummary[kind="changed"], #diffSummary[kind="edited"] { color: @interrupted_text; }
#diffSummary[kind="internal"] { color: @text_disabled; font-weight: normal; }
#diffSummary[kind="none"] { font-weight: normal; }
"""
"""Rules of this widget, part of the application stylesheet (``app.apply_theme``)."""


class DiffView(QWidget):
    """A title with a coloured summary ("2 added · 1 edited") above the rendered diff."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffView")
        self._rendered: RenderedDiff | None = None
        self.header = QWidget(self)
        self.header.setObjectName("diffHeader")
        self.header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.title = ElidedLabel("", self.header)
        self.title.setObjectName("diffTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary: list[QLabel] = []
        self._row = QHBoxLayout(self.header)
        self._row.setContentsMargins(10, 8, 10, 8)
        self._row.setSpacing(10)
        self._row.addWidget(self.title, 1)
        self.text = make_document_browser("diffText", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.text, 1)
        self.clear("Select a checkpoint to see what it changed")

    @property
    def rendered(self) -> RenderedDiff | None:
        """The diff on screen, or ``None`` when the view is cleared."""
        return self._rendered

    def title_text(self) -> str:
        """The title row as one line: the title, then the summary."""
        parts = [label.text() for label in self.summary]
        return "   ".join(p for p in (self.title.text(), " · ".join(parts)) if p)

    def set_rendered(self, rendered: RenderedDiff) -> None:
        """Show a rendered diff under its title and summary."""
        self._rendered = rendered
        self._set_title(rendered.title, muted=False)
        for text, kind in rendered.summary_parts:
            label = plain_label(text, self.header)
            label.setObjectName("diffSummary")
            label.setProperty("kind", kind)
            self._row.addWidget(label)
            self.summary.append(label)
        self.text.setHtml(rendered.html)

    def clear(self, message: str) -> None:
        """Show nothing but ``message`` (e.g. "Select a checkpoint", "Loading…")."""
        self._rendered = None
        self._set_title(message, muted=True)
        self.text.clear()
        self.text.setPlaceholderText(message)

    def _set_title(self, text: str, *, muted: bool) -> None:
        for label in self.summary:
            self._row.removeWidget(label)
            label.deleteLater()
        self.summary = []
        self.title.setText(text)
        self.title.setProperty("muted", muted)
        self.title.style().unpolish(self.title)
        self.title.style().polish(self.title)
