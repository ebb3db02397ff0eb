"""A one-line plain-text label that never widens its window: long text is elided with
``…`` to the width it is given, and the full text is its tooltip.

Text from a database (thread ids, node names, metadata) goes in these labels: it is
always shown as plain text (``Qt.PlainText``), never interpreted as markup, and at most
:data:`MAX_SHOWN_CHARS` of it is ever laid out, so a 2,000-character id costs nothing.

The text is fitted to the room QLabel really paints in: the contents rect (which holds a
stylesheet's padding) with no indent. QLabel indents its text by half an "x" whenever it
has a frame, and a stylesheet's padding counts as one, so a padded label would paint its
last characters past its edge (the "…" cut to ".."). The text is fitted again whenever
the font or padding changes (a stylesheet rule making the label bold, a property restyle),
not only on resize.

An id inside a longer text (``ident``: the thread id of "t-1 · 12 checkpoints") is what
gives way first, in the middle, so the words around it stay whole; in a wrapping label it
is fitted to the first line, which Qt would otherwise break at the id's hyphens.
"""

from __future__ import annotations

import re
from html import escape

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from desktop.ui.bounded import cut_middle

MAX_SHOWN_CHARS = 400
"""Longer text is cut (in the middle) before Qt measures it; the tooltip keeps it all,
up to :data:`MAX_TOOLTIP_CHARS`."""
MAX_TOOLTIP_CHARS = 4000
_WORD = re.compile(r"\S+")
_REFIT_EVENTS = (
    QEvent.Type.FontChange,
    QEvent.Type.StyleChange,
    QEvent.Type.ContentsRectChange,
)
"""Events after which the text no longer fits the way it was measured."""
MIN_IDENT_SAMPLE = "abc…xyz"
"""Less room than this for an id, and the whole text is elided instead."""


def fit_text(
    metrics: QFontMetrics,
    text: str,
    room: int,
    mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ident: str = "",
) -> str:
    """``text`` as it fits ``room`` pixels: itself when it fits; else, when it holds
    ``ident``, that id elided in the middle and the rest whole; else (or when the rest
    leaves the id too little room) the whole text elided with ``mode``."""
    if metrics.horizontalAdvance(text) <= room:
        return text
    start = text.find(ident) if ident else -1
    if start >= 0:
        before, after = text[:start], text[start + len(ident) :]
        id_room = room - metrics.horizontalAdvance(before + after)
        if id_room >= metrics.horizontalAdvance(MIN_IDENT_SAMPLE):
            middle = metrics.elidedText(ident, Qt.TextElideMode.ElideMiddle, id_room)
            shown = before + middle + after
            if metrics.horizontalAdvance(shown) <= room:
                return shown
    return metrics.elidedText(text, mode, max(room, 0))


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that shows it verbatim: Qt guesses whether a tooltip is rich
    text, so database text is escaped and wrapped (a thread id ``<img ...>`` stays text)."""
    if not text:
        return ""
    body = escape(cut_middle(text, MAX_TOOLTIP_CHARS)).replace("\n", "<br>")
    return f"<p style='white-space:pre-wrap'>{body}</p>"


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A ``QLabel`` that shows ``text`` as plain text whatever it looks like."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    return label


class ElidedLabel(QLabel):
    """Plain-text, single-line label eliding to its width (``mode``: where the ``…`` goes).

    :meth:`full_text` is the text as set; :meth:`is_elided` says whether all of it shows.
    The minimum width is small, so layouts shrink it instead of growing the window; the
    size hint asks for the whole text (capped), so it shows in full where there is room.
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        tooltip: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._mode = mode
        self._full = ""
        self._ident = ""
        self._extra_tooltip: str | None = None
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        self.setIndent(0)  # the text starts where it is measured from (see module doc)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.set_full_text(text, tooltip)

    def set_full_text(self, text: str, tooltip: str | None = None, *, ident: str = "") -> None:
        """Show ``text`` (elided as needed); ``tooltip`` replaces the default full text;
        ``ident`` (an id in ``text``) is elided first, in the middle (see :func:`fit_text`)."""
        self._full = text
        self._ident = ident
        self._extra_tooltip = tooltip
        self.updateGeometry()
        self._refresh()

    def setText(self, text: str) -> None:
        """Like :meth:`set_full_text` with the default tooltip (keeps QLabel's API)."""
        self.set_full_text(text)

    def text(self) -> str:
        """The whole text, as given (:meth:`shown_text` is what fits)."""
        return self._full

    def full_text(self) -> str:
        """The whole text, as given."""
        return self._full

    def shown_text(self) -> str:
        """The text on screen, elided to the label's width."""
        return super().text()

    def is_elided(self) -> bool:
        """Whether the label shows less than its whole text."""
        return super().text() != self._full

    def clear(self) -> None:
        """Show nothing."""
        self.set_full_text("")

    def set_elide_mode(self, mode: Qt.TextElideMode) -> None:
        """Where the ``…`` goes (e.g. the middle for ids)."""
        self._mode = mode
        self._refresh()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        shown = cut_middle(self._full, MAX_SHOWN_CHARS)
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(shown) + margins.left() + margins.right()
        return QSize(width + 2 * self.margin() + 2, hint.height())

    def minimumSizeHint(self) -> QSize:
        height = super().minimumSizeHint().height()
        return QSize(self.fontMetrics().horizontalAdvance("…") * 3, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refresh()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in _REFIT_EVENTS:
            self.updateGeometry()
            self._refresh()

    def _refresh(self) -> None:
        shown = cut_middle(self._full, MAX_SHOWN_CHARS)
        margins = self.contentsMargins()
        room = self.width() - margins.left() - margins.right() - 2 * self.margin()
        shown = fit_text(self.fontMetrics(), shown, room, self._mode, self._ident)
        super().setText(shown)
        tip = self._extra_tooltip
        elided = shown != self._full
        if tip is None:
            tip = self._full if elided else ""
        elif elided and self._full not in tip:
            tip = f"{self._full}\n{tip}"
        self.setToolTip(plain_tooltip(tip))


class WrappedLabel(QLabel):
    """Plain-text label that wraps at word boundaries; a word too long for its width (an
    id, a JSON token) is elided in the middle instead of being cut, and the full text is
    then the tooltip. Its minimum width is small: it never widens the window."""

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, min_lines: int = 1
    ) -> None:
        super().__init__(parent)
        self._min_lines = min_lines
        self._full = ""
        self._ident = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setIndent(0)
        self.setText(text)

    def setText(self, text: str) -> None:
        self.set_full_text(text)

    def set_full_text(self, text: str, *, ident: str = "") -> None:
        """Show ``text``; ``ident`` (an id on its first line, e.g. after "thread ") stays
        on that line, elided in the middle when the line up to it is too long."""
        self._full = cut_middle(text, MAX_TOOLTIP_CHARS)
        self._ident = ident
        self.updateGeometry()
        self._refresh()

    def text(self) -> str:
        """The whole text, as given."""
        return self._full

    def shown_text(self) -> str:
        """The text on screen (long words elided to the label's width)."""
        return super().text()

    def is_elided(self) -> bool:
        """Whether a word had to be shortened."""
        return super().text() != self._full

    def minimumSizeHint(self) -> QSize:
        # Narrow, and as tall as its text at the width it has up to ``min_lines`` lines:
        # a squeezed layout keeps that much (the window's minimum stays predictable).
        hint = super().minimumSizeHint()
        narrow = self.fontMetrics().horizontalAdvance("…") * 6
        lines = self.fontMetrics().lineSpacing() * self._min_lines
        height = min(self.heightForWidth(max(self.width(), narrow)), lines)
        return QSize(min(hint.width(), narrow), max(hint.height(), height))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._refresh()
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in _REFIT_EVENTS:
            self._refresh()

    def _refresh(self) -> None:
        margins = self.contentsMargins()
        room = max(self.width() - margins.left() - margins.right() - 2 * self.margin() - 2, 8)
        metrics = self.fontMetrics()

        def fit(match: re.Match[str]) -> str:
            word = match.group(0)
            if metrics.horizontalAdvance(word) <= room:
                return word
            return metrics.elidedText(word, Qt.TextElideMode.ElideMiddle, room)

        head, rest = "", self._full
        start = self._full.find(self._ident) if self._ident else -1
        end = start + len(self._ident)
        if start >= 0 and "\n" not in self._full[:end]:
            # The first line up to the id's end fits: Qt breaks after the id, not in it.
            mode = Qt.TextElideMode.ElideMiddle
            head = fit_text(metrics, self._full[:end], room, mode, self._ident)
            rest = self._full[end:]
        shown = head + _WORD.sub(fit, rest)
        if shown != super().text():
            super().setText(shown)
        self.setToolTip(plain_tooltip(self._full) if shown != self._full else "")
