"""The left pane: a filter box over the list of threads, newest first.

Each row shows the thread id with badges for a pending interrupt or an error, and
below it the checkpoint count and when the thread was last updated (relative and
absolute). The pane only reports intents (filter text, chosen thread); loading is the
controller's job.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from desktop.core.model import thread_label
from desktop.ui import palette
from desktop.ui.models.threads import ThreadListModel
from desktop.ui.widgets.scroll_anchor import ScrollAnchor

_Index = QModelIndex | QPersistentModelIndex

_TEXT = QColor(palette.TEXT)
_MUTED = QColor(palette.TEXT_SUBTLE)
_SELECTED_BG = QColor(palette.ACCENT_BG)
_SELECTED_BAR = QColor(palette.ACCENT)
_HOVER_BG = QColor(palette.CANVAS)
_SEPARATOR = QColor(palette.CANVAS_INSET)
_BADGES = {
    "interrupted": (
        QColor(palette.INTERRUPTED_BG),
        QColor(palette.INTERRUPTED_TEXT),
        QColor(palette.INTERRUPTED_BORDER),
    ),
    "error": (QColor(palette.ERROR_BG), QColor(palette.ERROR_TEXT), QColor(palette.ERROR_BORDER)),
    "unfinished": (
        QColor(palette.ACCENT_BG),
        QColor(palette.ACCENT_TEXT),
        QColor(palette.ACCENT_BORDER),
    ),
    "running": (
        QColor(palette.SUCCESS_BG),
        QColor(palette.SUCCESS_TEXT),
        QColor(palette.SUCCESS_BORDER),
    ),
    "forked": (
        QColor(palette.SUBGRAPH_BG),
        QColor(palette.SUBGRAPH_TEXT),
        QColor(palette.SUBGRAPH_BORDER),
    ),
    "stopped": (QColor(palette.CANVAS), QColor(palette.TEXT_MUTED), QColor(palette.BORDER)),
}
MORE_BADGE = "…"
_BADGES[MORE_BADGE] = _BADGES["stopped"]
MIN_DETAIL_ROOM = 40
"""Room kept left of the badges for the checkpoint count."""
_PAD_X = 10
_PAD_Y = 7
_LINE_GAP = 3


class ThreadItemDelegate(QStyledItemDelegate):
    """Paints a thread as two lines: id and badges, then count and times."""

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        title = QFontMetrics(_title_font(option.font))
        detail = QFontMetrics(_detail_font(option.font))
        return QSize(200, title.height() + detail.height() + _LINE_GAP + 2 * _PAD_Y)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        painter.save()
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(rect, _SELECTED_BG)
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), _SELECTED_BAR)
        elif hovered:
            painter.fillRect(rect, _HOVER_BG)
        painter.setPen(QPen(_SEPARATOR))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())

        title_font = _title_font(option.font)
        detail_font = _detail_font(option.font)
        title_metrics = QFontMetrics(title_font)
        detail_metrics = QFontMetrics(detail_font)
        inner = rect.adjusted(_PAD_X + 2, _PAD_Y, -_PAD_X, -_PAD_Y)
        line_height = title_metrics.height()
        detail_top = inner.top() + line_height + _LINE_GAP
        detail_height = detail_metrics.height()

        relative = str(index.data(ThreadListModel.RelativeTimeRole) or "")
        painter.setFont(detail_font)
        painter.setPen(_MUTED)
        relative_width = detail_metrics.horizontalAdvance(relative)
        title_line = QRect(inner.left(), inner.top(), inner.width(), line_height)
        painter.drawText(
            title_line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, relative
        )
        title_rect = title_line.adjusted(0, 0, -(relative_width + 8), 0)
        thread_id = thread_label(str(index.data(ThreadListModel.ThreadIdRole) or ""))
        painter.setFont(title_font)
        painter.setPen(_TEXT)
        painter.drawText(
            title_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title_metrics.elidedText(thread_id, Qt.TextElideMode.ElideMiddle, title_rect.width()),
        )

        badges = []
        run_state = index.data(ThreadListModel.RunStateRole)
        if run_state != "running" and index.data(ThreadListModel.HasInterruptRole):
            badges.append("interrupted")
        if run_state not in ("running", "stopped") and index.data(ThreadListModel.HasErrorRole):
            badges.append("error")
        if run_state in ("unfinished", "running", "forked", "stopped"):
            badges.append(run_state)
        badge_font = _badge_font(option.font)
        badge_metrics = QFontMetrics(badge_font)
        right = inner.right()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Badges never run off the row: those that do not fit fold into a "…" badge
        # (the row's tooltip names every state).
        shown = badges_that_fit(
            [badge_metrics.horizontalAdvance(b) + 16 for b in badges],
            inner.width() - MIN_DETAIL_ROOM,
            badge_metrics.horizontalAdvance(MORE_BADGE) + 16,
        )
        if shown < len(badges):
            badges = [*badges[:shown], MORE_BADGE]
        for badge in reversed(badges):
            width = badge_metrics.horizontalAdvance(badge) + 12
            height = min(detail_height + 2, badge_metrics.height() + 4)
            badge_rect = QRect(right - width + 1, detail_top - 1, width, height)
            background, color, border = _BADGES[badge]
            painter.setPen(QPen(border))
            painter.setBrush(background)
            painter.drawRoundedRect(badge_rect, height / 2, height / 2)
            painter.setFont(badge_font)
            painter.setPen(color)
            painter.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge)
            right -= width + 4

        count = int(index.data(ThreadListModel.CheckpointCountRole) or 0)
        absolute = str(index.data(ThreadListModel.AbsoluteTimeRole) or "")
        detail = f"{count} checkpoint{'s' * (count != 1)} · {absolute}"
        detail_rect = QRect(inner.left(), detail_top, right - inner.left(), detail_height)
        painter.setFont(detail_font)
        painter.setPen(_MUTED)
        painter.drawText(
            detail_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            detail_metrics.elidedText(detail, Qt.TextElideMode.ElideRight, detail_rect.width()),
        )
        painter.restore()


def badges_that_fit(widths: list[int], room: int, more_width: int) -> int:
    """How many badges of ``widths`` (with their gaps) fit in ``room``, keeping room for a
    "…" badge of ``more_width`` when some do not."""
    if sum(widths) <= room:
        return len(widths)
    used = more_width
    for count, width in enumerate(widths):
        if used + width > room:
            return count
        used += width
    return len(widths)


def _title_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setWeight(QFont.Weight.DemiBold)
    return font


def _detail_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(7.0, base.pointSizeF() - 1))
    return font


def _badge_font(base: QFont) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(7.0, base.pointSizeF() - 1.5))
    font.setWeight(QFont.Weight.DemiBold)
    return font


class ThreadListPane(QWidget):
    """Filter box, thread count and the thread list; emits what the user asked for."""

    filter_changed = Signal(str)
    """The filter text changed (the controller debounces and re-queries)."""

    thread_chosen = Signal(str)
    """The user made this thread current (click or keyboard)."""

    grouping_changed = Signal(bool)
    """The user switched between the flat list and threads grouped by id shape."""

    def __init__(self, model: ThreadListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("threadPane")
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("threadFilter")
        self.filter_edit.setPlaceholderText("Filter: id words, key=value…")
        self.filter_edit.setToolTip(
            "Words match thread ids; key=value matches stored metadata "
            "(configurable values such as user_id=42)"
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.filter_changed)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("threadCount")

        self.list_view = QListView(self)
        self.list_view.setObjectName("threadList")
        self.list_view.setModel(model)
        self.list_view.setItemDelegate(ThreadItemDelegate(self.list_view))
        self.list_view.setUniformItemSizes(True)
        self.list_view.setMouseTracking(True)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.scroll_anchor = ScrollAnchor(self.list_view)
        model.modelReset.connect(self._update_count)
        model.rowsInserted.connect(self._update_count)
        model.rowsRemoved.connect(self._update_count)
        model.row_leaving.connect(self._row_leaving)

        self.group_button = QToolButton(self)
        self.group_button.setObjectName("groupThreads")
        self.group_button.setText("Group")
        self.group_button.setCheckable(True)
        self.group_button.setToolTip("Group threads named prefix-id-… (user → sessions)")
        self.group_button.toggled.connect(self._set_grouped)
        self.group_view = QTreeView(self)
        self.group_view.setObjectName("threadGroups")
        self.group_view.setHeaderHidden(True)
        self.group_view.setUniformRowHeights(True)
        self.group_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.group_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.group_view.hide()

        count_row = QHBoxLayout()
        count_row.setSpacing(6)
        count_row.addWidget(self.count_label, 1)
        count_row.addWidget(self.group_button)
        header = QVBoxLayout()
        header.setContentsMargins(8, 8, 8, 4)
        header.setSpacing(6)
        header.addWidget(self.filter_edit)
        header.addLayout(count_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.list_view, 1)
        layout.addWidget(self.group_view, 1)
        self._model = model
        self._update_count()

    @property
    def grouped(self) -> bool:
        """Whether threads are shown grouped by id shape instead of as a flat list."""
        return self.group_button.isChecked()

    def set_group_model(self, model: QAbstractItemModel) -> None:
        """The model of the grouped view (filled by its loader)."""
        self.group_view.setModel(model)
        self.group_view.selectionModel().currentChanged.connect(self._current_changed)

    def show_group_count(self, threads: int, groups: int) -> None:
        self.count_label.setText(f"{threads:,} threads in {groups:,} groups")

    def _set_grouped(self, grouped: bool) -> None:
        self.list_view.setVisible(not grouped)
        self.group_view.setVisible(grouped)
        if not grouped:
            self._update_count()
        self.grouping_changed.emit(grouped)

    def select_thread(self, thread_id: str) -> None:
        """Make ``thread_id`` the current row if it is loaded (no intent is emitted twice)."""
        row = self._model.row_of(thread_id)
        if row is None:
            return
        index = self._model.index(row, 0)
        if self.list_view.currentIndex() != index:
            self.list_view.setCurrentIndex(index)
        self.list_view.scrollTo(index)

    def _row_leaving(self, row: int) -> None:
        """A thread that leaves the list (deleted elsewhere) while current leaves no
        current row: Qt would make a neighbour current, opening that thread instead of
        letting the window say what happened."""
        current = self.list_view.currentIndex()
        if current.isValid() and current.row() == row:
            self.list_view.selectionModel().clear()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        thread_id = current.data(ThreadListModel.ThreadIdRole) if current.isValid() else None
        if thread_id is not None:  # "" is a thread id too
            self.thread_chosen.emit(str(thread_id))

    def _update_count(self) -> None:
        total = self._model.total
        noun = f"thread{'s' * (total != 1)}"
        if self.filter_edit.text().strip():
            noun = f"matching {noun}"
        self.count_label.setText(f"{total:,} {noun}")
