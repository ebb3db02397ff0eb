"""Puts the Graph pane's controllers and the Graph menu into the main window.

Kept out of ``main_window.py`` so the window only makes room for the pane and calls
:func:`install_graph`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.ui.controllers.graph import GraphController
from desktop.ui.controllers.graph_attach import GraphAttachController
from desktop.ui.widgets.attach_graph import AttachGraphDialog

if TYPE_CHECKING:
    from desktop.ui.main_window import MainWindow


class GraphFeatures:
    """What :func:`install_graph` created, for the window and the tests."""

    def __init__(self, window: MainWindow) -> None:
        controller = window.controller
        options = controller.graph_options
        self.view = GraphController(
            controller, window.graph_pane, window.breakpoints, window.timeline_view, window
        )
        self.attach = GraphAttachController(
            controller,
            window.settings,
            claim_first_database=bool(options.graph or options.config),
            parent=window,
        )
        self._dialog = window.later.add(lambda: self._make_dialog(window))
        self.attach.attach_action.triggered.connect(self._open_dialog)
        self.attach.message.connect(window.show_notice)
        menu = window.menuBar().addMenu("&Graph")
        menu.setObjectName("graphMenu")
        menu.setToolTipsVisible(True)
        menu.addAction(self.attach.attach_action)
        menu.addAction(self.attach.reload_action)
        menu.addSeparator()
        menu.addAction(self.attach.detach_action)
        self.menu = menu
        window.graph_pane.install_filter_keys(window)
        controller.graph_choice_needed.connect(lambda config: self.dialog.start(config))

    @property
    def dialog(self) -> AttachGraphDialog:
        """The Attach graph dialog (built at its first use, or once the window settled)."""
        return self._dialog.get()

    def _make_dialog(self, window: MainWindow) -> AttachGraphDialog:
        dialog = AttachGraphDialog(window)
        dialog.attach_requested.connect(self.attach.attach)
        return dialog

    def _open_dialog(self) -> None:
        graph = self.attach.graph
        if graph is None:
            text = ""
        elif graph.config_path is not None:
            text = str(graph.config_path)
        else:
            text = graph.spec
        self.dialog.start(text)


def install_graph(window: MainWindow) -> GraphFeatures:
    """Bind the window's Graph pane and add the Graph menu."""
    return GraphFeatures(window)
