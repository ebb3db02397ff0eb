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

The window builds its widgets and binds them; the rest is in mixins: the layout, bars and
menus (:mod:`~desktop.ui.window_layout`), what runs show (:mod:`~desktop.ui.window_runs`)
and the time-travel actions and dialogs (:mod:`~desktop.ui.window_time_travel`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QSize, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from desktop.core.model import thread_label
from desktop.core.pgurl import display_name
from desktop.ui.actions import TimeTravelActions
from desktop.ui.controller import Controller
from desktop.ui.controllers.quit_guard import QuitGuard
from desktop.ui.controllers.run_settings import install_run_settings
from desktop.ui.controllers.run_summary import RunTally
from desktop.ui.controllers.thread_groups import ThreadGroupsLoader
from desktop.ui.graph_menu import install_graph
from desktop.ui.housekeeping_menu import HousekeepingUi
from desktop.ui.later import LaterParts
from desktop.ui.render.diff import RenderedDiff
from desktop.ui.render.state import RenderedState
from desktop.ui.settings import RewindSettings
from desktop.ui.style_build import stylesheet_set_after
from desktop.ui.widgets.busy import BusyIndicator
from desktop.ui.widgets.compare_picker import ComparePicker
from desktop.ui.widgets.diff_view import DiffView
from desktop.ui.widgets.fork_editor import ForkEditor
from desktop.ui.widgets.graph_view import GraphPane
from desktop.ui.widgets.next_run_bar import NextRunBar
from desktop.ui.widgets.resume_panel import ResumePanel
from desktop.ui.widgets.run_panel import RunPanel
from desktop.ui.widgets.state_view import StateView
from desktop.ui.widgets.store_view import install_store_view
from desktop.ui.widgets.thread_list import ThreadListPane
from desktop.ui.widgets.timeline_view import TimelineView
from desktop.ui.window_layout import WindowLayout, default_split, thread_pane_width
from desktop.ui.window_runs import RunFeedback
from desktop.ui.window_time_travel import TimeTravelUi

DEFAULT_SIZE = QSize(1280, 800)
DATABASE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")
_FILE_FILTER = "Checkpoint databases (*.db *.sqlite *.sqlite3 *.db3);;All files (*)"


class MainWindow(WindowLayout, RunFeedback, TimeTravelUi, QMainWindow):
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
        self.timeline_title.set_full_text(" · ".join(parts), ident=parts[0])

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
