"""Header titles and QML role names, the same for every table model of the window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QByteArray, Qt


def column_title(
    columns: Sequence[str], section: int, orientation: Qt.Orientation, role: int
) -> str | None:
    """``headerData``: the title of a horizontal section, nothing else."""
    if (
        orientation == Qt.Orientation.Horizontal
        and role == Qt.ItemDataRole.DisplayRole
        and 0 <= section < len(columns)
    ):
        return columns[section]
    return None


def with_role_names(
    names: dict[int, QByteArray], extra: Mapping[int, str]
) -> dict[int, QByteArray]:
    """``roleNames``: Qt's own ``names`` plus a model's ``extra`` roles."""
    names.update({role: QByteArray(name.encode()) for role, name in extra.items()})
    return names
