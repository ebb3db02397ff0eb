"""``rewind DB --screenshot out.png`` in a real subprocess, offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage, QImageWriter

from desktop.cli_screenshot import SCREENSHOT_FORMATS
from tests.builders import AgentDb, ForkDb

ROOT = Path(__file__).resolve().parents[2]


def run_rewind(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``python -m desktop ARGS`` offscreen, with settings and data kept under ``home``."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "REWIND_DATA_DIR": str(home / "rewind"),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_screenshot_of_a_database(tmp_path: Path, agent_db: AgentDb) -> None:
    png = tmp_path / "out.png"
    result = run_rewind(str(agent_db.path), "--screenshot", str(png), home=tmp_path)
    assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert not image.isNull()
    assert image.width() >= 1280 and image.height() >= 800
    assert not (tmp_path / "config").exists(), "screenshot mode must not write settings"


def test_screenshot_at_1024x640_is_exactly_that_size(tmp_path: Path, agent_db: AgentDb) -> None:
    png = tmp_path / "small.png"
    result = run_rewind(
        str(agent_db.path), "--screenshot", str(png), "--window-size", "1024x640", home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1024, 640)


def test_screenshot_at_a_size_the_window_cannot_take_exits_1(
    tmp_path: Path, agent_db: AgentDb
) -> None:
    png = tmp_path / "tiny.png"
    result = run_rewind(
        str(agent_db.path), "--screenshot", str(png), "--window-size", "400x300", home=tmp_path
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not _qt_noise(line)]
    assert len(lines) == 1 and lines[0].startswith(
        "rewind: error: The window cannot be 400x300: it needs at least "
    )
    assert not png.exists()


def test_screenshot_with_preselected_thread_and_checkpoint(tmp_path: Path, fork_db: ForkDb) -> None:
    png = tmp_path / "fork.png"
    result = run_rewind(
        str(fork_db.path),
        "--thread",
        fork_db.thread_id,
        "--checkpoint",
        fork_db.fork_ids[0],
        "--screenshot",
        str(png),
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert QImage(str(png)).width() >= 1280


def test_screenshot_of_a_bad_path_exits_1_with_one_line(tmp_path: Path) -> None:
    png = tmp_path / "never.png"
    missing = tmp_path / "missing.sqlite"
    result = run_rewind(str(missing), "--screenshot", str(png), home=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not _qt_noise(line)]
    assert lines == [f"rewind: error: {missing}: no such file"]
    assert not png.exists()


def test_screenshot_with_an_unknown_checkpoint_exits_1(tmp_path: Path, agent_db: AgentDb) -> None:
    result = run_rewind(
        str(agent_db.path),
        "--thread",
        "agent-math",
        "--checkpoint",
        "nope",
        "--screenshot",
        str(tmp_path / "x.png"),
        home=tmp_path,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if not _qt_noise(line)]
    assert len(lines) == 1 and "'nope' not found" in lines[0]


def _qt_noise(line: str) -> bool:
    """Qt's offscreen plugin prints this warning on its own; it is not Rewind's output."""
    return line == "This plugin does not support propagateSizeHints()"


def test_a_screenshot_name_qt_cannot_write_is_refused_before_qt(tmp_path: Path) -> None:
    """The check runs before Qt is imported (a headless test of the name alone)."""
    script = (
        "import sys\n"
        "from desktop.cli import main\n"
        "try:\n    main(['--screenshot', sys.argv[1]])\n"
        "except SystemExit as stop:\n"
        "    assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'\n"
        "    raise\n"
    )
    kinds = "name it .png, .jpg, .bmp or .webp"
    cases = {
        "shots/noext": f"shots/noext has no image extension; {kinds}",
        "shot.gif": f"shot.gif: cannot write .gif images; {kinds}",
        "missing/shot.png": "missing/shot.png: folder missing does not exist",
    }
    for name, message in cases.items():
        result = subprocess.run(
            [sys.executable, "-c", script, name],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"rewind: error: argument --screenshot: {message} (see `rewind --help`)\n"
        )
    assert list(tmp_path.iterdir()) == []


def test_the_screenshot_kinds_are_the_ones_qt_writes() -> None:
    written = {bytes(kind).decode() for kind in QImageWriter.supportedImageFormats()}
    assert written == SCREENSHOT_FORMATS
