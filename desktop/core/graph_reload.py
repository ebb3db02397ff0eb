"""Load an attached graph again after its code changed (the window's Graph > Reload).

Python caches imported modules, so loading the same spec twice returns the old code.
:func:`reload_graph` forgets the modules of the user's project (files under the graph's
``project_paths``, never installed libraries nor Rewind itself) and loads the graph the
way it was first named. When the new code fails, the forgotten modules are put back,
so the old graph keeps working.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

from desktop.core.graphs import LoadedGraph, load_graph

_LIBRARY_FOLDERS = ("site-packages", "dist-packages")
_OWN_PACKAGE = __name__.partition(".")[0]
"""Rewind's own modules are never reloaded, even when the project folder holds them."""


def reload_graph(loaded: LoadedGraph) -> LoadedGraph:
    """The graph ``loaded`` names, imported afresh from its source.

    Raises :class:`~desktop.core.errors.GraphLoadError` (one line) when it cannot be
    loaded; the modules of the previous load are then restored.
    """
    forgotten = {
        name: module
        for name, module in list(sys.modules.items())
        if name.partition(".")[0] != _OWN_PACKAGE and _is_project_module(module, loaded)
    }
    for name in forgotten:
        del sys.modules[name]
    importlib.invalidate_caches()
    try:
        if loaded.config_path is not None:
            return load_graph(config_path=loaded.config_path, graph_id=loaded.graph_id)
        return load_graph(loaded.spec)
    except BaseException:
        for name, module in forgotten.items():
            sys.modules.setdefault(name, module)
        raise


def _is_project_module(module: types.ModuleType | None, loaded: LoadedGraph) -> bool:
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return False
    file = os.path.abspath(file)
    if any(folder in file.split(os.sep) for folder in _LIBRARY_FOLDERS):
        return False
    for root in loaded.project_paths:
        root_text = str(root)
        if file == root_text or file.startswith(root_text.rstrip(os.sep) + os.sep):
            return True
    return False
