"""The Rewind window: threads on the left, the timeline in the middle, state and diff right.

Under the timeline, the live view of a run (streamed tokens and events) and the run
panel (thread, input, Run/Stop), with the resume panel above it when the thread waits
for an answer or stopped mid-run, and a bar saying where the next run starts and which
breakpoints it stops at. The time-travel actions (fork, replay, continue from a
checkpoint, resume, diff branch tips) live in a toolbar, in the timeline's context menu
and on the keyboard; the fork editor is a non-modal dialog.

The window is presentation only. It binds its widgets to a :class:`Controller` and its
:class:`~desktop.ui.run_controller.RunController`: widget intents go to the controllers,
controller signals update the widgets. Errors arrive as a one-line message and are shown
in a non-modal message box; a failed run is reported in the status bar, the run panel
and the stream view instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QFontDatabase,
    QFontMetrics,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.input_form import MESSAGES_ONLY, input_fields_of
from desktop.core.model import thread_label
from desktop.core.pgurl import display_name
from desktop.ui.actions import TimeTravelActions
from desktop.ui.controller import Controller
from desktop.ui.controllers.explain import replay_explanation, reruns_after
from desktop.ui.controllers.quit_guard import QuitGuard
from desktop.ui.controllers.run_settings import install_run_settings
from desktop.ui.controllers.run_summary import RunTally
from desktop.ui.controllers.thread_groups import ThreadGroupsLoader
from desktop.ui.graph_label import describe_graph, short_graph_label
from desktop.ui.graph_menu import install_graph
from desktop.ui.housekeeping_menu import HousekeepingUi
from desktop.ui.later import LaterParts, SplitterSlot, put_in_slot
from desktop.ui.models.timeline_cells import SHORT_ID_CHARS
from desktop.ui.render.diff import RenderedDiff
from desktop.ui.render.state import RenderedState
from desktop.ui.run_request import (
    CONTINUE,
    FAILED,
    FINISHED,
    FORK,
    FORKED,
    INTERRUPTED,
    PAUSED,
    REPLAY,
    RESUME,
    STOPPED,
    RunRequest,
)
from desktop.ui.settings import RewindSettings
from desktop.ui.style_build import stylesheet_set_after
from desktop.ui.widgets.breakpoints import BreakpointsButton
from desktop.ui.widgets.busy import BusyIndicator
from desktop.ui.widgets.compare_picker import ComparePicker
from desktop.ui.widgets.diff_view import DiffView
from desktop.ui.widgets.elided_label import ElidedLabel
from desktop.ui.widgets.event_log import summarize
from desktop.ui.widgets.fork_editor import ForkEditor
from desktop.ui.widgets.graph_fold import GraphFold
from desktop.ui.widgets.graph_view import GraphPane
from desktop.ui.widgets.postgres_dialog import PostgresOpener
from desktop.ui.widgets.resume_panel import ResumePanel
from desktop.ui.widgets.run_panel import NO_GRAPH_HINT, RunPanel
from desktop.ui.widgets.state_view import StateView
from desktop.ui.widgets.store_view import install_store_view
from desktop.ui.widgets.thread_list import ThreadListPane
from desktop.ui.widgets.timeline_view import TimelineView

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph
    from desktop.core.history import ThreadTimeline
    from desktop.core.model import CheckpointMeta, CheckpointState
    from desktop.core.run_status import ThreadStatus
    from desktop.core.run_stream import StreamEvent
    from desktop.ui.widgets.stream_view import StreamView

DEFAULT_SIZE = QSize(1280, 800)
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")
_FILE_FILTER = "Checkpoint databases (*.db *.sqlite *.sqlite3 *.db3);;All files (*)"
HEAD_RUN_TEXT = "Next run continues from the thread's head"
RUN_NOUNS = {
    REPLAY: "Replay",
    RESUME: "Resumed run",
    CONTINUE: "Continued run",
    FORK: "Fork",
}
"""How the end of a run names what ran (a plain run, or one from a past checkpoint: "Run")."""


def checkpoint_label(meta: CheckpointMeta) -> str:
    """``step 3 · …1a2b3c4d``: a checkpoint named briefly for bars and status lines."""
    step = "?" if meta.step is None else str(meta.step)
    return f"step {step} · …{meta.checkpoint_id[-SHORT_ID_CHARS:]}"


class NextRunBar(QWidget):
    """Says where the next run starts (the head, or a pinned past checkpoint with a way back
    to the head) and holds the Breakpoints drop-down."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nextRunBar")
        self.label = ElidedLabel(HEAD_RUN_TEXT, self)
        self.label.setObjectName("nextRunLabel")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.back_button = QPushButton("Back to head", self)
        self.back_button.setObjectName("backToHead")
        self.back_button.setToolTip("Forget the chosen checkpoint: the next run continues the head")
        self.back_button.hide()
        self.breakpoints_button = BreakpointsButton(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.setSpacing(8)
        layout.addWidget(self.label)
        layout.addStretch(1)
        layout.addWidget(self.back_button)
        layout.addWidget(self.breakpoints_button)
        self.show_point(None)

    def show_point(self, meta: CheckpointMeta | None) -> None:
        """Show ``meta`` as where the next run starts (None: the head)."""
        pinned = meta is not None
        if meta is None:
            self.label.set_full_text(
                HEAD_RUN_TEXT, "Runs from the run panel continue the thread where it is"
            )
        else:
            self.label.set_full_text(
                f"Next run from {checkpoint_label(meta)}",
                f"The next run starts a new branch at checkpoint {meta.checkpoint_id}: "
                "Run with an input sends it from there, an empty input runs on from there",
            )
        self.label.setProperty("pinned", pinned)
        self.label.style().unpolish(self.label)
        self.label.style().polish(self.label)
        self.back_button.setVisible(pinned)


class MainWindow(QMainWindow):
    """Main window bound to one controller; remembers its layout in ``settings``.

    ``settings=None`` (screenshot mode) neither restores nor saves anything, and
    ``error_dialogs=False`` leaves error reporting to the caller.
    """

    closed = Signal()
    """The window was closed (the application should end)."""

    def __init__(
        self,
        controller: Controller,
        settings: RewindSettings | None = None,
        *,
        error_dialogs: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.controller = controller
        self.settings = settings
        self._error_dialogs = error_dialogs
        self._file_dialog: QFileDialog | None = None
        self.error_box: QMessageBox | None = None
        self.setAcceptDrops(True)
        self.setWindowTitle("Rewind")
        self.resize(DEFAULT_SIZE)

        self.fork_editor: ForkEditor | None = None
        self.compare_picker: ComparePicker | None = None
        self._tally: RunTally | None = None
        self._run_failure = ""
        self._run_pause = ""
        self._fork_text = ""
        self._timeline_at_bottom = False
        self.later = LaterParts(self)
        with stylesheet_set_after(self):
            self._build(controller)
        # Built styled: a toolbar keeps the margins it was laid out with unstyled.
        self._build_toolbar()
        self._splitters_restored = False
        self._update_busy()  # a database may be read already (app.start_window)
        self.set_output_folded(controller.runs.graph is None)
        if settings is not None:
            settings.restore_window(self)

    # -- layout --------------------------------------------------------------------------

    def _build(self, controller: Controller) -> None:
        """Every pane, bar and menu, bound to the controllers."""
        self.thread_pane = ThreadListPane(controller.threads_model, self)
        self.timeline_view = TimelineView(controller.timeline_model, self)
        self.state_view = StateView(self)
        self.diff_view = DiffView(self)
        self._stream_part = self.later.add(self._build_stream_view)
        self.run_panel = RunPanel(self)
        self.resume_panel = ResumePanel(self)
        self.next_run_bar = NextRunBar(self)
        self.breakpoints = self.next_run_bar.breakpoints_button.breakpoints
        self.time_travel = TimeTravelActions(self)
        self.quit_guard = QuitGuard(
            self,
            lambda: self.controller.runs.is_running,
            lambda: f"A run on {self.controller.runs.thread_id or 'a thread'}",
        )
        self.busy = BusyIndicator(self)
        self.graph_pane = GraphPane(self)
        self._build_central()
        self._build_timeline_menu()
        self._build_menus()
        self.housekeeping = HousekeepingUi(self)
        self.thread_groups = ThreadGroupsLoader(self.thread_pane, controller)
        self.store_view_part = install_store_view(self)
        self._build_status_bar()
        self._bind()
        self.graph = install_graph(self)
        self.run_settings = install_run_settings(self)

    def _build_central(self) -> None:
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
    def stream_view(self) -> StreamView:
        """The Output/Events pane (built at the first use, or once the window settled)."""
        return self._stream_part.get()

    def _build_stream_view(self) -> StreamView:
        from desktop.ui.widgets.stream_view import StreamView

        view = StreamView(self)
        put_in_slot(self.run_splitter, self._stream_slot, view)
        return view

    @property
    def splitters(self) -> dict[str, QSplitter]:
        """The splitters whose positions are remembered, by settings name."""
        return {
            "main": self.main_splitter,
            "detail": self.detail_splitter,
            "run": self.run_splitter,
            "graph": self.graph_splitter,
        }

    def _build_toolbar(self) -> None:
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

    def _build_timeline_menu(self) -> None:
        actions = self.time_travel
        self.timeline_view.add_menu_actions(
            [actions.fork, actions.replay, actions.continue_from, None, actions.resume]
        )
        self.timeline_view.menu.addSeparator()
        self.timeline_view.menu.addAction(actions.diff_branches)

    def _build_menus(self) -> None:
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

    def _build_status_bar(self) -> None:
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

    def _bind(self) -> None:
        controller = self.controller
        self.thread_pane.filter_changed.connect(controller.set_thread_filter)
        self.thread_pane.thread_chosen.connect(controller.select_thread)
        self.timeline_view.checkpoint_chosen.connect(controller.select_checkpoint)
        self.timeline_view.compare_requested.connect(controller.set_diff_base)
        self.timeline_view.compare_picker_requested.connect(self.show_compare_picker)
        self.reset_base_button.clicked.connect(lambda: controller.set_diff_base(None))
        self.state_view.show_more_requested.connect(controller.show_more)

        controller.database_opened.connect(self._database_opened)
        controller.source_note_changed.connect(self._source_note_changed)
        controller.thread_count_changed.connect(self._thread_count_changed)
        controller.thread_selected.connect(self._thread_selected)
        controller.checkpoint_selected.connect(self._checkpoint_selected)
        controller.state_ready.connect(self._state_ready)
        controller.state_cleared.connect(self.state_view.clear)
        controller.diff_ready.connect(self._diff_ready)
        controller.diff_cleared.connect(self.diff_view.clear)
        controller.diff_base_changed.connect(self._diff_base_changed)
        controller.error_occurred.connect(self._error)
        controller.notice.connect(self.show_notice)
        controller.busy_changed.connect(self._update_busy)
        controller.settled.connect(self.later.build_remaining)
        controller.timeline_grown.connect(self._update_timeline_title)
        controller.timeline_grown.connect(self._update_actions)
        controller.thread_status_changed.connect(self._thread_status_changed)
        controller.fork_ready.connect(self._open_fork_editor)
        controller.continue_point_changed.connect(self.next_run_bar.show_point)
        model = controller.timeline_model
        model.rowsAboutToBeInserted.connect(self._timeline_rows_coming)
        model.rowsInserted.connect(self._timeline_rows_inserted)

        runs = controller.runs
        self.run_panel.run_requested.connect(self._run_requested)
        self.run_panel.stop_requested.connect(runs.stop)
        self.run_panel.new_thread_button.clicked.connect(self._new_thread)
        controller.thread_emptied.connect(self._thread_emptied)
        controller.thread_deleted.connect(self._thread_deleted)
        runs.stopping.connect(self._stopping)
        runs.graph_loading.connect(self._graph_loading)
        runs.graph_changed.connect(self._graph_changed)
        runs.graph_failed.connect(self._graph_failed)
        runs.running_changed.connect(self._running_changed)
        runs.run_started.connect(self._run_started)
        runs.event_received.connect(lambda event: self.stream_view.add_event(event))
        runs.event_received.connect(self._tally_event)
        runs.node_changed.connect(self._node_changed)
        runs.run_failed.connect(self._run_failed)
        runs.run_refused.connect(self._run_refused)
        runs.interrupted.connect(self._interrupted)
        runs.run_finished.connect(self._run_finished)
        runs.forked.connect(self._forked)
        runs.fork_failed.connect(self._fork_failed)

        actions = self.time_travel
        actions.fork_requested.connect(controller.request_fork)
        actions.replay_requested.connect(self._replay_requested)
        actions.continue_requested.connect(self._continue_requested)
        actions.resume_requested.connect(self._resume_requested)
        actions.diff_branches_requested.connect(self._diff_branches_requested)
        self.timeline_view.menu_target_changed.connect(self._menu_target_changed)
        self.resume_panel.resume_requested.connect(self._resume_with_value)
        self.resume_panel.continue_requested.connect(self._continue_stopped_run)
        self.next_run_bar.back_button.clicked.connect(lambda: controller.set_continue_point(None))

    # -- controller -> widgets -----------------------------------------------------------

    def _database_opened(self, path: str) -> None:
        name = display_name(path)
        self.setWindowTitle(f"{name} — Rewind")
        self.path_label.setText(path)
        self.timeline_title.setText("No thread selected")
        self.checkpoint_label.clear()
        self.state_view.clear("Select a checkpoint to see its state")
        self.diff_view.clear("Select a checkpoint to see what it changed")
        self.diff_base_label.clear()
        self.reset_base_button.setEnabled(False)
        self.diff_base_row.hide()
        if self.settings is not None:
            self.settings.add_recent_file(path)
            self._fill_recent_menu()

    def _source_note_changed(self, short: str, note: str) -> None:
        """Say in the status bar when what is shown is a private snapshot of the file."""
        self.snapshot_label.set_full_text(short, note)
        self.snapshot_label.setVisible(bool(short))

    def _thread_count_changed(self, total: int) -> None:
        self.thread_count_label.setText(f"{total:,} thread{'s' * (total != 1)}")

    def _thread_selected(self, thread_id: str) -> None:
        self.thread_pane.select_thread(thread_id)
        self.run_panel.set_thread(thread_id)
        self._update_timeline_title(thread_id)

    def _update_timeline_title(self, thread_id: str) -> None:
        timeline = self.controller.timeline
        if timeline is None:
            return
        count = timeline.checkpoint_count
        branches = max(0, len(timeline.branch_tips()) - 1)
        parts = [thread_label(thread_id), f"{count} checkpoint{'s' * (count != 1)}"]
        if branches:
            parts.append(f"{branches} branch{'es' * (branches != 1)}")
        self.timeline_title.setText(" · ".join(parts))

    def _checkpoint_selected(self, key: tuple[str, str] | None) -> None:
        self.timeline_view.show_key(key)
        self.checkpoint_label.setText(key[1] if key else "")
        self._update_actions()

    def _state_ready(self, rendered: RenderedState) -> None:
        self.state_view.set_rendered(rendered)

    def _diff_ready(self, rendered: RenderedDiff) -> None:
        self.diff_view.set_rendered(rendered)

    def _diff_base_changed(self, text: str, chosen: bool) -> None:
        self.diff_base_label.setText(text)
        self.reset_base_button.setEnabled(chosen)
        self.diff_base_row.setVisible(chosen)

    def _error(self, message: str) -> None:
        if not self._error_dialogs:
            return
        if self.error_box is None:
            self.error_box = QMessageBox(self)
            self.error_box.setObjectName("errorBox")
            self.error_box.setIcon(QMessageBox.Icon.Warning)
            self.error_box.setWindowTitle("Rewind")
            self.error_box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.error_box.setText(message)
        self.error_box.open()

    def _update_busy(self) -> None:
        self.busy.set_busy(self.controller.is_busy or self.controller.runs.is_running)

    def _timeline_rows_coming(self, parent: QModelIndex, _first: int, _last: int) -> None:
        bar = self.timeline_view.verticalScrollBar()
        self._timeline_at_bottom = not parent.isValid() and bar.value() >= bar.maximum() - 2

    def _timeline_rows_inserted(self, parent: QModelIndex, _first: int, _last: int) -> None:
        """Keep the newest checkpoint in view while a run appends rows (like ``tail -f``)."""
        if self._timeline_at_bottom and self.controller.runs.is_running:
            self.timeline_view.scrollToBottom()
        self._timeline_at_bottom = False

    # -- runs ----------------------------------------------------------------------------

    def _graph_loading(self, named: str) -> None:
        self.run_panel.set_graph(None, f"Loading graph {named}…", f"Loading {named}")
        self.graph_status_label.set_full_text("Loading graph…", named)

    def _graph_changed(self, graph: LoadedGraph | None) -> None:
        self.next_run_bar.breakpoints_button.set_nodes(graph.node_names if graph else ())
        self._update_actions()
        self.set_output_folded(graph is None)
        self.run_panel.set_input_fields(input_fields_of(graph.graph) if graph else MESSAGES_ONLY)
        self._fit_run_area()
        if graph is None:
            self.run_panel.set_graph(None)
            self.graph_status_label.set_full_text("No graph · inspection only", NO_GRAPH_HINT)
            return
        description = describe_graph(graph)
        nodes = ", ".join(graph.node_names)
        self.run_panel.set_graph(graph.name, description, f"{description}\nNodes: {nodes}")
        self.graph_status_label.set_full_text(
            short_graph_label(graph), f"{description}\nNodes: {nodes}"
        )

    def _fit_run_area(self, keep: int = 200) -> None:
        """Give the run panel the height its input form asks for, taken from the timeline
        while that keeps ``keep`` pixels (in a short window the form scrolls instead)."""
        sizes = self.run_splitter.sizes()
        wanted = self.run_splitter.widget(2).sizeHint().height() - sizes[2]
        grow = min(wanted, sizes[0] - keep)
        if grow > 0:
            sizes[0], sizes[2] = sizes[0] - grow, sizes[2] + grow
            self.run_splitter.setSizes(sizes)

    def set_output_folded(self, folded: bool) -> None:
        """Fold the Output/Events pane away (its room goes to the timeline) or open it."""
        sizes = self.run_splitter.sizes()
        if folded and sizes[1] > 0:
            self._output_height = sizes[1]
            sizes[0], sizes[1] = sizes[0] + sizes[1], 0
        elif not folded and sizes[1] == 0:
            self._stream_part.get()  # built before it gets room: never an empty frame
            height = min(self._output_height, max(sizes[0] // 2, 1))
            sizes[0], sizes[1] = sizes[0] - height, height
        else:
            return
        self.run_splitter.setSizes(sizes)

    def _graph_failed(self, message: str) -> None:
        self.set_output_folded(True)
        self.run_panel.set_graph(
            None, "Graph failed to load · inspection only", f"{message}\n\n{NO_GRAPH_HINT}"
        )
        self.graph_status_label.set_full_text("Graph failed to load", message)

    def _run_requested(self, thread_id: str, value: Any, values: bool) -> None:
        self.controller.start_run(
            thread_id,
            value,
            values,
            interrupt_before=self.breakpoints.interrupt_before(),
            interrupt_after=self.breakpoints.interrupt_after(),
        )
        if self.controller.runs.is_running:
            self.run_panel.clear_input()

    def _running_changed(self, running: bool) -> None:
        self._thread_status_changed(self.controller.thread_status)
        self.run_panel.set_running(running)
        self.resume_panel.set_busy(running)
        self.next_run_bar.back_button.setEnabled(not running)
        self._update_actions()
        self._update_busy()

    def _new_thread(self) -> None:
        """New thread: the window shows the empty thread the run panel now names."""
        thread_id = self.run_panel.thread_id
        if thread_id and not self.controller.runs.is_running:
            self.controller.show_new_thread(thread_id)

    def _thread_deleted(self, thread_id: str) -> None:
        self.timeline_title.setText(f"{thread_label(thread_id)} · deleted by another process")
        self.checkpoint_label.clear()

    def _thread_emptied(self, thread_id: str) -> None:
        selection = self.thread_pane.list_view.selectionModel()
        selection.clearCurrentIndex()
        selection.clearSelection()
        self.timeline_title.setText(f"{thread_label(thread_id)} · new thread, no checkpoints yet")
        self.stream_view.clear()
        self.show_notice("")
        self._set_run_status("")
        self.resume_panel.show_status(None)
        self.diff_base_label.clear()
        self.reset_base_button.setEnabled(False)
        self.diff_base_row.hide()
        self._update_actions()

    def _tally_event(self, event: StreamEvent) -> None:
        if self._tally is not None:
            self._tally.add(event)

    def _run_started(self, thread_id: str) -> None:
        self._tally = RunTally()
        self.controller.threads_model.set_running_thread(thread_id)
        self._thread_status_changed(self.controller.thread_status)
        self._run_failure = ""
        self._run_pause = ""
        self._fork_text = ""
        title, status = self._describe_start(self.controller.runs.request, thread_id)
        self.stream_view.begin_run(title)
        self.stream_view.tabs.setCurrentWidget(self.stream_view.output)
        self._set_run_status(status)

    def _describe_start(self, request: RunRequest | None, thread_id: str) -> tuple[str, str]:
        """The stream view's section title and the status line for a run that starts."""
        kind = request.kind if request is not None else ""
        where = self._checkpoint_name(request)
        if kind == REPLAY:
            return f"Replay of {thread_id} from {where}", f"Replaying {thread_id} from {where}…"
        if kind == RESUME:
            return f"Resume {thread_id}", f"Resuming {thread_id}…"
        if kind == CONTINUE:
            return f"Continue {thread_id}", f"Continuing the stopped run of {thread_id}…"
        if kind == FORK:
            return f"Fork of {thread_id} from {where}", f"Forking {thread_id} from {where}…"
        if where:
            return f"Run on {thread_id} from {where}", f"Running on {thread_id} from {where}…"
        return f"Run on {thread_id}", f"Running on {thread_id}…"

    def _checkpoint_name(self, request: RunRequest | None) -> str:
        if request is None or request.checkpoint_id is None:
            return ""
        timeline = self.controller.timeline
        key = (request.checkpoint_ns, request.checkpoint_id)
        meta = timeline.by_key.get(key) if timeline is not None else None
        if meta is None:
            return f"…{request.checkpoint_id[-SHORT_ID_CHARS:]}"
        return checkpoint_label(meta)

    def _node_changed(self, nodes: str) -> None:
        if self.controller.runs.is_running:
            self._set_run_status(f"Running · {nodes}" if nodes else "Running…")

    def _stopping(self, waiting_for: str) -> None:
        """After Stop, while a synchronous node has not returned yet: say so, honestly."""
        self._set_run_status(f"Stopping: waiting for {waiting_for}", "stopped")

    def _run_failed(self, message: str, _node: str) -> None:
        self._run_failure = message

    def _run_refused(self, message: str) -> None:
        """A request the user can fix: said next to the input, and in the status bar."""
        self._run_failure = message
        self.run_panel.show_error(message)
        if not self.controller.runs.is_running:
            self._set_run_status(message, "error")

    def _interrupted(self, _thread_id: str, values: list[Any]) -> None:
        first = values[0] if values else None
        if isinstance(first, dict) and isinstance(first.get("question"), str):
            first = first["question"]
        self._run_pause = summarize(first, 120) if first is not None else ""

    def _run_finished(self, thread_id: str, outcome: str) -> None:
        self.controller.threads_model.set_running_thread(None)
        request = self.controller.runs.request
        what = RUN_NOUNS.get(request.kind, "Run") if request is not None else "Run"
        if request is not None and request.kind == FORK and self._fork_text:
            what = "Run after the fork"
        if outcome == FINISHED:
            text, tone = f"{what} finished on {thread_id}", ""
        elif outcome == INTERRUPTED:
            asked = f": {self._run_pause}" if self._run_pause else ""
            text, tone = f"Paused at an interrupt, waiting for input{asked}", "interrupt"
        elif outcome == PAUSED:
            text = "Paused at a breakpoint; Continue (Ctrl+R) runs on from here"
            tone = "interrupt"
        elif outcome == FORKED:
            text, tone = f"Forked {thread_id}: {self._fork_text}", ""
        elif outcome == STOPPED:
            text, tone = f"{what} stopped; the thread keeps every finished step", "stopped"
        else:
            assert outcome == FAILED
            text, tone = f"{what} failed: {self._run_failure or 'unknown error'}", "error"
        ran = self._tally is not None and (self._tally.steps or self._tally.tokens)
        if self._tally is not None and ran and outcome != FORKED:
            text = f"{text} ({self._tally.summary()})"
        self._tally = None
        self.stream_view.end_run(text, tone)
        self._set_run_status(text, tone)

    def _set_run_status(self, text: str, tone: str = "") -> None:
        self.run_status_label.setText(text)
        self.run_status_label.setProperty("tone", tone)
        self.run_status_label.style().unpolish(self.run_status_label)
        self.run_status_label.style().polish(self.run_status_label)

    # -- time travel ---------------------------------------------------------------------

    def _update_actions(self, _changed: object = None) -> None:
        """Enable the time-travel actions for the selection, graph, status and run."""
        self._retarget_actions(self.controller.selected_meta)

    def _retarget_actions(self, meta: CheckpointMeta | None) -> None:
        controller = self.controller
        timeline = controller.timeline
        self.time_travel.update_for(
            meta,
            controller.runs.graph is not None,
            controller.thread_status,
            branch_count=len(timeline.branch_tips()) if timeline is not None else None,
            replay_note=_replay_note(timeline, meta),
        )
        self.time_travel.set_running(controller.runs.is_running)

    def _menu_target_changed(self, key: tuple[str, str] | None) -> None:
        """While the timeline's menu is open, its actions act on the row clicked."""
        timeline = self.controller.timeline
        meta = timeline.by_key.get(key) if key is not None and timeline is not None else None
        self._retarget_actions(meta or self.controller.selected_meta)

    def _thread_status_changed(self, status: ThreadStatus | None) -> None:
        runs = self.controller.runs
        if runs.is_running and runs.thread_id == self.controller.thread_id:
            status = None  # mid-run the stored state looks stopped; it is not
        self.resume_panel.show_status(status)
        self.resume_panel.set_busy(self.controller.runs.is_running)
        self._update_actions()

    def _stream_values(self) -> bool:
        return self.run_panel.values_toggle.isChecked()

    def _replay_requested(self, meta: CheckpointMeta) -> None:
        self.controller.select_checkpoint(meta.key)
        self.controller.replay(meta, values=self._stream_values())

    def _continue_requested(self, meta: CheckpointMeta) -> None:
        self.controller.select_checkpoint(meta.key)
        self.controller.set_continue_point(meta)
        self.run_panel.set_thread(meta.thread_id)
        self.run_panel.input.setFocus()

    def _resume_requested(self, thread_id: str) -> None:
        """Ctrl+R: answer the interrupts in the resume panel, or continue a stopped run."""
        status = self.controller.thread_status
        if status is not None and status.interrupts:
            self.resume_panel.show()
            if self.resume_panel.cards:
                self.resume_panel.cards[0].value_edit.setFocus()
            return
        self._continue_stopped_run(thread_id)

    def _resume_with_value(self, thread_id: str, value: Any) -> None:
        self.controller.resume(thread_id, value, values=self._stream_values())

    def _continue_stopped_run(self, thread_id: str) -> None:
        self.controller.resume(thread_id, values=self._stream_values())

    def _diff_branches_requested(self, _thread_id: str) -> None:
        meta = self.time_travel.selection or self.controller.selected_meta
        if meta is not None:
            self.controller.diff_branch_tips(meta)

    def _open_fork_editor(
        self,
        state: CheckpointState,
        graph: LoadedGraph,
        inferred: str | None,
        live: dict[str, Any] | None,
    ) -> None:
        if self.fork_editor is None:
            self.fork_editor = ForkEditor(self)
            self.fork_editor.fork_requested.connect(self._fork_submitted)
            self.fork_editor.fork_parent_requested.connect(self.controller.request_fork)
        timeline = self.controller.timeline
        finished = timeline.finished_subgraph_parent(state.meta) if timeline else None
        self.fork_editor.edit(state, graph, inferred, live=live, finished_parent=finished)
        self.fork_editor.show()
        self.fork_editor.raise_()
        self.fork_editor.activateWindow()

    def _fork_submitted(
        self, thread_id: str, checkpoint_id: str, update: dict[str, Any], as_node: str | None
    ) -> None:
        editor = self.fork_editor
        assert editor is not None
        self.controller.fork(
            thread_id,
            checkpoint_id,
            update,
            as_node,
            editor.checkpoint_ns,
            continue_after=editor.continue_after_fork,
            values=self._stream_values(),
            interrupt_before=self.breakpoints.interrupt_before(),
            interrupt_after=self.breakpoints.interrupt_after(),
        )

    def _forked(self, _thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> None:
        request = self.controller.runs.request
        parent = self._checkpoint_name(request)
        self._fork_text = f"new checkpoint …{checkpoint_id[-SHORT_ID_CHARS:]}" + (
            f" after {parent}" if parent else ""
        )
        if self.fork_editor is not None and self.fork_editor.is_busy:
            self.fork_editor.finish()

    def _fork_failed(self, message: str) -> None:
        if self.fork_editor is not None and self.fork_editor.is_busy:
            self.fork_editor.finish(message)
        else:
            self._run_refused(message)
        self._run_failure = message

    def show_compare_picker(self) -> None:
        """ "Compare with…": pick the checkpoint the selection is diffed against."""
        selected, timeline = self.controller.selected_meta, self.controller.timeline
        if selected is None or timeline is None:
            return
        if self.compare_picker is None:
            self.compare_picker = ComparePicker(self)
            self.compare_picker.chosen.connect(self.controller.set_diff_base)
        self.compare_picker.offer(selected, timeline.by_key.values())
        self.compare_picker.show()
        self.compare_picker.raise_()
        self.compare_picker.activateWindow()

    def show_notice(self, message: str) -> None:
        """Show ``message`` in the banner above the panes; an empty message hides it."""
        self.banner.setText(message)
        self.banner.setVisible(bool(message))

    # -- files ---------------------------------------------------------------------------

    def show_open_dialog(self) -> None:
        """Ask for a database with a non-modal file dialog."""
        if self._file_dialog is None:
            opened = self.controller.path
            start = str(opened.parent) if isinstance(opened, Path) else ""
            self._file_dialog = QFileDialog(self, "Open checkpoint database", start, _FILE_FILTER)
            self._file_dialog.setObjectName("openDialog")
            self._file_dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            self._file_dialog.fileSelected.connect(self.controller.open_database)
        self._file_dialog.open()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files() if self.settings is not None else []
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.controller.open_database(p))
        if not recent:
            self.recent_menu.addAction("No recent databases").setEnabled(False)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_database(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_database(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.controller.open_database(path)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._apply_default_split()
        if self.settings is not None and not self._splitters_restored:
            self._splitters_restored = True
            if self.settings.restore_splitters(self.splitters):
                self._auto_split = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_default_split()

    def _split_chosen(self, _position: int, _index: int) -> None:
        self._auto_split = False

    def _apply_default_split(self) -> None:
        if self._auto_split and self.isVisible():
            sizes = default_split(self.main_splitter.width(), thread_pane_width(self.thread_pane))
            self.main_splitter.setSizes(sizes)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.quit_guard.allow(event):
            return
        if self.settings is not None:
            self.settings.save_window(self, self.splitters)
        super().closeEvent(event)
        self.closed.emit()


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


def _replay_note(timeline: ThreadTimeline | None, meta: CheckpointMeta | None) -> str | None:
    """``Replay from step 3 re-runs: tools, agent`` for the checkpoint ``meta``."""
    if timeline is None or meta is None:
        return None
    return replay_explanation(meta.step, reruns_after(timeline, meta))


def _dropped_database(event: QDragEnterEvent | QDropEvent) -> str | None:
    """The single local database file being dragged, if that is what it is."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    urls = [url for url in mime.urls() if url.isLocalFile()]
    if len(urls) != 1:
        return None
    path = urls[0].toLocalFile()
    return path if path.lower().endswith(DATABASE_SUFFIXES) else None
