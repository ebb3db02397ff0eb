"""Graph > Attach graph…: name a graph as ``file.py:attr``, ``module:attr`` or a langgraph.json.

Non-modal. A ``langgraph.json`` (or a folder holding one) with several graphs shows a
picker of its graph ids; one that cannot be read says why under the field.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import RewindError
from desktop.core.graph_config import config_graph_ids
from desktop.ui import palette

PLACEHOLDER = "path/to/agent.py:graph · package.module:graph · path/to/langgraph.json"


def config_path_of(text: str) -> Path | None:
    """The langgraph.json ``text`` names (a ``.json`` file, or a folder holding one)."""
    text = text.strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if path.suffix == ".json":
        return path
    if path.is_dir() and (path / "langgraph.json").is_file():
        return path / "langgraph.json"
    return None


class AttachGraphDialog(QDialog):
    """Asks which graph to attach; :attr:`attach_requested` carries the answer."""

    attach_requested = Signal(object, object, object)
    """``(spec or None, langgraph.json path or None, graph id or None)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachGraphDialog")
        self.setWindowTitle("Attach graph")
        self.setMinimumWidth(520)
        intro = QLabel(
            "The graph runs, replays, resumes and forks use, and the Graph pane draws. "
            "It stays with the open database.",
            self,
        )
        intro.setWordWrap(True)
        self.spec_edit = QLineEdit(self)
        self.spec_edit.setObjectName("graphSpec")
        self.spec_edit.setPlaceholderText(PLACEHOLDER)
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setObjectName("graphBrowse")
        self.browse_button.clicked.connect(self._browse)
        self.picker_label = QLabel("Graph in langgraph.json:", self)
        self.picker = QComboBox(self)
        self.picker.setObjectName("graphIdPicker")
        self.problem = QLabel(self)
        self.problem.setObjectName("attachProblem")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {palette.ERROR};")
        self.buttons = QDialogButtonBox(self)
        self.attach_button = self.buttons.addButton(
            "Attach", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.attach_button.setObjectName("attachGraphButton")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._attach)
        self.buttons.rejected.connect(self.reject)
        self.spec_edit.textChanged.connect(self._text_changed)
        self._file_dialog: QFileDialog | None = None

        row = QHBoxLayout()
        row.addWidget(self.spec_edit, 1)
        row.addWidget(self.browse_button)
        picker_row = QHBoxLayout()
        picker_row.addWidget(self.picker_label)
        picker_row.addWidget(self.picker, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addLayout(picker_row)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._text_changed("")

    def start(self, text: str = "") -> None:
        """Show the dialog (non-modal), prefilled with ``text``."""
        self.spec_edit.setText(text)
        self.open()
        self.spec_edit.setFocus()

    def _text_changed(self, text: str) -> None:
        self.problem.clear()
        self.picker.clear()
        config = config_path_of(text)
        ids: list[str] = []
        if config is not None and config.is_file():
            try:
                ids = config_graph_ids(config)
            except RewindError as error:
                self.problem.setText(str(error))
        self.picker.addItems(ids)
        several = len(ids) > 1
        self.picker.setVisible(several)
        self.picker_label.setVisible(several)
        self.attach_button.setEnabled(bool(text.strip()) and not self.problem.text())

    def _attach(self) -> None:
        text = self.spec_edit.text().strip()
        config = config_path_of(text)
        if config is not None:
            graph_id = self.picker.currentText() or None
            self.attach_requested.emit(None, str(config), graph_id)
        else:
            self.attach_requested.emit(text, None, None)
        self.accept()

    def _browse(self) -> None:
        if self._file_dialog is None:
            self._file_dialog = QFileDialog(self, "Choose a graph file or langgraph.json")
            self._file_dialog.setObjectName("graphFileDialog")
            self._file_dialog.setNameFilter("Graphs (*.py langgraph.json *.json);;All files (*)")
            self._file_dialog.fileSelected.connect(self._file_chosen)
        self._file_dialog.open()

    def _file_chosen(self, path: str) -> None:
        self.spec_edit.setText(path if path.endswith(".json") else f"{path}:graph")
        self.spec_edit.setFocus()
