"""One palette: the stylesheets name colours as ``@name`` placeholders filled in from
``desktop/ui/palette.py``."""

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
SHEETS = {
    "resources/style.qss": QSS.read_text(encoding="utf-8"),
    "app base rules": app._BASE_STYLESHEET,
    "state header": state_header.STYLE,
    "diff view": diff_view.STYLE,
    "resume panel": resume_panel.STYLE,
    "breakpoints": breakpoints.STYLE,
    "fork editor": fork_editor._STYLE,
}


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
