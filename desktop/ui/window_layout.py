"""The window's panes, splitters, toolbar, menus and status bar: a mixin of
:class:`~desktop.ui.main_window.MainWindow` (placed before ``QMainWindow``) that lays out
the widgets ``MainWindow._build`` made.

The columns: threads on the left, the timeline (with the Graph pane beside it) over the
Output/Events pane and the run area in the middle, the resume panel, state and diff on
the right. Until the user drags a divider, the columns follow the window's width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontDatabase, QFontMetrics, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.later import SplitterSlot, put_in_slot
from desktop.ui.widgets.elided_label import ElidedLabel
from desktop.ui.widgets.graph_fold import GraphFold
from desktop.ui.widgets.postgres_dialog import PostgresOpener
from desktop.ui.widgets.run_panel import NO_GRAPH_HINT

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow
    from desktop.ui.widgets.stream_view import StreamView


class WindowLayout:
    """Lays out the window's widgets and builds its bars and menus."""

    def _build_central(self: MainWindow) -> None:
        self.banner = QLabel(self)
        self.banner.setObjectName("messageBanner")
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.timeline_title = ElidedLabel("No thread selected", self)
        self.timeline_title.setObjectName("timelineTitle")
        self.timeline_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        timeline_pane = QWidget(self)
        timeline_pane.setObjectName("timelinePane")
        timeline_layout = QVBoxLayout(timeline_pane)
        timeline_layout.setContentsMargins(0, 8, 0, 0)
        timeline_layout.setSpacing(6)
        self.graph_toggle = QToolButton(self)
        self.graph_toggle.setObjectName("graphToggle")
        self.graph_toggle.setText("Graph")
        title_row = QHBoxLayout()
        title_row.setContentsMargins(0, 0, 6, 0)
        title_row.addWidget(self.timeline_title, 1)
        title_row.addWidget(self.graph_toggle)
        timeline_layout.addLayout(title_row)
        timeline_layout.addWidget(self.timeline_view, 1)

        run_area = QWidget(self)
        run_area.setObjectName("runArea")
        run_layout = QVBoxLayout(run_area)
        run_layout.setContentsMargins(0, 0, 0, 0)
        run_layout.setSpacing(0)
        run_layout.addWidget(self.next_run_bar)
        run_layout.addWidget(self.run_panel)

        self.graph_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.graph_splitter.setObjectName("graphSplitter")
        self.graph_splitter.addWidget(timeline_pane)
        self.graph_splitter.addWidget(self.graph_pane)
        self.graph_splitter.setChildrenCollapsible(False)
        self.graph_splitter.setStretchFactor(0, 3)
        self.graph_splitter.setStretchFactor(1, 2)
        self.graph_splitter.setSizes([300, 240])
        self.graph_fold = GraphFold(self.graph_splitter, self.graph_pane, self.graph_toggle)

        self.run_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.run_splitter.setObjectName("runSplitter")
        self.run_splitter.addWidget(self.graph_splitter)
        # The Output/Events pane is built later (desktop/ui/later.py): this slot holds its place.
        self._stream_slot = SplitterSlot(self._stream_part, self.run_splitter, "streamSlot")
        self.run_splitter.addWidget(self._stream_slot)
        self.run_splitter.addWidget(run_area)
        self.run_splitter.setChildrenCollapsible(False)
        self.run_splitter.setStretchFactor(0, 3)
        self.run_splitter.setStretchFactor(1, 2)
        self.run_splitter.setStretchFactor(2, 0)
        self.run_splitter.setSizes([440, 190, 150])
        # The Output/Events pane folds away (drag it open) and starts folded until a
        # graph is attached: without one nothing streams and the timeline gets the room.
        self.run_splitter.setCollapsible(1, True)
        self._output_height = 190

        self.diff_base_label = ElidedLabel("", self)
        self.diff_base_label.setObjectName("diffBaseLabel")
        self.diff_base_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reset_base_button = QPushButton("Reset to parent", self)
        self.reset_base_button.setObjectName("resetDiffBase")
        self.reset_base_button.setToolTip("Compare the selected checkpoint with its parent again")
        self.reset_base_button.setEnabled(False)
        diff_pane = QWidget(self)
        diff_pane.setObjectName("diffPane")
        # Shown only while the diff is against a chosen checkpoint (the diff title says
        # "What step N changed" when it is against the parent): the room goes to the diff.
        self.diff_base_row = QWidget(self)
        self.diff_base_row.setObjectName("diffBaseRow")
        base_row = QHBoxLayout(self.diff_base_row)
        base_row.setContentsMargins(8, 6, 8, 2)
        base_row.addWidget(self.diff_base_label, 1)
        base_row.addWidget(self.reset_base_button)
        self.diff_base_row.hide()
        diff_layout = QVBoxLayout(diff_pane)
        diff_layout.setContentsMargins(0, 0, 0, 0)
        diff_layout.setSpacing(0)
        diff_layout.addWidget(self.diff_base_row)
        diff_layout.addWidget(self.diff_view, 1)

        self.detail_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.detail_splitter.setObjectName("detailSplitter")
        self.detail_splitter.addWidget(self.state_view)
        self.detail_splitter.addWidget(diff_pane)
        self.detail_splitter.setChildrenCollapsible(False)
        self.detail_splitter.setSizes([440, 360])

        detail_column = QWidget(self)
        detail_column.setObjectName("detailColumn")
        detail_layout = QVBoxLayout(detail_column)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.setSpacing(0)
        resume_holder = QHBoxLayout()
        resume_holder.setContentsMargins(8, 8, 8, 8)
        resume_holder.addWidget(self.resume_panel)
        detail_layout.addLayout(resume_holder)
        detail_layout.addWidget(self.detail_splitter, 1)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.thread_pane)
        self.main_splitter.addWidget(self.run_splitter)
        self.main_splitter.addWidget(detail_column)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setStretchFactor(2, 2)
        self.main_splitter.setSizes([thread_pane_width(self.thread_pane), 600, 420])
        # Until the user drags a divider (or a saved layout is restored), the columns
        # follow the window's width: see default_split.
        self._auto_split = True
        self.main_splitter.splitterMoved.connect(self._split_chosen)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

    @property
    def stream_view(self: MainWindow) -> StreamView:
        """The Output/Events pane (built at the first use, or once the window settled)."""
        return self._stream_part.get()

    def _build_stream_view(self: MainWindow) -> StreamView:
        from desktop.ui.widgets.stream_view import StreamView

        view = StreamView(self)
        put_in_slot(self.run_splitter, self._stream_slot, view)
        return view

    @property
    def splitters(self: MainWindow) -> dict[str, QSplitter]:
        """The splitters whose positions are remembered, by settings name."""
        return {
            "main": self.main_splitter,
            "detail": self.detail_splitter,
            "run": self.run_splitter,
            "graph": self.graph_splitter,
        }

    def _build_toolbar(self: MainWindow) -> None:
        actions = self.time_travel
        self.toolbar = QToolBar("Time travel", self)
        self.toolbar.setObjectName("timeTravelToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.toggleViewAction().setEnabled(False)
        title = QLabel("Time travel", self.toolbar)
        title.setObjectName("timeTravelTitle")
        self.toolbar.addWidget(title)
        self.toolbar.addActions([actions.fork, actions.replay, actions.continue_from])
        self.toolbar.addSeparator()
        self.toolbar.addActions([actions.resume, actions.diff_branches])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def _build_timeline_menu(self: MainWindow) -> None:
        actions = self.time_travel
        self.timeline_view.add_menu_actions(
            [actions.fork, actions.replay, actions.continue_from, None, actions.resume]
        )
        self.timeline_view.menu.addSeparator()
        self.timeline_view.menu.addAction(actions.diff_branches)

    def _build_menus(self: MainWindow) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.show_open_dialog)
        file_menu.addAction(self.open_action)
        self.postgres_opener = PostgresOpener(
            self,
            lambda: self.settings.recent_files() if self.settings is not None else [],
            self.controller.open_database,
        )
        file_menu.addAction(self.postgres_opener.action)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        # Some platforms (and the offscreen one) bind no key to Quit: Ctrl+Q then.
        quit_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcuts(quit_keys or [QKeySequence("Ctrl+Q")])
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)
        self._fill_recent_menu()
        time_menu = self.menuBar().addMenu("&Time travel")
        time_menu.setObjectName("timeTravelMenuBar")
        time_menu.setToolTipsVisible(True)
        actions = self.time_travel
        time_menu.addActions([actions.fork, actions.replay, actions.continue_from])
        time_menu.addSeparator()
        time_menu.addActions([actions.resume, actions.diff_branches])

    def _build_status_bar(self: MainWindow) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        bar.setSizeGripEnabled(False)
        self.path_label = ElidedLabel("No database open", self, mode=Qt.TextElideMode.ElideMiddle)
        self.path_label.setObjectName("statusPath")
        self.thread_count_label = QLabel(self)
        self.thread_count_label.setObjectName("statusThreads")
        self.checkpoint_label = ElidedLabel("", self, mode=Qt.TextElideMode.ElideMiddle)
        self.checkpoint_label.setObjectName("statusCheckpoint")
        self.checkpoint_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.checkpoint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_status_label = ElidedLabel("", self)
        self.run_status_label.setObjectName("runStatus")
        self.snapshot_label = ElidedLabel("", self)
        self.snapshot_label.setObjectName("statusSnapshot")
        self.snapshot_label.hide()
        self.graph_status_label = ElidedLabel(
            "No graph · inspection only", self, tooltip=NO_GRAPH_HINT
        )
        self.graph_status_label.setObjectName("statusGraph")
        bar.addWidget(self.busy)
        bar.addWidget(self.path_label, 1)
        bar.addPermanentWidget(self.snapshot_label)
        bar.addPermanentWidget(self.run_status_label)
        bar.addPermanentWidget(self.graph_status_label)
        bar.addPermanentWidget(self.checkpoint_label)
        bar.addPermanentWidget(self.thread_count_label)


THREAD_ID_SAMPLE = "demo-research-pricing"
"""A typical thread id (the demo's longest; ``demo-20261202-042653`` is shorter) that
the thread list shows whole at its default width."""


def thread_pane_width(pane: QWidget) -> int:
    """Default width of the thread list: a typical id in bold, the time beside it and the
    row's padding (the user's own width is remembered with the splitters)."""
    bold = pane.font()
    bold.setBold(True)
    return QFontMetrics(bold).horizontalAdvance(THREAD_ID_SAMPLE + "   just now") + 44


def default_split(width: int, thread_width: int) -> list[int]:
    """Thread list, run column and detail column widths for a window ``width`` wide: the
    thread list keeps its width, the detail column (state, diff, interrupt card) gets
    about two fifths of the rest, never under 340 or over 480 pixels."""
    rest = max(width - thread_width, 0)
    detail = max(340, min(rest * 2 // 5, 480))
    return [thread_width, max(rest - detail, 0), detail]
