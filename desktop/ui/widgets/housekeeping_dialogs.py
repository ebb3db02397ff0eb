"""Confirmations for the writes of the size view and the thread list's menu.

Every dialog is opened with ``open()`` (window-modal, no nested event loop, as the
qasync seam requires) and acts through signals when the user confirms.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.housekeeping_ops import PruneJob
from desktop.ui.controllers.housekeeping import HousekeepingController


def ask_copy(parent: QWidget, thread_id: str, copy: Callable[[str, str], None]) -> QInputDialog:
    """Ask for the copy's new thread id; ``copy(thread_id, new_id)`` on OK."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("copyThreadDialog")
    dialog.setWindowTitle("Copy thread")
    dialog.setLabelText(f"Copy every checkpoint and write of {_short(thread_id)} as thread:")
    dialog.setTextValue(f"{thread_id}-copy")
    dialog.setInputMode(QInputDialog.InputMode.TextInput)
    dialog.textValueSelected.connect(lambda text: copy(thread_id, text))
    dialog.open()
    return dialog


def confirm_delete(
    parent: QWidget, thread_id: str, detail: str, housekeeping: HousekeepingController
) -> QMessageBox:
    """Ask before deleting ``thread_id``; deletes only on an explicit Delete."""
    box = QMessageBox(parent)
    box.setObjectName("deleteThreadDialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Delete thread")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Delete thread {_short(thread_id)}?")
    box.setInformativeText(
        (f"{detail}. " if detail else "")
        + "Every checkpoint and write of the thread is removed from the database "
        "(LangGraph's delete_thread). This cannot be undone."
    )
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    delete.setObjectName("confirmDelete")
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.buttonClicked.connect(
        lambda button: housekeeping.delete_thread(thread_id) if button is delete else None
    )
    box.open()
    return box


class PruneDialog(QDialog):
    """Keep the head and N-1 ancestors of one thread: shows the dry run, then applies."""

    def __init__(
        self, housekeeping: HousekeepingController, thread_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pruneDialog")
        self.setWindowTitle("Prune thread")
        self.housekeeping = housekeeping
        self.thread_id = thread_id
        self.job: PruneJob | None = None

        intro = QLabel(
            f"Keep the head of {_short(thread_id)} and its newest ancestors; older "
            "checkpoints, branches and their subgraph checkpoints and writes are removed.",
            self,
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.keep = QSpinBox(self)
        self.keep.setObjectName("pruneKeep")
        self.keep.setRange(1, 1_000_000)
        self.keep.setValue(10)
        self.plan_label = QLabel("Reading the thread…", self)
        self.plan_label.setObjectName("prunePlan")
        self.plan_label.setTextFormat(Qt.TextFormat.PlainText)
        self.plan_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.apply_button = self.buttons.addButton("Prune", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("applyPrune")
        self.apply_button.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._apply)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Checkpoints to keep", self.keep)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.plan_label)
        layout.addWidget(self.buttons)

        self.keep.valueChanged.connect(self._plan)
        housekeeping.plan_ready.connect(self._show_plan)
        housekeeping.failed.connect(self.plan_label.setText)
        self._plan()

    def _plan(self) -> None:
        self.job = None
        self.apply_button.setEnabled(False)
        self.plan_label.setText("Reading the thread…")
        self.housekeeping.plan_prune(self.thread_id, self.keep.value())

    def _show_plan(self, job: PruneJob, keep: int) -> None:
        plans = [plan for plan, _ in job.plans if plan.thread_id == self.thread_id]
        if not plans or keep != self.keep.value():
            return
        plan = plans[0]
        self.job = job
        total = len(plan.keep) + len(plan.remove)
        if plan.remove:
            self.plan_label.setText(
                f"Removes {len(plan.remove):,} of {total:,} checkpoints; keeps {len(plan.keep):,}."
            )
        else:
            self.plan_label.setText(f"Nothing to remove: all {total:,} checkpoints are kept.")
        self.apply_button.setEnabled(bool(plan.remove))

    def _apply(self) -> None:
        if self.job is not None and self.job.removed:
            self.housekeeping.apply_prune(self.job)
        self.accept()


def _short(thread_id: str, limit: int = 60) -> str:
    """A thread id for a sentence: elided in the middle when very long."""
    if len(thread_id) <= limit:
        return thread_id
    half = (limit - 1) // 2
    return f"{thread_id[:half]}…{thread_id[-half:]}"
