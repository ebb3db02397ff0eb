"""The thread and timeline models over real databases, checked by Qt's model testers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from desktop.core.history import build_timeline
from desktop.core.sources.sqlite import SqliteCheckpointSource
from desktop.ui.models.threads import PAGE_SIZE, ThreadListModel, absolute_time, relative_time
from desktop.ui.models.timeline import TimelineModel
from desktop.ui.models.timeline_tree import PAGE_SIZE as TIMELINE_PAGE
from desktop.ui.widgets.timeline_view import TimelineView
from tests.builders import (
    AgentDb,
    BigThreadDb,
    FanoutDb,
    ForkDb,
    ManyThreadsDb,
    build_big_thread_db,
)


@pytest.fixture(scope="module")
def long_thread_db(tmp_path_factory: pytest.TempPathFactory) -> BigThreadDb:
    """One thread of 1,200 small checkpoints."""
    path = tmp_path_factory.mktemp("long") / "long.sqlite"
    return build_big_thread_db(path, checkpoints=1200, total_mb=1)


@pytest.fixture
def testers(qtmodeltester):
    """Attach pytest-qt's model tester; it re-checks the model on every change it signals.

    The Python tester is used because it fails the test on the spot (Qt's C++ tester only
    logs warnings). It calls ``fetchMore`` while checking, so paging is asserted first.
    """

    def check(model) -> None:
        qtmodeltester.check(model, force_py=True)

    return check


def all_rows(model: TimelineModel, parent: QModelIndex | None = None) -> list[QModelIndex]:
    """Every row currently in the model, depth first."""
    parent = parent or QModelIndex()
    rows = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        rows.append(index)
        rows.extend(all_rows(model, index))
    return rows


# -- threads ---------------------------------------------------------------------------


def test_thread_model_roles_follow_the_summaries(qapp, testers, agent_db: AgentDb) -> None:
    with SqliteCheckpointSource(agent_db.path) as source:
        summaries = source.list_threads()
    model = ThreadListModel()
    testers(model)
    model.reset(summaries, len(summaries))
    assert model.rowCount() == 2
    for row, summary in enumerate(summaries):
        index = model.index(row, 0)
        assert index.data() == summary.thread_id
        assert index.data(ThreadListModel.ThreadIdRole) == summary.thread_id
        assert index.data(ThreadListModel.CheckpointCountRole) == summary.checkpoints
        assert model.data(index, ThreadListModel.UpdatedAtRole) == summary.updated_at
        assert index.data(ThreadListModel.HasInterruptRole) is False
        assert index.data(ThreadListModel.HasErrorRole) is False
        # The session database may have been written minutes before this test runs.
        shown = index.data(ThreadListModel.RelativeTimeRole)
        assert shown == relative_time(summary.updated_at) or shown.endswith("min ago")
        assert str(summary.checkpoints) in index.data(Qt.ItemDataRole.ToolTipRole)
    names = {bytes(v).decode() for v in model.roleNames().values()}
    assert {"threadId", "checkpointCount", "updatedAt", "hasInterrupt", "hasError"} <= names
    assert model.row_of("agent-math") is not None
    assert not model.canFetchMore(QModelIndex())


def test_thread_model_pages_and_drops_stale_pages(
    qapp, testers, many_threads_db: ManyThreadsDb
) -> None:
    source = SqliteCheckpointSource(many_threads_db.path)
    try:
        model = ThreadListModel()
        requests: list[tuple[int, int]] = []
        model.fetch_requested.connect(
            lambda generation, offset: requests.append((generation, offset))
        )
        generation = model.reset(source.list_threads(limit=PAGE_SIZE), source.count_threads())
        assert model.rowCount() == PAGE_SIZE and model.total == 10_000
        assert model.canFetchMore(QModelIndex())

        model.fetchMore(QModelIndex())
        assert requests == [(generation, PAGE_SIZE)]
        assert not model.canFetchMore(QModelIndex()), "one page in flight at a time"
        model.append_page(generation, source.list_threads(offset=PAGE_SIZE, limit=PAGE_SIZE))
        assert model.rowCount() == 2 * PAGE_SIZE
        assert model.index(2 * PAGE_SIZE - 1, 0).data() == many_threads_db.thread_ids[-400]

        testers(model)
        model.append_page(generation, source.list_threads(offset=2 * PAGE_SIZE, limit=PAGE_SIZE))
        assert model.rowCount() == 3 * PAGE_SIZE
        model.fetchMore(QModelIndex())
        late_page = source.list_threads(offset=3 * PAGE_SIZE, limit=PAGE_SIZE)
        filtered = model.reset(
            source.list_threads("thread-00999"), source.count_threads("thread-00999")
        )
        model.append_page(generation, late_page)
        assert filtered != generation
        assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["thread-00999"]
        assert not model.canFetchMore(QModelIndex())
    finally:
        source.close()


def test_relative_time_reads_like_a_person_would_say_it() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert relative_time(now - timedelta(seconds=10), now) == "just now"
    assert relative_time(now - timedelta(minutes=5), now) == "5 min ago"
    assert relative_time(now - timedelta(hours=3), now) == "3 h ago"
    assert relative_time(now - timedelta(days=2), now) == "2 d ago"
    assert relative_time(None, now) == "unknown time"


def test_absolute_time_is_as_short_as_stays_unambiguous() -> None:
    now = datetime.now(UTC).astimezone()
    earlier_today = now.replace(hour=0, minute=0, second=1)
    assert absolute_time(earlier_today, now) == "00:00:01"
    last_year = now.replace(year=now.year - 1, month=3, day=2)
    assert absolute_time(last_year, now) == f"{now.year - 1}-03-02"
    assert absolute_time(None, now) == "—"


# -- timeline --------------------------------------------------------------------------


def test_timeline_model_shows_branches_and_the_head(qapp, testers, fork_db: ForkDb) -> None:
    with SqliteCheckpointSource(fork_db.path) as source:
        timeline = build_timeline(fork_db.thread_id, source.history(fork_db.thread_id))
    model = TimelineModel()
    testers(model)
    model.set_timeline(timeline)
    rows = all_rows(model)
    checkpoints = [i for i in rows if i.data(TimelineModel.KindRole) == "checkpoint"]
    assert len(checkpoints) == timeline.checkpoint_count
    assert len([i for i in rows if i.data(TimelineModel.KindRole) == "branch"]) == 4
    heads = [i for i in checkpoints if i.data(TimelineModel.IsHeadRole)]
    assert [i.data(TimelineModel.CheckpointIdRole) for i in heads] == [timeline.head.checkpoint_id]
    head = heads[0]
    assert head.data(TimelineModel.OnHeadLineRole) is True
    assert head.data(Qt.ItemDataRole.FontRole).bold()
    assert head.siblingAtColumn(3).data() == timeline.head.checkpoint_id[-8:]
    fork = next(
        i for i in checkpoints if i.data(TimelineModel.CheckpointIdRole) == fork_db.fork_ids[0]
    )
    assert fork.data(TimelineModel.OnHeadLineRole) is False
    assert fork.data(TimelineModel.SourceRole) == "update"
    assert fork.siblingAtColumn(0).data() == f"step {fork.data(TimelineModel.StepRole)} · update"
    assert fork.parent().data(TimelineModel.KindRole) == "branch"
    assert fork.parent().data().startswith("branch (fork) after step")
    assert fork.parent().data(Qt.ItemDataRole.FontRole).italic()
    assert not fork.parent().flags() & Qt.ItemFlag.ItemIsSelectable
    assert model.index_for_key(("", fork_db.fork_ids[0])) == fork
    assert model.key_at(fork) == ("", fork_db.fork_ids[0])
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Nodes"


def test_timeline_model_groups_subgraph_checkpoints(qapp, testers, fanout_db: FanoutDb) -> None:
    with SqliteCheckpointSource(fanout_db.path) as source:
        timeline = build_timeline(fanout_db.thread_id, source.history(fanout_db.thread_id))
    model = TimelineModel()
    testers(model)
    model.set_timeline(timeline)
    groups = [i for i in all_rows(model) if i.data(TimelineModel.KindRole) == "subgraph"]
    assert len(groups) == len(fanout_db.subgraph_namespaces)
    for group in groups:
        assert group.parent().data(TimelineModel.WritersRole) == ["plan"]
        inner = [model.index(r, 0, group) for r in range(model.rowCount(group))]
        namespaces = {i.data(TimelineModel.NamespaceRole) for i in inner}
        assert len(namespaces) == 1 and namespaces <= set(fanout_db.subgraph_namespaces)
        assert group.data().endswith(f"{len(inner)} checkpoints")


def test_long_timeline_is_paged(qapp, testers, long_thread_db: BigThreadDb) -> None:
    with SqliteCheckpointSource(long_thread_db.path) as source:
        timeline = build_timeline(
            long_thread_db.thread_id, source.history(long_thread_db.thread_id)
        )
    model = TimelineModel()
    model.set_timeline(timeline)
    assert model.rowCount() == TIMELINE_PAGE
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * TIMELINE_PAGE
    ids = [model.index(r, 0).data(TimelineModel.CheckpointIdRole) for r in range(model.rowCount())]
    assert ids == list(long_thread_db.checkpoint_ids[: 2 * TIMELINE_PAGE])
    testers(model)
    # Selecting the head reveals every page up to it.
    head = model.head_index()
    assert head.row() == 1199 and model.rowCount() == 1200
    assert not model.canFetchMore(QModelIndex())


def test_append_checkpoints_inserts_rows_and_keeps_the_selection(
    qtbot, testers, agent_db: AgentDb
) -> None:
    thread = agent_db.multi_turn_thread
    with SqliteCheckpointSource(agent_db.path) as source:
        history = source.history(thread)
    first_turn = [m for m in history if m.step is not None and m.step <= 3]
    later = [m for m in history if m not in first_turn]
    assert later
    model = TimelineModel()
    testers(model)
    view = TimelineView(model)
    qtbot.addWidget(view)
    model.set_timeline(build_timeline(thread, first_turn))
    selected = model.index_for_key(first_turn[0].key)
    view.setCurrentIndex(selected)
    kept = QPersistentModelIndex(selected)
    inserted: list[tuple[int, int]] = []
    resets: list[bool] = []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    model.modelReset.connect(lambda: resets.append(True))

    model.append_checkpoints(later)

    assert not resets
    assert inserted == [(len(first_turn), len(history) - 1)]
    assert kept.isValid() and model.key_at(kept) == first_turn[0].key
    assert model.key_at(view.currentIndex()) == first_turn[0].key
    heads = [i for i in all_rows(model) if i.data(TimelineModel.IsHeadRole)]
    assert [model.key_at(i) for i in heads] == [max(later, key=lambda m: m.checkpoint_id).key]
    assert model.rowCount() == len(history)
    model.append_checkpoints(later)
    assert model.rowCount() == len(history), "known checkpoints are not added twice"


def test_append_that_reshapes_the_tree_resets_and_keeps_the_selection(
    qtbot, testers, fork_db: ForkDb
) -> None:
    with SqliteCheckpointSource(fork_db.path) as source:
        history = source.history(fork_db.thread_id)
    original = [m for m in history if m.checkpoint_id < min(fork_db.fork_ids)]
    later = [m for m in history if m not in original]
    model = TimelineModel()
    testers(model)
    view = TimelineView(model)
    qtbot.addWidget(view)
    model.set_timeline(build_timeline(fork_db.thread_id, original))
    view.show_key(("", fork_db.original_child_id))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))

    model.append_checkpoints(later)

    assert resets == [True]
    assert model.key_at(view.currentIndex()) == ("", fork_db.original_child_id)
    assert len(all_rows(model)) > len(original)
