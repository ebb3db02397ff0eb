"""``rewind graph --png`` draws the window's picture: node states show in its colours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from desktop.ui.widgets.graph_scene import STATE_COLORS
from tests.graph_builders import FAILING_SPEC, PipelineDb, build_pipeline_db


@pytest.fixture(scope="module")
def pipeline_db(tmp_path_factory: pytest.TempPathFactory) -> PipelineDb:
    return build_pipeline_db(tmp_path_factory.mktemp("graph_png") / "pipeline.sqlite")


def _count(image: QImage, color: str) -> int:
    wanted = QColor(color).rgb()
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) == wanted
    )


def test_png_shows_the_failed_node_and_the_writer(pipeline_db: PipelineDb, tmp_path: Path) -> None:
    target = tmp_path / "failing.png"
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "graph",
            str(pipeline_db.path),
            "--graph",
            FAILING_SPEC,
            "--thread",
            pipeline_db.failed_thread,
            "--png",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(target))
    assert not image.isNull() and image.width() > 200 and image.height() > 300
    assert _count(image, STATE_COLORS["error"][0]) > 200
    assert _count(image, STATE_COLORS["wrote"][0]) > 200
    assert _count(image, STATE_COLORS["next"][0]) == 0


def test_png_to_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "graph",
            "--graph",
            "demo",
            "--png",
            str(tmp_path / "missing-folder" / "x.png"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Cannot write the PNG" in result.stderr
    assert result.stderr.count("\n") == 1
