"""Loading user graphs: every spec form, langgraph.json projects, and each error message."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.memory import InMemoryStore
from typing_extensions import TypedDict

from desktop.core.errors import GraphLoadError, RewindError
from desktop.core.graphs import LoadedGraph, load_graph

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "sample_graph.py"
PROJECT = DATA / "lg_project" / "langgraph.json"


class EchoState(TypedDict):
    text: str


SAMPLE_ENV = ("REWIND_SAMPLE_GREETING", "REWIND_SAMPLE_PUNCTUATION", "REWIND_SAMPLE_KEEP")


@pytest.fixture(autouse=True)
def isolated_imports(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Loading edits sys.path, sys.modules and os.environ; undo it after each test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in SAMPLE_ENV:
        monkeypatch.delenv(name, raising=False)
    before = set(sys.modules)
    yield
    user_dirs = (str(DATA), str(tmp_path_factory.getbasetemp()))
    for name in set(sys.modules) - before:
        if str(getattr(sys.modules[name], "__file__", "")).startswith(user_dirs):
            del sys.modules[name]


def spec(attr: str) -> str:
    return f"{SAMPLE}:{attr}"


def test_compiled_graph_from_file() -> None:
    loaded = load_graph(spec("graph"))
    assert isinstance(loaded.graph, CompiledStateGraph)
    assert loaded.node_names == ("write", "review")
    assert loaded.name == "sample"
    assert loaded.spec == spec("graph")
    assert loaded.builder is None
    out = loaded.graph.invoke({"log": []}, {"configurable": {"thread_id": "t"}})
    assert out["log"] == ["write", "review:Note"]


def test_relative_file_spec_resolves_from_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA.parent)
    loaded = load_graph("data/sample_graph.py:graph")
    assert loaded.node_names == ("write", "review")


def test_bind_replaces_the_graphs_own_checkpointer() -> None:
    loaded = load_graph(spec("graph"))
    assert isinstance(loaded.graph.checkpointer, InMemorySaver)
    saver, store = InMemorySaver(), InMemoryStore()
    bound = loaded.bind(saver, store)
    assert bound.checkpointer is saver
    assert bound.store is store
    assert loaded.graph.checkpointer is not saver
    bound.invoke({"log": []}, {"configurable": {"thread_id": "t"}})
    assert saver.get_tuple({"configurable": {"thread_id": "t"}}) is not None


def test_uncompiled_builder_is_compiled_and_recompiled_on_bind() -> None:
    loaded = load_graph(spec("builder"))
    assert loaded.builder is not None
    assert loaded.node_names == ("write", "review")
    assert loaded.name == "builder"
    saver = InMemorySaver()
    bound = loaded.bind(saver)
    assert bound.checkpointer is saver
    assert bound is not loaded.graph


@pytest.mark.parametrize("attr", ["make_graph", "make_builder_async"])
def test_factories_sync_and_async(attr: str) -> None:
    loaded = load_graph(spec(attr))
    assert loaded.node_names == ("write", "review")


async def test_async_factory_while_an_event_loop_runs() -> None:
    loaded = load_graph(spec("make_builder_async"))
    assert loaded.node_names == ("write", "review")


def test_module_spec_is_imported_from_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    loaded = load_graph("sample_pkg.agent:graph")
    assert loaded.node_names == ("shout",)
    assert loaded.project_paths == (DATA / "sample_pkg",)
    assert loaded.graph.invoke({"text": "hey"}) == {"text": "HEY"}


def test_msgpack_allowlist_names_state_classes() -> None:
    loaded = load_graph(spec("graph"))
    module = loaded.graph.builder.state_schema.__module__
    assert (module, "Note") in loaded.msgpack_allowlist
    assert all(mod != "builtins" for mod, _ in loaded.msgpack_allowlist)


def test_msgpack_allowlist_adds_the_classes_of_the_users_modules(tmp_path: Path) -> None:
    project = tmp_path / "project"
    site = project / ".venv" / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    (site / "rewind_vendored.py").write_text("import enum\nclass Mode(enum.Enum):\n    FAST = 1\n")
    (project / "rewind_helpers.py").write_text(
        "import dataclasses, enum, typing\n"
        "@dataclasses.dataclass\nclass Box:\n    size: int\n"
        "class Level(enum.Enum):\n    LOW = 1\n"
        "class Pair(typing.NamedTuple):\n    a: int\n    b: int\n"
        "class Plain:\n    pass\n"
        "from pathlib import Path\n"
    )
    (project / "agent.py").write_text(
        f"import sys\nsys.path.insert(0, {str(site)!r})\n"
        "import rewind_vendored, rewind_helpers\n"
        "from typing import Any\n"
        "from pydantic import BaseModel\n"
        "from langgraph.graph import START, StateGraph\n"
        "from typing_extensions import TypedDict\n"
        "class Settings(BaseModel):\n    debug: bool = False\n"
        "class State(TypedDict):\n    extras: dict[str, Any]\n"
        "builder = StateGraph(State)\n"
        "builder.add_node('n', lambda state: state)\n"
        "builder.add_edge(START, 'n')\n"
        "graph = builder.compile()\n"
    )
    loaded = load_graph(f"{project / 'agent.py'}:graph")
    assert loaded.project_paths == (project,)
    assert loaded.msgpack_allowlist == {
        ("agent", "Settings"),
        ("rewind_helpers", "Box"),
        ("rewind_helpers", "Level"),
        ("rewind_helpers", "Pair"),
    }, "neither the project's .venv, nor installed libraries, nor plain classes"


def test_langgraph_json_factory_with_config_dependencies_and_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REWIND_SAMPLE_KEEP", "from-shell")
    loaded = load_graph(config_path=PROJECT, graph_id="greeter")
    assert loaded.name == "greeter"
    assert loaded.graph_id == "greeter"
    assert loaded.config_path == PROJECT
    assert loaded.spec == "./src/greeter.py:make_graph"
    assert loaded.project_paths == (PROJECT.parent, PROJECT.parent / "src")
    assert loaded.node_names == ("greet",)
    assert os.environ["REWIND_SAMPLE_GREETING"] == "Hello there"
    assert os.environ["REWIND_SAMPLE_PUNCTUATION"] == "!"
    assert os.environ["REWIND_SAMPLE_KEEP"] == "from-shell"
    out = loaded.graph.invoke({"name": "Ada"})
    assert out["reply"] == "Hello there, Ada!"


def test_langgraph_json_object_entry_and_project_folder() -> None:
    loaded = load_graph(config_path=PROJECT.parent, graph_id="echo")
    assert loaded.node_names == ("echo",)
    assert loaded.graph.invoke({"text": "hi"}) == {"text": "hi"}


def test_langgraph_json_single_graph_needs_no_id(tmp_path: Path) -> None:
    config = tmp_path / "langgraph.json"
    config.write_text(
        f'{{"graphs": {{"only": "{SAMPLE.as_posix()}:graph"}}, "env": {{"REWIND_SAMPLE_KEEP": 1}}}}'
    )
    loaded = load_graph(config_path=config)
    assert loaded.name == "only"
    assert os.environ["REWIND_SAMPLE_KEEP"] == "1"


def test_demo_spec() -> None:
    loaded = load_graph("demo")
    assert loaded.name == "demo"
    assert loaded.spec == "demo"
    assert loaded.node_names == ("agent", "tools", "researcher", "approve", "finalize")


def test_from_object_wraps_a_graph_in_memory() -> None:
    builder = StateGraph(EchoState)
    builder.add_node("echo", lambda state: state)
    builder.add_edge(START, "echo")
    loaded = LoadedGraph.from_object(builder.compile(), spec="tests:inline")
    assert loaded.name == "inline"
    assert loaded.node_names == ("echo",)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: load_graph(None), "No graph given: name one as package.module:attr"),
        (lambda: load_graph("graph"), "Graph spec 'graph' must look like package.module:attr"),
        (lambda: load_graph("x.py:"), "Graph spec 'x.py:' must look like"),
        (lambda: load_graph("nowhere/missing.py:graph"), "Graph file not found: "),
        (
            lambda: load_graph("rewind_no_such_module:graph"),
            "Cannot import rewind_no_such_module: ModuleNotFoundError: "
            "No module named 'rewind_no_such_module'",
        ),
        (
            lambda: load_graph(spec("grpah")),
            "has no attribute 'grpah' (graph-like names: builder, graph)",
        ),
        (
            lambda: load_graph(spec("answer")),
            ":answer is not a LangGraph graph but 'int' (expected a compiled graph, a StateGraph",
        ),
        (
            lambda: load_graph(spec("make_two")),
            "is a function taking 2 arguments; a graph factory takes none or a single",
        ),
        (
            lambda: load_graph(spec("make_broken")),
            ":make_broken failed: RuntimeError: cannot reach the vector store",
        ),
        (
            lambda: load_graph(spec("graph"), config_path=PROJECT),
            "Give either a graph spec (--graph) or a langgraph.json (--config), not both",
        ),
        (
            lambda: load_graph(spec("graph"), graph_id="x"),
            "A graph id can only be used with a langgraph.json",
        ),
        (
            lambda: load_graph(config_path=PROJECT),
            "defines several graphs; choose one with --graph-id: greeter, echo",
        ),
        (
            lambda: load_graph(config_path=PROJECT, graph_id="nope"),
            "has no graph 'nope'; its graphs are: greeter, echo",
        ),
        (
            lambda: load_graph(config_path=PROJECT.parent / "missing.json"),
            "langgraph.json not found: ",
        ),
    ],
)
def test_error_messages(call, message: str) -> None:
    with pytest.raises(GraphLoadError) as info:
        call()
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert isinstance(info.value, RewindError)


def test_import_error_inside_the_users_file(tmp_path: Path) -> None:
    user_file = tmp_path / "agent_with_typo.py"
    user_file.write_text("import rewind_missing_dependency\ngraph = None\n")
    with pytest.raises(GraphLoadError) as info:
        load_graph(f"{user_file}:graph")
    assert str(info.value) == (
        f"Cannot import {user_file}: ModuleNotFoundError: "
        "No module named 'rewind_missing_dependency'"
    )
    assert "agent_with_typo" not in sys.modules


def test_syntax_error_in_the_users_file(tmp_path: Path) -> None:
    user_file = tmp_path / "bad_syntax.py"
    user_file.write_text("def broken(:\n    pass\n")
    with pytest.raises(GraphLoadError, match=r"^Cannot import .*bad_syntax.py: SyntaxError: "):
        load_graph(f"{user_file}:graph")


def test_file_named_like_an_imported_module_gets_its_own_name(tmp_path: Path) -> None:
    user_file = tmp_path / "json.py"
    user_file.write_text(
        "from langgraph.graph import StateGraph, START\n"
        "from typing_extensions import TypedDict\n"
        "class S(TypedDict):\n    x: int\n"
        "b = StateGraph(S)\nb.add_node('n', lambda s: s)\nb.add_edge(START, 'n')\n"
        "graph = b.compile()\n"
    )
    loaded = load_graph(f"{user_file}:graph")
    assert loaded.node_names == ("n",)
    assert sys.modules["json"].__name__ == "json"
    assert hasattr(sys.modules["json"], "dumps")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"graphs": ', "is not valid JSON: Expecting value (line 1, column 12)"),
        ("[1, 2]", "must contain a JSON object"),
        ('{"graphs": {}}', 'has no "graphs" mapping of graph ids to specs'),
        ('{"graphs": {"g": 3}}', "graph 'g' must be a \"path/to/file.py:attr\" string"),
        ('{"graphs": {"g": "./g.py:graph"}, "env": 5}', '"env" must be a path to a .env file'),
        ('{"graphs": {"g": "./g.py:graph"}, "dependencies": "."}', '"dependencies" must be a list'),
        ('{"graphs": {"g": "./g.py:graph"}}', "Graph file not found: "),
    ],
)
def test_bad_langgraph_json(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "langgraph.json"
    config.write_text(content)
    with pytest.raises(GraphLoadError) as info:
        load_graph(config_path=config)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
