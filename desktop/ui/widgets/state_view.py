"""The state pane: one checkpoint's values, messages and pending writes, with find.

The view only shows documents that :func:`desktop.ui.render.state.render_state` built in a
worker thread; it never decodes or formats state itself, so selecting a big checkpoint
costs the UI thread one ``setHtml`` per tab. Big containers arrive cut to their first
items (``bounded.py``); their "show more" links ask for the same checkpoint with a
larger limit (:attr:`StateView.show_more_requested`), keeping the scroll position.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFontDatabase,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyle,
    QTabWidget,
    QTextBrowser,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ui import palette
from desktop.ui.bounded import MORE_LINK, next_limit
from desktop.ui.render.markup import BREAK_HINT, document_css
from desktop.ui.render.state import RenderedState
from desktop.ui.widgets.state_header import StateHeaderView

WRITES_TAB = "Writes"
WRITES_TIP = "pending writes, what the tasks of the next step saved (interrupts, errors)."
MESSAGES_TIP = "the messages in the state, readably."
MAX_FIND_MATCHES = 2000
"""Matches highlighted at most; more are counted as "2000+"."""

_MATCH_COLOR = QColor(palette.MATCH_BG)
_CURRENT_MATCH_COLOR = QColor(palette.CURRENT_MATCH_BG)


def fixed_font_family() -> str:
    """The platform's monospace family, for code in rendered documents."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()


class DocumentBrowser(QTextBrowser):
    """A text browser whose copies leave out the invisible line-break hints (zero-width
    spaces) that let long ids wrap at their hyphens."""

    def createMimeDataFromSelection(self) -> QMimeData:
        data = QMimeData()
        data.setText(self.textCursor().selection().toPlainText().replace(BREAK_HINT, ""))
        return data


def make_document_browser(object_name: str, parent: QWidget | None = None) -> QTextBrowser:
    """A read-only browser for rendered HTML: in-page anchors work, nothing external opens."""
    browser = DocumentBrowser(parent)
    browser.setObjectName(object_name)
    browser.setOpenExternalLinks(False)
    browser.setOpenLinks(False)
    browser.anchorClicked.connect(lambda url: _follow_in_page(browser, url))
    browser.document().setDefaultStyleSheet(document_css(fixed_font_family()))
    browser.document().setDocumentMargin(10)
    # A short window squeezes documents to a couple of scrollable lines, not less.
    browser.setMinimumHeight(browser.fontMetrics().lineSpacing() * 2 + 16)
    return browser


def _follow_in_page(browser: QTextBrowser, url: QUrl) -> None:
    """In-page anchors scroll; nothing is ever loaded (other links are the owner's)."""
    if not url.scheme() and url.hasFragment():
        browser.scrollToAnchor(url.fragment())


class StateView(QWidget):
    """Tabs "State", "Messages" and "Writes" (pending writes) for the selected checkpoint.

    Ctrl+F opens a find bar that highlights every match in the current tab (Enter and
    Shift+Enter step through them, Escape closes it). "Copy JSON" puts the whole
    checkpoint on the clipboard.
    """

    show_more_requested = Signal(int)
    """A "show more" link was clicked: render the checkpoint again with this item limit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stateView")
        self._rendered: RenderedState | None = None
        self._matches: list[QTextCursor] = []
        self._current = -1

        self.header = StateHeaderView(self)

        self.state_text = make_document_browser("stateText", self)
        self.messages_text = make_document_browser("messagesText", self)
        self.writes_text = make_document_browser("pendingWritesView", self)
        for browser in (self.state_text, self.messages_text, self.writes_text):
            browser.anchorClicked.connect(self._link_clicked)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("stateTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setDrawBase(False)
        self.tabs.addTab(self.state_text, "State")
        self.tabs.addTab(self.messages_text, "Messages")
        self.tabs.addTab(self.writes_text, WRITES_TAB)
        self.tabs.setTabToolTip(0, "The checkpoint's channel values")
        self.tabs.setTabToolTip(1, f"Messages: {MESSAGES_TIP}")
        # Tabs that do not fit end in "…" (the tab's tooltip says what it holds).
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.tabs.setUsesScrollButtons(False)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.copy_button = QToolButton(self)
        self.copy_button.setObjectName("copyJson")
        self.copy_action = QAction("Copy JSON", self)
        self.copy_action.setToolTip("Copy the whole checkpoint as JSON (Ctrl+Shift+C)")
        self.copy_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_json)
        self.copy_button.setDefaultAction(self.copy_action)
        self.copy_action.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton)
        )
        # An icon beside the tabs (its tooltip names it), so the tabs keep their room.
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addAction(self.copy_action)
        self.tabs.setCornerWidget(self.copy_button, Qt.Corner.TopRightCorner)
        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.setInterval(1500)
        self._copied.timeout.connect(lambda: self._say_copied(False))

        self.find_bar = self._build_find_bar()
        self.find_action = QAction("Find", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.find_action.triggered.connect(self.open_find)
        self.addAction(self.find_action)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.find_bar)
        layout.addWidget(self.tabs, 1)
        self.clear("Select a checkpoint to see its state")

    def _build_find_bar(self) -> QWidget:
        bar = QWidget(self)
        bar.setObjectName("stateFindBar")
        self.find_edit = QLineEdit(bar)
        self.find_edit.setObjectName("stateFind")
        self.find_edit.setPlaceholderText("Find in this tab…")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.textChanged.connect(self._search)
        self.find_edit.installEventFilter(self)
        self.find_count = QLabel(bar)
        self.find_count.setObjectName("stateFindCount")
        previous = QToolButton(bar)
        previous.setText("▲")
        previous.setToolTip("Previous match (Shift+Enter)")
        previous.clicked.connect(lambda: self._step(-1))
        following = QToolButton(bar)
        following.setText("▼")
        following.setToolTip("Next match (Enter)")
        following.clicked.connect(lambda: self._step(1))
        close = QToolButton(bar)
        close.setObjectName("stateFindClose")
        close.setText("✕")
        close.setToolTip("Close (Escape)")
        close.clicked.connect(self.close_find)
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 4, 6, 4)
        row.setSpacing(4)
        self.find_edit.setMaximumWidth(420)
        row.addWidget(self.find_edit, 1)
        row.addWidget(previous)
        row.addWidget(following)
        row.addWidget(self.find_count)
        row.addStretch()
        row.addWidget(close)
        bar.hide()
        return bar

    # -- content -----------------------------------------------------------------------

    @property
    def rendered(self) -> RenderedState | None:
        """The checkpoint on screen, or ``None`` when the view is cleared."""
        return self._rendered

    def set_rendered(self, rendered: RenderedState) -> None:
        """Show a rendered checkpoint, keeping the current tab and any find text."""
        previous, self._rendered = self._rendered, rendered
        same = previous is not None and previous.state.meta.key == rendered.state.meta.key
        self.header.set_header(rendered.header)
        for browser, document in (
            (self.state_text, rendered.values_html),
            (self.messages_text, rendered.messages_html),
            (self.writes_text, rendered.writes_html),
        ):
            position = browser.verticalScrollBar().value()
            browser.setHtml(document)
            if same:
                browser.verticalScrollBar().setValue(position)
        messages = f"Messages ({rendered.message_count})"
        writes = f"{WRITES_TAB} ({rendered.write_count})"
        self.tabs.setTabText(1, messages)
        self.tabs.setTabText(2, writes)
        # A tab elided in a narrow pane still says its whole title on hover.
        self.tabs.setTabToolTip(1, f"{messages}: {MESSAGES_TIP}")
        flagged = rendered.has_interrupt or rendered.has_error
        icon = QStyle.StandardPixmap.SP_MessageBoxWarning
        self.tabs.setTabIcon(2, self.style().standardIcon(icon) if flagged else QIcon())
        flag = _writes_tooltip(rendered)
        self.tabs.setTabToolTip(2, f"{writes}: {WRITES_TIP}" + (f" {flag}" if flag else ""))
        self.copy_action.setEnabled(True)
        self._search()

    def clear(self, message: str) -> None:
        """Show nothing but ``message`` (e.g. "Select a checkpoint", "Loading…")."""
        self._rendered = None
        self.header.clear()
        for browser in (self.state_text, self.messages_text, self.writes_text):
            browser.clear()
            browser.setPlaceholderText(message)
        self.tabs.setTabText(1, "Messages")
        self.tabs.setTabToolTip(1, f"Messages: {MESSAGES_TIP}")
        self.tabs.setTabText(2, WRITES_TAB)
        self.tabs.setTabIcon(2, QIcon())
        self.tabs.setTabToolTip(2, f"{WRITES_TAB}: {WRITES_TIP}")
        self.copy_action.setEnabled(False)
        self._search()

    def _link_clicked(self, url: QUrl) -> None:
        if url.toString() == MORE_LINK and self._rendered is not None:
            self.show_more_requested.emit(next_limit(self._rendered.limit))

    def copy_json(self) -> None:
        """Put the whole checkpoint (values, metadata, pending writes) on the clipboard."""
        if self._rendered is None:
            return
        QGuiApplication.clipboard().setText(self._rendered.json_text)
        self._say_copied(True)
        self._copied.start()

    def _say_copied(self, copied: bool) -> None:
        """The button's tooltip says "Copied" for a moment after a copy."""
        self.copy_action.setText("Copied" if copied else "Copy JSON")
        tip = "Copied" if copied else "Copy the whole checkpoint as JSON (Ctrl+Shift+C)"
        self.copy_action.setToolTip(tip)

    # -- find --------------------------------------------------------------------------

    def open_find(self) -> None:
        """Show the find bar with its text selected, searching the current tab."""
        self.find_bar.show()
        self.find_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_edit.selectAll()
        self._search()

    def close_find(self) -> None:
        """Hide the find bar and remove the highlights."""
        self.find_bar.hide()
        self._search()
        self.tabs.currentWidget().setFocus()

    def match_count(self) -> int:
        """How many matches are highlighted in the current tab."""
        return len(self._matches)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.find_edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                self._step(-1 if shift else 1)
                return True
            if key == Qt.Key.Key_Escape:
                self.close_find()
                return True
        return super().eventFilter(watched, event)

    def _tab_changed(self, _index: int) -> None:
        for browser in (self.state_text, self.messages_text, self.writes_text):
            browser.setExtraSelections([])
        self._search()

    def _search(self) -> None:
        browser = self.tabs.currentWidget()
        text = self.find_edit.text() if self.find_bar.isVisible() else ""
        self._matches = []
        self._current = -1
        if text:
            document = browser.document()
            cursor = QTextCursor(document)
            while len(self._matches) < MAX_FIND_MATCHES:
                cursor = document.find(text, cursor)
                if cursor.isNull():
                    break
                self._matches.append(cursor)
            if self._matches:
                self._current = 0
        self._show_matches(browser)

    def _step(self, delta: int) -> None:
        if not self._matches:
            return
        self._current = (self._current + delta) % len(self._matches)
        self._show_matches(self.tabs.currentWidget())

    def _show_matches(self, browser: QTextBrowser) -> None:
        selections = []
        for index, match in enumerate(self._matches):
            selection = QTextEdit.ExtraSelection()
            selection.cursor = match
            highlight = QTextCharFormat()
            highlight.setBackground(
                _CURRENT_MATCH_COLOR if index == self._current else _MATCH_COLOR
            )
            selection.format = highlight
            selections.append(selection)
        browser.setExtraSelections(selections)
        if self._current >= 0:
            cursor = QTextCursor(self._matches[self._current])
            cursor.clearSelection()
            browser.setTextCursor(cursor)
            browser.ensureCursorVisible()
        self.find_count.setText(self._count_text())

    def _count_text(self) -> str:
        if not self.find_edit.text():
            return ""
        if not self._matches:
            return "No matches"
        total = len(self._matches)
        more = "+" if total >= MAX_FIND_MATCHES else ""
        return f"{self._current + 1} of {total}{more}"


def _writes_tooltip(rendered: RenderedState) -> str:
    if rendered.has_error:
        return "A task failed: its error is among the pending writes"
    if rendered.has_interrupt:
        return "The run is interrupted: it waits for input"
    return ""
