"""The Rewind window: threads on the left, the timeline in the middle, state and diff right.

Under the timeline, the live view of a run (streamed tokens and events) and the run
panel (thread, input, Run/Stop). The window is presentation only. It binds its widgets
to a :class:`Controller` and its :class:`~desktop.ui.run_controller.RunController`:
widget intents go to the controllers, controller signals update the widgets. Errors
arrive as a one-line message and are shown in a non-modal message box; a failed run is
reported in the status bar, the run panel and the stream view instead.
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
    QKeySequence,
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
    QVBoxLayout,
    QWidget,
)

from desktop.ui.controller import Controller
from desktop.ui.render import RenderedDiff, RenderedState
from desktop.ui.run_controller import (
    FAILED,
    FINISHED,
    INTERRUPTED,
    STOPPED,
    describe_graph,
    short_graph_label,
)
from desktop.ui.settings import RewindSettings
from desktop.ui.widgets.busy import BusyIndicator
from desktop.ui.widgets.diff_view import DiffView
from desktop.ui.widgets.run_panel import NO_GRAPH_HINT, RunPanel
from desktop.ui.widgets.state_view import StateView
from desktop.ui.widgets.stream_view import StreamView, summarize
from desktop.ui.widgets.thread_list import ThreadListPane
from desktop.ui.widgets.timeline_view import TimelineView

if TYPE_CHECKING:
    from desktop.core.graphs import LoadedGraph

DEFAULT_SIZE = QSize(1280, 800)
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")
_FILE_FILTER = "Checkpoint databases (*.db *.sqlite *.sqlite3 *.db3);;All files (*)"


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

        self.thread_pane = ThreadListPane(controller.threads_model, self)
        self.timeline_view = TimelineView(controller.timeline_model, self)
        self.state_view = StateView(self)
        self.diff_view = DiffView(self)
        self.stream_view = StreamView(self)
        self.run_panel = RunPanel(self)
        self.busy = BusyIndicator(self)
        self._run_failure = ""
        self._run_pause = ""
        self._timeline_at_bottom = False
        self._build_central()
        self._build_menus()
        self._build_status_bar()
        self._bind()
        self._splitters_restored = False
        if settings is not None:
            settings.restore_window(self)

    # -- layout --------------------------------------------------------------------------

    def _build_central(self) -> None:
        self.banner = QLabel(self)
        self.banner.setObjectName("messageBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        self.timeline_title = QLabel("No thread selected", self)
        self.timeline_title.setObjectName("timelineTitle")
        self.timeline_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        timeline_pane = QWidget(self)
        timeline_pane.setObjectName("timelinePane")
        timeline_layout = QVBoxLayout(timeline_pane)
        timeline_layout.setContentsMargins(0, 8, 0, 0)
        timeline_layout.setSpacing(6)
        timeline_layout.addWidget(self.timeline_title)
        timeline_layout.addWidget(self.timeline_view, 1)

        self.run_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.run_splitter.setObjectName("runSplitter")
        self.run_splitter.addWidget(timeline_pane)
        self.run_splitter.addWidget(self.stream_view)
        self.run_splitter.addWidget(self.run_panel)
        self.run_splitter.setChildrenCollapsible(False)
        self.run_splitter.setStretchFactor(0, 3)
        self.run_splitter.setStretchFactor(1, 2)
        self.run_splitter.setStretchFactor(2, 0)
        self.run_splitter.setSizes([300, 330, 150])

        self.diff_base_label = QLabel(self)
        self.diff_base_label.setObjectName("diffBaseLabel")
        self.diff_base_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reset_base_button = QPushButton("Reset to parent", self)
        self.reset_base_button.setObjectName("resetDiffBase")
        self.reset_base_button.setToolTip("Compare the selected checkpoint with its parent again")
        self.reset_base_button.setEnabled(False)
        diff_pane = QWidget(self)
        diff_pane.setObjectName("diffPane")
        base_row = QHBoxLayout()
        base_row.setContentsMargins(8, 6, 8, 2)
        base_row.addWidget(self.diff_base_label, 1)
        base_row.addWidget(self.reset_base_button)
        diff_layout = QVBoxLayout(diff_pane)
        diff_layout.setContentsMargins(0, 0, 0, 0)
        diff_layout.setSpacing(0)
        diff_layout.addLayout(base_row)
        diff_layout.addWidget(self.diff_view, 1)

        self.detail_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.detail_splitter.setObjectName("detailSplitter")
        self.detail_splitter.addWidget(self.state_view)
        self.detail_splitter.addWidget(diff_pane)
        self.detail_splitter.setChildrenCollapsible(False)
        self.detail_splitter.setSizes([440, 360])

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.thread_pane)
        self.main_splitter.addWidget(self.run_splitter)
        self.main_splitter.addWidget(self.detail_splitter)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setStretchFactor(2, 2)
        self.main_splitter.setSizes([240, 540, 500])

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)

    @property
    def splitters(self) -> dict[str, QSplitter]:
        """The splitters whose positions are remembered, by settings name."""
        return {
            "main": self.main_splitter,
            "detail": self.detail_splitter,
            "run": self.run_splitter,
        }

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.show_open_dialog)
        file_menu.addAction(self.open_action)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)
        self._fill_recent_menu()

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        bar.setSizeGripEnabled(False)
        self.path_label = QLabel("No database open", self)
        self.path_label.setObjectName("statusPath")
        self.thread_count_label = QLabel(self)
        self.thread_count_label.setObjectName("statusThreads")
        self.checkpoint_label = QLabel(self)
        self.checkpoint_label.setObjectName("statusCheckpoint")
        self.checkpoint_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.checkpoint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_status_label = QLabel(self)
        self.run_status_label.setObjectName("runStatus")
        self.graph_status_label = QLabel("No graph · inspection only", self)
        self.graph_status_label.setObjectName("statusGraph")
        self.graph_status_label.setToolTip(NO_GRAPH_HINT)
        bar.addWidget(self.busy)
        bar.addWidget(self.path_label, 1)
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
        self.reset_base_button.clicked.connect(lambda: controller.set_diff_base(None))

        controller.database_opened.connect(self._database_opened)
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
        controller.timeline_grown.connect(self._update_timeline_title)
        model = controller.timeline_model
        model.rowsAboutToBeInserted.connect(self._timeline_rows_coming)
        model.rowsInserted.connect(self._timeline_rows_inserted)

        runs = controller.runs
        self.run_panel.run_requested.connect(self._run_requested)
        self.run_panel.stop_requested.connect(runs.stop)
        runs.graph_loading.connect(self._graph_loading)
        runs.graph_changed.connect(self._graph_changed)
        runs.graph_failed.connect(self._graph_failed)
        runs.running_changed.connect(self._running_changed)
        runs.run_started.connect(self._run_started)
        runs.event_received.connect(self.stream_view.add_event)
        runs.node_changed.connect(self._node_changed)
        runs.run_failed.connect(self._run_failed)
        runs.run_refused.connect(self._run_refused)
        runs.interrupted.connect(self._interrupted)
        runs.run_finished.connect(self._run_finished)

    # -- controller -> widgets -----------------------------------------------------------

    def _database_opened(self, path: str) -> None:
        name = Path(path).name
        self.setWindowTitle(f"{name} — Rewind")
        self.path_label.setText(path)
        self.path_label.setToolTip(path)
        self.timeline_title.setText("No thread selected")
        self.checkpoint_label.clear()
        self.state_view.clear("Select a checkpoint to see its state")
        self.diff_view.clear("Select a checkpoint to see what it changed")
        self.diff_base_label.clear()
        self.reset_base_button.setEnabled(False)
        if self.settings is not None:
            self.settings.add_recent_file(path)
            self._fill_recent_menu()

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
        parts = [thread_id, f"{count} checkpoint{'s' * (count != 1)}"]
        if branches:
            parts.append(f"{branches} branch{'es' * (branches != 1)}")
        self.timeline_title.setText(" · ".join(parts))

    def _checkpoint_selected(self, key: tuple[str, str] | None) -> None:
        self.timeline_view.show_key(key)
        self.checkpoint_label.setText(key[1] if key else "")

    def _state_ready(self, rendered: RenderedState) -> None:
        self.state_view.set_rendered(rendered)

    def _diff_ready(self, rendered: RenderedDiff) -> None:
        self.diff_view.set_rendered(rendered)

    def _diff_base_changed(self, text: str, chosen: bool) -> None:
        self.diff_base_label.setText(text)
        self.reset_base_button.setEnabled(chosen)

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
        self.graph_status_label.setText("Loading graph…")
        self.graph_status_label.setToolTip(named)

    def _graph_changed(self, graph: LoadedGraph | None) -> None:
        if graph is None:
            self.run_panel.set_graph(None)
            self.graph_status_label.setText("No graph · inspection only")
            self.graph_status_label.setToolTip(NO_GRAPH_HINT)
            return
        description = describe_graph(graph)
        nodes = ", ".join(graph.node_names)
        self.run_panel.set_graph(graph.name, description, f"{description}\nNodes: {nodes}")
        self.graph_status_label.setText(short_graph_label(graph))
        self.graph_status_label.setToolTip(f"{description}\nNodes: {nodes}")

    def _graph_failed(self, message: str) -> None:
        self.run_panel.set_graph(
            None, "Graph failed to load · inspection only", f"{message}\n\n{NO_GRAPH_HINT}"
        )
        self.graph_status_label.setText("Graph failed to load")
        self.graph_status_label.setToolTip(message)

    def _run_requested(self, thread_id: str, value: Any, values: bool) -> None:
        self.controller.start_run(thread_id, value, values)
        if self.controller.runs.is_running:
            self.run_panel.clear_input()

    def _running_changed(self, running: bool) -> None:
        self.run_panel.set_running(running)
        self._update_busy()

    def _run_started(self, thread_id: str) -> None:
        self._run_failure = ""
        self._run_pause = ""
        self.stream_view.begin_run(f"Run on {thread_id}")
        self.stream_view.tabs.setCurrentWidget(self.stream_view.output)
        self._set_run_status(f"Running on {thread_id}…")

    def _node_changed(self, nodes: str) -> None:
        if self.controller.runs.is_running:
            self._set_run_status(f"Running · {nodes}" if nodes else "Running…")

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
        if outcome == FINISHED:
            text, tone = f"Run finished on {thread_id}", ""
        elif outcome == INTERRUPTED:
            asked = f": {self._run_pause}" if self._run_pause else ""
            text, tone = f"Paused at an interrupt, waiting for input{asked}", "interrupt"
        elif outcome == STOPPED:
            text, tone = "Run stopped; the thread keeps every finished step", "stopped"
        else:
            assert outcome == FAILED
            text, tone = f"Run failed: {self._run_failure or 'unknown error'}", "error"
        self.stream_view.end_run(text, tone)
        self._set_run_status(text, tone)

    def _set_run_status(self, text: str, tone: str = "") -> None:
        self.run_status_label.setText(summarize(text, 90))
        self.run_status_label.setToolTip(text)
        self.run_status_label.setProperty("tone", tone)
        self.run_status_label.style().unpolish(self.run_status_label)
        self.run_status_label.style().polish(self.run_status_label)

    def show_notice(self, message: str) -> None:
        """Show ``message`` in the banner above the panes; an empty message hides it."""
        self.banner.setText(message)
        self.banner.setVisible(bool(message))

    # -- files ---------------------------------------------------------------------------

    def show_open_dialog(self) -> None:
        """Ask for a database with a non-modal file dialog."""
        if self._file_dialog is None:
            start = str(self.controller.path.parent) if self.controller.path else ""
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
        if self.settings is not None and not self._splitters_restored:
            self._splitters_restored = True
            self.settings.restore_splitters(self.splitters)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.settings is not None:
            self.settings.save_window(self, self.splitters)
        super().closeEvent(event)
        self.closed.emit()


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
