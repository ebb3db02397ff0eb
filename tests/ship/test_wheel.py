"""The wheel ships everything the app needs: built, installed in a fresh virtual
environment, and started from there (not from this checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (built,) = out.glob("rewind_debugger-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel; the dependencies come from this
    interpreter's site-packages by a plain path entry (no editable finder of the
    checkout is loaded there)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            text=True,
        ).strip()
    )
    (purelib / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return env_dir


def run_installed(env_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(cwd),
        XDG_CONFIG_HOME=str(cwd / "config"),
        REWIND_DATA_DIR=str(cwd / "data"),
    )
    return subprocess.run(
        [str(env_dir / "bin" / "rewind"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_wheel_contains_the_stylesheet(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "desktop/resources/style.qss" in names


def test_installed_wheel_starts_and_styles_the_window(installed: Path, tmp_path: Path) -> None:
    python = installed / "bin" / "python"
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import desktop, desktop.ui.widgets as w; print(desktop.__file__); "
            "print(len(w.stylesheet()))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
    )
    location, length = probe.stdout.split()
    assert Path(location).is_relative_to(installed), location
    assert int(length) > 1000

    png = tmp_path / "shot.png"
    result = run_installed(installed, "--screenshot", str(png), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not QImage(str(png)).isNull()


def test_installed_wheel_runs_headless_commands(installed: Path, tmp_path: Path, agent_db) -> None:
    result = run_installed(installed, "threads", str(agent_db.path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "agent-weather" in result.stdout
