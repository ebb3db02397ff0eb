"""The window's colours, named by what they mean: the one place a UI colour is written.

A light theme on GitHub Primer's scale. Each colour is a plain ``"#rrggbb"`` string (no
Qt here): painters wrap it in ``QColor``, HTML builders write it into markup, and the
stylesheets name it as a placeholder, ``@`` and the constant's name in lower case
(``@error_text`` is :data:`ERROR_TEXT`), filled in by :func:`fill_stylesheet`.

The tones come in families: the strong colour of a state (an icon, a line, a node's
border), its ``_TEXT`` on its own ``_BG``, and a ``_BORDER`` around that background.
"""

from __future__ import annotations

import re

# Surfaces ------------------------------------------------------------------------------
BACKGROUND = "#ffffff"
"""Content: panes, cards, editors, the graph's canvas."""
CANVAS = "#f6f8fa"
"""Chrome around content: bars, table headers, a hovered row, disabled fields."""
CANVAS_INSET = "#eaeef2"
"""Neutral chips, separators between rows, a hovered tool button."""
HOVER = "#f3f5f7"
"""A hovered item of a list or a hovered tab."""
HOVER_ON_WHITE = "#f3f4f6"
"""A hovered white button (the Breakpoints menu button)."""
BUTTON_HOVER = "#eef1f4"
BUTTON_HOVER_BORDER = "#afb8c1"
BUTTON_PRESSED = "#e3e7eb"
BORDER = "#d0d7de"
"""Borders, dividers, frames, a busy indicator's track."""
BORDER_DISABLED = "#e1e4e8"
SCROLLBAR = "#c9d1d9"

# Text ----------------------------------------------------------------------------------
TEXT = "#1f2328"
"""Body text (and a tooltip's background)."""
TEXT_MUTED = "#57606a"
"""Secondary labels: notes, headers, facts, graph edges."""
TEXT_SUBTLE = "#656d76"
"""Counts and times beside list rows and in the run's output."""
TEXT_DISABLED = "#8c959f"
"""Placeholders, disabled controls, internal channels, idle graph nodes."""
TEXT_NEUTRAL = "#424a53"
"""Text on a neutral chip."""
TEXT_ON_EMPHASIS = "#ffffff"
"""Text on a strong colour: the Run button, the HEAD tag, a tooltip."""
FAINT = "#6e7781"
"""JSON punctuation, timeline lines off the head's path."""

# Accent (selection, focus, the head, what runs next) -----------------------------------
ACCENT = "#0969da"
ACCENT_BG = "#ddf4ff"
ACCENT_BG_STRONG = "#b6e3ff"
"""Selected text, an active selection."""
ACCENT_BORDER = "#54aeff"
ACCENT_TEXT = "#0a3069"
ACCENT_EMPHASIS = "#0550ae"
"""JSON keys, the Human role chip."""

# Error (failed tasks, errors, breakpoints, removed in a diff) ---------------------------
ERROR = "#cf222e"
ERROR_TEXT = "#a40e26"
ERROR_BG = "#ffebe9"
ERROR_BG_STRONG = "#ffcecb"
"""The error chip, a border around an error message."""
ERROR_BORDER = "#ff8182"

# Interrupted (waiting for input, changed in a diff, warnings) ---------------------------
INTERRUPTED = "#9a6700"
INTERRUPTED_TEXT = "#7d4e00"
INTERRUPTED_BG = "#fff8c5"
INTERRUPTED_BORDER = "#d4a72c"
INTERRUPTED_TITLE = "#4d2d00"
"""The resume panel's title, a fork hint's text."""
INTERRUPTED_MARK = "#bf8700"
"""The interrupted checkpoint's icon in the timeline."""
INTERRUPTED_CHIP = "#f5d90a"
INTERRUPTED_CHIP_TEXT = "#4d3800"

# Success (finished tasks, nodes that wrote, what runs next, added in a diff) ------------
SUCCESS = "#1a7f37"
SUCCESS_TEXT = "#116329"
"""Also JSON strings."""
SUCCESS_BG = "#dafbe1"
SUCCESS_BORDER = "#4ac26b"
RUN_BUTTON = "#1f883d"
RUN_BUTTON_DISABLED = "#94d3a2"

# Subgraph (subgraphs, forks, a node running, AI messages) -------------------------------
SUBGRAPH = "#8250df"
"""Also JSON keywords (true, false, null)."""
SUBGRAPH_TEXT = "#6639ba"
SUBGRAPH_BG = "#fbefff"
SUBGRAPH_BORDER = "#c297ff"
SUBGRAPH_ICON_BG = "#f3eaff"

# Severe (crashed runs, tool messages) -------------------------------------------------
SEVERE_TEXT = "#953800"
"""Also JSON numbers."""
SEVERE_BG = "#fff1e5"
SEVERE_BORDER = "#fb8f44"
BRANCH = "#bc4c00"
"""A branch's row in the timeline."""
TAB_UNDERLINE = "#fd8c73"

# Highlights ----------------------------------------------------------------------------
MATCH_BG = "#fff3a3"
"""A match of the state search."""
CURRENT_MATCH_BG = "#ffb454"
DIFF_BASE_BG = "#fff1c2"
"""The checkpoint chosen as the diff's base, in the timeline."""


_PLACEHOLDER = re.compile(r"@([a-z_]+)\b")


def colors() -> dict[str, str]:
    """Every colour of this module by its stylesheet name (``"error_text"``)."""
    return {
        name.lower(): value
        for name, value in globals().items()
        if name.isupper() and isinstance(value, str) and value.startswith("#")
    }


def fill_stylesheet(sheet: str) -> str:
    """``sheet`` with each ``@name`` placeholder replaced by its colour; an unknown name
    raises ``KeyError`` (a typo in a stylesheet fails its test, never shows black)."""
    values = colors()

    def color(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no colour named @{name} in desktop/ui/palette.py")
        return values[name]

    return _PLACEHOLDER.sub(color, sheet)
