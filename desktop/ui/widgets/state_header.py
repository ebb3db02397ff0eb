"""The state pane's header: step, source, checkpoint id and time, who wrote it, what
runs next, and banners for interrupts, errors and a Stop.

Every part is a plain-text label (:mod:`desktop.ui.state_header` builds the strings), so
text from the database is never markup. The checkpoint id elides in the middle and the
metadata line and the banners (one line each) at their end, each with the whole text on
hover; the other lines wrap at word boundaries (a word too long for the pane is elided
in the middle, whole on hover). Nothing in it can widen the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.ui.state_header import StateHeader
from desktop.ui.widgets.elided_label import ElidedLabel, WrappedLabel, plain_label

STYLE = """
#stateStep { font-size: 15px; font-weight: 600; }
#stateSource {
    background: @canvas_inset; color: @text_neutral; font-weight: 600; padding: 0 4px;
    border-radius: 3px;
}
#stateCheckpointId, #stateWhen, #stateFacts, #stateNote { color: @text_muted; }
#stateMetadata { color: @text_disabled; }
#stateBanner { font-weight: 600; padding: 5px 6px; background: @error_bg; color: @error_text; }
#stateBanner[tone="amber"] { background: @interrupted_bg; color: @interrupted_text; }
#stateBanner[tone="grey"] { background: @canvas; color: @text_muted; }
"""
"""Rules of this widget, part of the application stylesheet (``app.apply_theme``)."""


class StateHeaderView(QWidget):
    """Shows a :class:`StateHeader`; hidden while no checkpoint is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stateHeader")
        self._header: StateHeader | None = None
        selectable = Qt.TextInteractionFlag.TextSelectableByMouse
        self.step = plain_label("", self)
        self.step.setObjectName("stateStep")
        self.source = plain_label("", self)
        self.source.setObjectName("stateSource")
        self.checkpoint_id = ElidedLabel("", self, mode=Qt.TextElideMode.ElideMiddle)
        self.checkpoint_id.setObjectName("stateCheckpointId")
        self.checkpoint_id.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        # Enough of the id to tell checkpoints apart; the time gives way first.
        self.checkpoint_id.setMinimumWidth(
            self.checkpoint_id.fontMetrics().horizontalAdvance("0" * 13)
        )
        self.when = ElidedLabel("", self)
        self.when.setObjectName("stateWhen")
        self.facts = WrappedLabel("", self, min_lines=2)
        self.facts.setObjectName("stateFacts")
        self.metadata = ElidedLabel("", self)
        self.metadata.setObjectName("stateMetadata")
        self.note = WrappedLabel("", self)
        self.note.setObjectName("stateNote")
        for label in (self.checkpoint_id, self.facts, self.metadata, self.note):
            label.setTextInteractionFlags(selectable)
        self.banners: list[ElidedLabel] = []

        first = QHBoxLayout()
        first.setSpacing(8)
        first.addWidget(self.step)
        first.addWidget(self.source)
        first.addWidget(self.checkpoint_id, 1)
        first.addWidget(self.when)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 10, 4)
        self._layout.setSpacing(2)
        self._layout.addLayout(first)
        for label in (self.facts, self.metadata, self.note):
            self._layout.addWidget(label)
        self.hide()

    @property
    def header(self) -> StateHeader | None:
        """The header shown, or None."""
        return self._header

    def text(self) -> str:
        """Everything the header says, uncut ("" when hidden)."""
        return self._header.text if self._header is not None else ""

    def labels(self) -> list[QLabel]:
        """Every label of the header, banners included."""
        return [
            self.step,
            self.source,
            self.checkpoint_id,
            self.when,
            self.facts,
            self.metadata,
            self.note,
            *self.banners,
        ]

    def set_header(self, header: StateHeader) -> None:
        """Show ``header``."""
        self._header = header
        self.step.setText(header.step)
        self.source.setText(header.source)
        self.source.setVisible(bool(header.source))
        self.checkpoint_id.set_full_text(header.checkpoint_id, f"checkpoint {header.checkpoint_id}")
        self.when.setText(header.when)
        self.facts.set_full_text(header.facts, ident=header.thread)
        self.metadata.setText(header.metadata)
        self.metadata.setVisible(bool(header.metadata))
        self.note.setText(header.note)
        self.note.setVisible(bool(header.note))
        self._clear_banners()
        for banner in header.banners:
            label = ElidedLabel(banner.text, self)
            label.setObjectName("stateBanner")
            label.setProperty("tone", banner.tone)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._layout.addWidget(label)
            self.banners.append(label)
        self.show()

    def clear(self) -> None:
        """Show nothing (and hide)."""
        self._header = None
        self._clear_banners()
        self.hide()

    def _clear_banners(self) -> None:
        for label in self.banners:
            self._layout.removeWidget(label)
            label.deleteLater()
        self.banners = []
