"""Can Qt open a window here? Asked before the QApplication exists, answered in one line.

Qt aborts the whole process (SIGABRT, exit 134) when its platform plugin cannot load or
cannot reach a display, with a hint that is often wrong. :func:`platform_problem` asks
the same questions first, without loading Qt: which platform Qt will pick (from
``QT_QPA_PLATFORM``, ``WAYLAND_DISPLAY`` and ``DISPLAY``), whether there is a display at
all, and, for ``xcb``, which shared libraries of Qt's xcb plugin the dynamic loader
cannot find (``ldd`` on the plugin, the loader's own answer) and whether the X server
answers. Only Linux and the BSDs use these plugins; elsewhere there is nothing to check.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

XCB_PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}
"""Shared libraries Qt's xcb plugin loads, with the package that ships each one
(Debian/Ubuntu, Fedora)."""

NO_DISPLAY = (
    "No display to open the window on: DISPLAY (or WAYLAND_DISPLAY) is not set; "
    "run it in a desktop session, or set QT_QPA_PLATFORM=offscreen to render without one "
    "(e.g. with --screenshot)"
)

LinkCheck = Callable[[Path], list[str]]
DisplayCheck = Callable[[str], bool]


def platform_problem(
    env: Mapping[str, str] | None = None,
    *,
    missing_libraries: LinkCheck | None = None,
    display_answers: DisplayCheck | None = None,
) -> str | None:
    """Why Qt could not open a window with ``env`` (default: this process's), or None.

    ``missing_libraries`` and ``display_answers`` replace the real probes (``ldd`` on the
    plugin, an xcb connection) in tests.
    """
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    env = os.environ if env is None else env
    platform = _chosen_platform(env)
    if platform is None:
        return NO_DISPLAY
    if platform != "xcb":
        return None
    display = env.get("DISPLAY", "")
    if not display:
        return NO_DISPLAY
    plugin = xcb_plugin()
    if plugin is not None:
        missing = (missing_libraries or ldd_missing)(plugin)
        if missing:
            return missing_libraries_message(missing)
    if not (display_answers or x_display_answers)(display):
        return (
            f"Cannot connect to the X display {display!r}: is the X server running and "
            "may this user use it (xhost, XAUTHORITY)? Set QT_QPA_PLATFORM=offscreen to "
            "render without a display"
        )
    return None


def _chosen_platform(env: Mapping[str, str]) -> str | None:
    """The platform plugin Qt will load first ("xcb", "wayland", "offscreen", ...); None
    when it has nothing to show a window on."""
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        first = requested.split(";")[0]
        return first.split(":")[0].strip() or None
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    if env.get("DISPLAY"):
        return "xcb"
    return None


def missing_libraries_message(missing: list[str]) -> str:
    """One line naming the missing libraries and the commands that install them."""
    apt = _unique(XCB_PACKAGES.get(name, (name, name))[0] for name in missing)
    dnf = _unique(XCB_PACKAGES.get(name, (name, name))[1] for name in missing)
    return (
        f"Qt's xcb platform needs {' '.join(apt)}; install: sudo apt install {' '.join(apt)} "
        f"(Debian/Ubuntu) or sudo dnf install {' '.join(dnf)} (Fedora)"
    )


def _unique(names) -> list[str]:
    return list(dict.fromkeys(names))


def xcb_plugin() -> Path | None:
    """PySide6's ``libqxcb.so``, found without importing Qt (None: not there)."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def ldd_missing(library: Path) -> list[str]:
    """The shared libraries the dynamic loader cannot find for ``library`` (``ldd``)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        result = subprocess.run(
            [ldd, str(library)], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_ldd(result.stdout)


def parse_ldd(output: str) -> list[str]:
    """The ``NAME => not found`` lines of ``ldd`` output, each name once, in order."""
    names = []
    for line in output.splitlines():
        name, _, target = line.strip().partition("=>")
        if target.strip() == "not found":
            names.append(name.strip())
    return _unique(names)


def x_display_answers(display: str) -> bool:
    """Whether an X server answers on ``display`` (libxcb's own connect; True if libxcb
    itself cannot be loaded, which the library check reports)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)
