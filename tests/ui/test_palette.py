"""One palette: every colour of the window is written once, in ``desktop/ui/palette.py``.

The stylesheets name colours as ``@name`` placeholders filled in from the palette; the
widgets, painters and HTML builders use its constants. These tests read the package's
own sources, so a colour written anywhere else fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desktop.ui import app, palette
from desktop.ui.widgets import (
    breakpoints,
    diff_view,
    fork_editor,
    resume_panel,
    state_header,
    stylesheet,
)

UI = Path(palette.__file__).resolve().parent
QSS = UI.parent / "resources" / "style.qss"
PLACEHOLDER = re.compile(r"@([a-z_]+)\b")
COLOR_LITERAL = re.compile(
    r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b"  # "#rrggbb" and its kin
    r"|\brgba?\s*\("  # rgb(...), rgba(...)
    r"|QColor\(\s*[\"'][a-z]+[\"']"  # QColor("red")
    r"|GlobalColor\.(?!transparent\b)\w+"  # Qt.GlobalColor.white
    r"|QColor\(\s*\d"  # QColor(255, 0, 0)
)

SHEETS = {
    "resources/style.qss": QSS.read_text(encoding="utf-8"),
    "app base rules": app._BASE_STYLESHEET,
    "state header": state_header.STYLE,
    "diff view": diff_view.STYLE,
    "resume panel": resume_panel.STYLE,
    "breakpoints": breakpoints.STYLE,
    "fork editor": fork_editor._STYLE,
}


def ui_sources() -> list[Path]:
    """Every module of the window and every shipped stylesheet, the palette aside."""
    files = [*UI.rglob("*.py"), *(UI.parent / "resources").glob("*.qss")]
    return sorted(path for path in files if path != Path(palette.__file__).resolve())


def test_palette_colours_are_hex_and_named_once() -> None:
    colors = palette.colors()
    assert colors["error"] == palette.ERROR == "#cf222e"
    assert colors["text_muted"] == palette.TEXT_MUTED
    for name, value in colors.items():
        assert re.fullmatch(r"#[0-9a-f]{6}", value), f"{name} = {value!r} is not #rrggbb"
    assert "PySide6" not in Path(palette.__file__).read_text(encoding="utf-8"), "no Qt here"


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_every_placeholder_of_a_stylesheet_is_a_palette_colour(name: str) -> None:
    used = PLACEHOLDER.findall(SHEETS[name])
    assert used, f"{name} names no colour"
    unknown = sorted(set(used) - set(palette.colors()))
    assert not unknown, f"{name} names colours the palette lacks: {unknown}"


def test_the_loaded_stylesheets_have_every_placeholder_filled() -> None:
    loaded = stylesheet()
    assert "@" not in loaded
    assert f"color: {palette.TEXT};" in loaded
    assert f"border-bottom: 2px solid {palette.TAB_UNDERLINE};" in loaded
    whole = app.application_stylesheet()
    assert "@" not in whole
    assert loaded in whole
    assert f"QLabel#runInputError {{ color: {palette.ERROR}; }}" in whole
    assert f'#diffSummary[kind="added"] {{ color: {palette.SUCCESS_TEXT}; }}' in whole


def test_filling_a_stylesheet() -> None:
    sheet = "#a { color: @error_text; background: @error_bg; border: 1px solid @error; }"
    assert palette.fill_stylesheet(sheet) == (
        "#a { color: #a40e26; background: #ffebe9; border: 1px solid #cf222e; }"
    )
    with pytest.raises(KeyError, match="no colour named @eror"):
        palette.fill_stylesheet("#a { color: @eror; }")


def test_no_colour_is_written_outside_the_palette() -> None:
    found = [
        f"{path.relative_to(UI.parent)}:{number}: {line.strip()}"
        for path in ui_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COLOR_LITERAL.search(line)
    ]
    assert not found, "colours written outside desktop/ui/palette.py:\n" + "\n".join(found)


def test_the_literal_check_catches_what_it_means_to() -> None:
    for line in (
        'QColor("#0969da")',
        "color: #fff;",
        "QColor('white')",
        "Qt.GlobalColor.red",
        "background: rgba(0, 0, 0, 0.1);",
        "QColor(255, 0, 0)",
    ):
        assert COLOR_LITERAL.search(line), line
    for line in ("#stateView QTextBrowser", "Qt.GlobalColor.transparent", "color: @accent;"):
        assert not COLOR_LITERAL.search(line), line


def test_every_palette_colour_is_used() -> None:
    sources = "\n".join(path.read_text(encoding="utf-8") for path in ui_sources())
    imported = {
        name
        for block in re.findall(r"from desktop\.ui\.palette import \(([^)]*)\)", sources)
        for name in re.findall(r"\w+", block)
    }
    unused = [
        name
        for name in palette.colors()
        if f"@{name}" not in sources
        and f"palette.{name.upper()}" not in sources
        and name.upper() not in imported
    ]
    assert not unused, f"palette colours nothing uses: {unused}"
