"""The Run settings dialog: a run's ``configurable`` and ``context`` (JSON objects), its
step limit (LangGraph's ``recursion_limit``) and durability.

Both JSON boxes are checked as they are typed, the mistake shown under the box (bad
JSON with its line and column, a value that is not an object, a key Rewind sets itself,
a context the graph's ``context_schema`` cannot be built from); Save is enabled only
when everything is acceptable. The dialog only edits a
:class:`~desktop.core.run_settings.RunSettings`; who uses and remembers it is the
caller's business (:mod:`desktop.ui.controllers.run_settings`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import RewindError
from desktop.core.run_settings import RunSettings, check_configurable, check_object
from desktop.ui.widgets.json_editor import JsonEditor

DEFAULT_RECURSION_LIMIT = 25
"""LangGraph's own default step limit: the spin box's value when none is set."""
MAX_RECURSION_LIMIT = 1_000_000
DURABILITY_CHOICES = (
    ("LangGraph's default (async)", None),
    ("sync: save each step before the next", "sync"),
    ("async: save while the next step runs", "async"),
    ("exit: save once, when the run ends", "exit"),
)
CONFIGURABLE_HINT = (
    'Merged into the run\'s config["configurable"], e.g. {"user_id": "42"}; string, number '
    "and boolean values are also saved in each checkpoint's metadata. The thread id stays "
    "Rewind's."
)
NO_CONTEXT_SCHEMA = "This graph declares no context_schema; nodes get this object as is."


def _check_configurable(value: Any) -> None:
    check_object(value, "Configurable")
    check_configurable(value, "Configurable")


class RunSettingsDialog(QDialog):
    """Edit one graph's run settings; :meth:`settings` is the result once accepted."""

    def __init__(
        self,
        settings: RunSettings,
        *,
        graph_name: str,
        context_hint: str = NO_CONTEXT_SCHEMA,
        context_problem: Callable[[Any], str | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runSettingsDialog")
        self.setWindowTitle(f"Run settings · {graph_name}")
        self._context_problem = context_problem

        intro = QLabel(
            f"Used by every Run, Replay, Continue, Resume and fork-continue of {graph_name}, "
            "and remembered for this graph.",
            self,
        )
        intro.setObjectName("runSettingsIntro")
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)

        self.configurable = JsonEditor(self, optional=True, check=_check_configurable)
        self.configurable.setObjectName("configurableEditor")
        self.configurable.edit.setPlaceholderText('{"user_id": "42"}')
        self.context = JsonEditor(self, optional=True, check=self._check_context)
        self.context.setObjectName("contextEditor")
        self.context.edit.setPlaceholderText("{}")
        for editor in (self.configurable, self.context):
            lines = editor.edit.fontMetrics().lineSpacing()
            editor.edit.setFixedHeight(lines * 4 + 14)
            editor.valid_changed.connect(self._refresh)

        self.limit_spin = QSpinBox(self)
        self.limit_spin.setObjectName("recursionLimit")
        self.limit_spin.setRange(1, MAX_RECURSION_LIMIT)
        self.limit_spin.setToolTip(
            "A run, replay or resume stops after this many steps "
            f"(LangGraph's default is {DEFAULT_RECURSION_LIMIT}; --recursion-limit headless)"
        )
        self.durability = QComboBox(self)
        self.durability.setObjectName("durabilityChoice")
        self.durability.setToolTip("When LangGraph saves checkpoints (--durability headless)")
        for label, mode in DURABILITY_CHOICES:
            self.durability.addItem(label, mode)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Configurable", self.configurable)
        form.addRow("", _hint(CONFIGURABLE_HINT, self))
        form.addRow("Context", self.context)
        self.context_hint = _hint(context_hint, self)
        self.context_hint.setObjectName("contextHint")
        form.addRow("", self.context_hint)
        form.addRow("Step limit", self.limit_spin)
        form.addRow("Durability", self.durability)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.defaults_button = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.defaults_button.clicked.connect(lambda: self.show_settings(RunSettings()))

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.show_settings(settings)
        self.resize(560, self.sizeHint().height())

    def show_settings(self, settings: RunSettings) -> None:
        """Fill the fields from ``settings``."""
        if settings.configurable:
            self.configurable.set_value(dict(settings.configurable))
        else:
            self.configurable.set_text("")
        if settings.context is not None:
            self.context.set_value(dict(settings.context))
        else:
            self.context.set_text("")
        self.limit_spin.setValue(settings.recursion_limit or DEFAULT_RECURSION_LIMIT)
        self.durability.setCurrentIndex(max(0, self.durability.findData(settings.durability)))
        self._refresh()

    def settings(self) -> RunSettings:
        """What the fields say (call when :attr:`save_button` is enabled)."""
        limit = self.limit_spin.value()
        return RunSettings(
            configurable=self.configurable.value() or {},
            context=self.context.value(),
            recursion_limit=None if limit == DEFAULT_RECURSION_LIMIT else limit,
            durability=self.durability.currentData(),
        )

    def accept(self) -> None:
        if self.save_button.isEnabled():
            super().accept()

    def _check_context(self, value: Any) -> None:
        check_object(value, "Context")
        problem = self._context_problem(value) if self._context_problem else None
        if problem:
            raise RewindError(f"Context {problem}")

    def _refresh(self, _valid: bool = True) -> None:
        self.save_button.setEnabled(self.configurable.is_valid and self.context.is_valid)


def _hint(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setProperty("role", "hint")
    return label
