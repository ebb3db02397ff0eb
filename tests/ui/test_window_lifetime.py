"""A deleted window leaves no connection behind on the controller, which outlives it."""

from __future__ import annotations

from PySide6.QtCore import SIGNAL, QMetaMethod, QObject
from shiboken6 import Shiboken

from desktop.ui.controller import Controller
from desktop.ui.main_window import MainWindow
from desktop.ui.settings import RewindSettings


def connections(controller: Controller) -> dict[tuple[str, str], int]:
    """Receivers of each signal of the controller and of every object it owns."""
    counts = {}
    for obj in (controller, *controller.findChildren(QObject)):
        meta = obj.metaObject()
        for index in range(meta.methodCount()):
            method = meta.method(index)
            if method.methodType() == QMetaMethod.MethodType.Signal:
                signature = method.methodSignature().data().decode()
                key = (f"{meta.className()}@{Shiboken.getCppPointer(obj)[0]:x}", signature)
                counts[key] = obj.receivers(SIGNAL(signature))
    return counts


def test_deleted_window_leaves_no_slot_on_the_controller(
    qtbot, controller: Controller, settings: RewindSettings
) -> None:
    before = connections(controller)
    window = MainWindow(controller, settings)
    during = connections(controller)
    grown = {key for key in during if during[key] > before.get(key, 0)}
    assert {key[1] for key in grown} >= {"graph_choice_needed(QString)", "event_received(PyObject)"}
    Shiboken.delete(window)
    after = connections(controller)
    assert {key: n for key, n in after.items() if n != before.get(key, 0)} == {}
    # Nothing reaches the deleted window (a slot that did would raise).
    controller.graph_choice_needed.emit("langgraph.json")
    controller.runs.event_received.emit(None)
