"""File > Open Postgres…: connect to a PostgresSaver database.

The form builds a ``postgresql://`` URL from host, port, database, user and options;
a URL pasted in the URL box fills the form. Recent connections are listed without
their passwords (Rewind never stores one): a password typed here is used for this
connection only; otherwise libpq takes it from ``PGPASSWORD`` or ``~/.pgpass``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.core.pgurl import build_url, is_postgres_url, redact, url_fields

PASSWORD_HINT = (
    "Passwords are never stored: type one here for this connection, or let PGPASSWORD "
    "or ~/.pgpass provide it."
)
_FIELDS = ("host", "port", "database", "user", "options")


class PostgresDialog(QDialog):
    """A connection form with recent connections; :attr:`connect_requested` carries the
    URL to open (with the password typed now, if any)."""

    connect_requested = Signal(str)

    def __init__(self, recent: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("postgresDialog")
        self.setWindowTitle("Open Postgres database")
        layout = QVBoxLayout(self)

        self.recent_list = QListWidget(self)
        self.recent_list.setObjectName("postgresRecent")
        for url in recent:
            if is_postgres_url(url):
                QListWidgetItem(redact(url), self.recent_list)
        self.recent_list.currentTextChanged.connect(self.fill_from_url)
        recent_label = QLabel("Recent connections" if recent else "No recent connections", self)
        recent_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(recent_label)
        layout.addWidget(self.recent_list)

        form = QFormLayout()
        self.url_edit = self._line("postgresUrl", "postgresql://user@host:5432/database")
        self.url_edit.editingFinished.connect(lambda: self.fill_from_url(self.url_edit.text()))
        form.addRow("URL", self.url_edit)
        self.edits: dict[str, QLineEdit] = {}
        placeholders = {
            "host": "localhost, or a socket folder such as /var/run/postgresql",
            "port": "5432",
            "database": "database name",
            "user": "user name",
            "options": "sslmode=require",
        }
        for name in _FIELDS:
            edit = self._line(f"postgres{name.title()}", placeholders[name])
            edit.textEdited.connect(self._fields_edited)
            self.edits[name] = edit
            form.addRow(name.title(), edit)
        self.password_edit = self._line("postgresPassword", "(optional)")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Password", self.password_edit)
        layout.addLayout(form)

        hint = QLabel(PASSWORD_HINT, self)
        hint.setTextFormat(Qt.TextFormat.PlainText)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("postgresError")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        layout.addWidget(self.error_label)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setObjectName("postgresOpen")
        self.buttons.accepted.connect(self._open_clicked)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def fill_from_url(self, url: str) -> None:
        """Fill the form from a URL; a password in it moves to the password box."""
        url = url.strip()
        if not is_postgres_url(url):
            return
        fields = url_fields(url)
        for name in _FIELDS:
            self.edits[name].setText(fields[name])
        password = _password_of(url)
        if password:
            self.password_edit.setText(password)
        self.url_edit.setText(redact(url))
        self.error_label.clear()

    def _fields_edited(self) -> None:
        self.url_edit.setText(self.url())

    def url(self, *, with_password: bool = False) -> str:
        """The URL the form describes (with the typed password only when asked)."""
        port = self.edits["port"].text().strip()
        return build_url(
            host=self.edits["host"].text().strip(),
            port=int(port) if port.isdigit() else None,
            database=self.edits["database"].text().strip(),
            user=self.edits["user"].text().strip(),
            password=self.password_edit.text() if with_password else "",
            options=self.edits["options"].text().strip(),
        )

    def _open_clicked(self) -> None:
        port = self.edits["port"].text().strip()
        if port and not port.isdigit():
            self.error_label.setText(f"Port must be a number, not {port!r}")
            return
        if not self.edits["database"].text().strip():
            self.error_label.setText("Name the database to open")
            return
        self.connect_requested.emit(self.url(with_password=True))
        self.accept()


def _password_of(url: str) -> str:
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    if parts.password:
        return unquote(parts.password)
    return dict(parse_qsl(parts.query)).get("password", "")


class PostgresOpener(QObject):
    """The File > Open Postgres… action: shows one :class:`PostgresDialog` at a time
    (non-modal) and opens what it asks for."""

    def __init__(
        self,
        window: QWidget,
        recent: Callable[[], list[str]],
        open_database: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._recent = recent
        self._open_database = open_database
        self.dialog: PostgresDialog | None = None
        self.action = QAction("Open &Postgres…", window)
        self.action.setObjectName("openPostgresAction")
        self.action.triggered.connect(self.show)

    def show(self) -> None:
        """Show the connection dialog with the recent Postgres connections."""
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        recent = [url for url in self._recent() if is_postgres_url(url)]
        self.dialog = PostgresDialog(recent, self._window)
        self.dialog.connect_requested.connect(self._open_database)
        self.dialog.open()
