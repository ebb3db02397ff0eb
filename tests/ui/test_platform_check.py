"""The window's platform check: one line and exit 1 instead of Qt's abort, and a real
window on the real xcb platform under Xvfb.

Each case runs ``python -m desktop`` as a user would, in an environment built for it: no
display at all, an ``ldd`` on ``PATH`` that reports the libraries a fresh Debian lacks
(the loader's answer is what the check reads), an X display nobody serves, and an Xvfb
server with the real xcb plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop.ui.platform_check import (
    NO_DISPLAY,
    missing_libraries_message,
    parse_ldd,
    platform_problem,
)

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f0a)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f0a)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
"""


def _launch(env_changes: dict[str, str | None], tmp_path: Path, *args: str):
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["REWIND_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _fake_ldd(folder: Path, output: str) -> str:
    """A PATH whose first ``ldd`` prints ``output``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "ldd"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}EOF\n", encoding="utf-8")
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's Linux platforms")
def test_no_display_is_one_line_naming_display_and_offscreen(tmp_path: Path) -> None:
    result = _launch({}, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] == f"rewind: error: {NO_DISPLAY}"
    assert "DISPLAY" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0]
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's Linux platforms")
def test_missing_xcb_libraries_name_the_packages(tmp_path: Path) -> None:
    path = _fake_ldd(tmp_path / "bin", LDD_MISSING)
    result = _launch({"DISPLAY": ":0", "PATH": path}, tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "rewind: error: Qt's xcb platform needs libxcb-icccm4 libxcb-keysyms1; install: "
        "sudo apt install libxcb-icccm4 libxcb-keysyms1 (Debian/Ubuntu) or "
        "sudo dnf install xcb-util-wm xcb-util-keysyms (Fedora)\n"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's Linux platforms")
def test_a_display_nobody_serves_is_one_line(tmp_path: Path) -> None:
    path = _fake_ldd(tmp_path / "bin", "\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n")
    result = _launch({"DISPLAY": ":93", "QT_QPA_PLATFORM": "xcb", "PATH": path}, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Cannot connect to the X display ':93'" in lines[0]
    assert "QT_QPA_PLATFORM=offscreen" in lines[0]


def test_platform_choice_follows_qt() -> None:
    """Offscreen and Wayland need no X libraries; xcb is checked library first."""
    never = {"missing_libraries": lambda _p: ["libxcb-icccm.so.4"]}
    if not sys.platform.startswith("linux"):
        pytest.skip("Qt's Linux platforms")
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}, **never) is None
    assert platform_problem({"WAYLAND_DISPLAY": "wayland-0"}, **never) is None
    assert platform_problem({}, **never) == NO_DISPLAY
    assert platform_problem({"QT_QPA_PLATFORM": "xcb"}, **never) == NO_DISPLAY
    assert "libxcb-icccm4" in (platform_problem({"DISPLAY": ":1"}, **never) or "")
    fine = platform_problem(
        {"QT_QPA_PLATFORM": "xcb;offscreen", "DISPLAY": ":1"},
        missing_libraries=lambda _p: [],
        display_answers=lambda _d: True,
    )
    assert fine is None


def test_ldd_output_and_unknown_libraries() -> None:
    assert parse_ldd(LDD_MISSING) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    message = missing_libraries_message(["libxcb-cursor.so.0", "libweird.so.3"])
    assert "sudo apt install libxcb-cursor0 libweird.so.3 (Debian/Ubuntu)" in message
    assert "sudo dnf install xcb-util-cursor libweird.so.3 (Fedora)" in message


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (.ci/run installs it)")
def test_real_window_on_xcb_under_xvfb(tmp_path: Path) -> None:
    """The real app on the real xcb platform opens the demo and renders it."""
    display = f":{40 + os.getpid() % 200}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
        deadline = time.monotonic() + 10
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shot = tmp_path / "xcb.png"
        result = _launch(
            {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "REWIND_DEMO_TOKEN_DELAY": "0"},
            tmp_path,
            "--screenshot",
            str(shot),
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 600
