"""The diff pane: what changed between the selected checkpoint and the one it is compared with.

Like the state view it only shows a document built off the UI thread by
:func:`desktop.ui.render.render_diff`.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from desktop.ui.render import RenderedDiff
from desktop.ui.widgets.state_view import label_html, make_document_browser


class DiffView(QWidget):
    """A title with a coloured summary ("2 added · 1 edited") above the rendered diff."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diffView")
        self._rendered: RenderedDiff | None = None
        self.title = QLabel(self)
        self.title.setObjectName("diffTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text = make_document_browser("diffText", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        self.clear("Select a checkpoint to see what it changed")

    @property
    def rendered(self) -> RenderedDiff | None:
        """The diff on screen, or ``None`` when the view is cleared."""
        return self._rendered

    def set_rendered(self, rendered: RenderedDiff) -> None:
        """Show a rendered diff under its title and summary."""
        self._rendered = rendered
        self.title.setText(
            label_html(f"<b>{escape(rendered.title)}</b>&nbsp;&nbsp;&nbsp;{rendered.summary_html}")
        )
        self.text.setHtml(rendered.html)

    def clear(self, message: str) -> None:
        """Show nothing but ``message`` (e.g. "Select a checkpoint", "Loading…")."""
        self._rendered = None
        self.title.setText(label_html(f'<span style="color:#57606a;">{escape(message)}</span>'))
        self.text.clear()
        self.text.setPlaceholderText(message)
