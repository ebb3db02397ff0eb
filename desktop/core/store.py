"""Read-only browsing of a LangGraph Store (``SqliteStore`` / ``PostgresStore`` tables).

Both stores keep one row per item in a ``store`` table: the namespace tuple joined by
``.`` (``prefix``), the ``key``, the value as JSON, ``created_at``/``updated_at`` and,
since their TTL migration, ``expires_at``. ``store_vectors`` (embeddings) is only asked
whether an item has one. Nothing here calls a store's ``setup()`` (it writes): SQLite
is opened with the checkpoint reader's read-only connection, Postgres in read-only
transactions that need nothing but ``SELECT`` on those tables.

``--filter`` text matches an item's key or any text inside its value (strings, keys and
numbers), case-insensitively; the match is computed the same way for both backends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from desktop.core.errors import SourceError
from desktop.core.pgurl import check_location, is_postgres_url
from desktop.core.sources.readonly import SharedReadOnlyFile

STORE_TABLE = "store"
VECTORS_TABLE = "store_vectors"
NAMESPACE_SEPARATOR = "."
_FILE_KEYS = frozenset({"content", "encoding", "created_at", "modified_at"})


@dataclass(frozen=True, slots=True)
class StoreItem:
    """One item of a Store, as JSON-safe data (``value`` is the stored JSON, decoded)."""

    namespace: tuple[str, ...]
    key: str
    value: Any
    created_at: datetime | None
    updated_at: datetime | None
    expires_at: datetime | None = None
    ttl_minutes: float | None = None
    has_embedding: bool = False
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The item as ``rewind store`` prints it."""
        data = {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "expires_at": _iso(self.expires_at),
        }
        if self.error:
            data["error"] = self.error
        return data

    @property
    def file_text(self) -> str | None:
        """The file's text when the value is shaped like a deepagents file
        (``{"content": str | [lines], "encoding", "created_at", "modified_at"}``)."""
        value = self.value
        if not isinstance(value, dict) or "content" not in value or set(value) - _FILE_KEYS:
            return None
        content = value["content"]
        if isinstance(content, str):
            return content
        if isinstance(content, list) and all(isinstance(line, str) for line in content):
            return "\n".join(content)
        return None

    def matches(self, needle: str) -> bool:
        """Whether ``needle`` (already case-folded) is in the key or the value's text."""
        if not needle:
            return True
        if needle in self.key.casefold():
            return True
        return any(needle in text.casefold() for text in _texts(self.value))


@dataclass(frozen=True, slots=True)
class NamespaceCount:
    """A namespace that holds items directly, and how many."""

    namespace: tuple[str, ...]
    items: int


class StoreReader(Protocol):
    """What the window and ``rewind store`` need from a Store, for every backend."""

    location: str

    def namespaces(self) -> list[NamespaceCount]: ...

    def count_items(self, prefix: tuple[str, ...] = (), text: str = "") -> int: ...

    def items(
        self,
        prefix: tuple[str, ...] = (),
        text: str = "",
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoreItem]: ...

    def close(self) -> None: ...

    def __enter__(self) -> StoreReader: ...

    def __exit__(self, *exc: object) -> None: ...


def open_store(location: str | Path) -> StoreReader:
    """Open the Store kept in a SQLite file or a Postgres database, for reading.

    Raises :class:`SourceError` with one line when there is no Store there.
    """
    text = str(location)
    check_location(location)
    if is_postgres_url(text):
        from desktop.core.store_postgres import PostgresStoreReader

        return PostgresStoreReader(text)
    return SqliteStoreReader(Path(text).expanduser())


def all_items(reader: StoreReader, prefix: tuple[str, ...] = (), text: str = "") -> list[StoreItem]:
    """Every item under ``prefix`` matching ``text``, sorted by namespace then key."""
    return sorted(reader.items(prefix, text), key=lambda item: (item.namespace, item.key))


def parse_namespace(text: str | None) -> tuple[str, ...]:
    """``a.b`` → ``("a", "b")``; empty means every namespace."""
    text = (text or "").strip()
    return tuple(text.split(NAMESPACE_SEPARATOR)) if text else ()


def decode_namespace(prefix: str) -> tuple[str, ...]:
    """The namespace tuple of a ``prefix`` column (joined by ``.``, as LangGraph does)."""
    return tuple(str(prefix).split(NAMESPACE_SEPARATOR))


def prefix_bounds(prefix: tuple[str, ...]) -> tuple[str, str] | None:
    """``(exact, start)`` for a namespace prefix: rows whose prefix is ``exact`` or begins
    with ``start`` (the namespace and its descendants); None means all rows."""
    if not prefix:
        return None
    exact = NAMESPACE_SEPARATOR.join(prefix)
    return exact, exact + NAMESPACE_SEPARATOR


def decode_value(raw: Any) -> tuple[Any, str | None]:
    """A stored value as data: JSON text is parsed; text that is not JSON is kept as
    the raw string with an error, so nothing is hidden."""
    if raw is None or isinstance(raw, dict | list):
        return raw, None
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return None, "value is not UTF-8 text"
    try:
        return json.loads(raw), None
    except (TypeError, ValueError) as exc:
        return str(raw), f"value is not valid JSON ({exc})"


def parse_time(raw: Any) -> datetime | None:
    """A timestamp column as an aware datetime (SQLite stores UTC text without a zone)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw))
        except ValueError:
            return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _texts(value: Any) -> Iterator[str]:
    """Every piece of text inside a JSON value: strings, object keys, numbers, booleans."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, inner in item.items():
                yield str(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None:
            yield json.dumps(item)


def filter_items(items: Iterable[StoreItem], text: str) -> list[StoreItem]:
    """The items matching ``text`` (see :meth:`StoreItem.matches`)."""
    needle = text.strip().casefold()
    return [item for item in items if item.matches(needle)]


class SqliteStoreReader(SharedReadOnlyFile):
    """The ``store`` table of a SQLite file (``SqliteStore``), read-only.

    Thread-safe like the checkpoint source: every query holds a lock. Filtering runs in
    SQL through a Python function registered on this connection, so counts and pages
    stay in SQLite.
    """

    READING = "the Store"

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        try:
            self._columns, self._has_vectors = self._check_schema()
        except BaseException:
            self._conn.close()
            self._location.close()
            raise
        self._conn.create_function("rewind_store_match", 3, _sql_match, deterministic=True)

    def _check_schema(self) -> tuple[set[str], bool]:
        with self._cursor() as cur:
            tables = {
                row[0] for row in cur.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if STORE_TABLE not in tables:
                raise SourceError(
                    f"{self.path} has no LangGraph Store (no 'store' table written by "
                    "SqliteStore); give the Store's database with --store"
                )
            columns = {row[1] for row in cur.execute("PRAGMA table_info(store)")}
        missing = {"prefix", "key", "value"} - columns
        if missing:
            raise SourceError(
                f"{self.path}: table 'store' lacks column(s) {', '.join(sorted(missing))}; "
                "not a SqliteStore table"
            )
        return columns, VECTORS_TABLE in tables

    def namespaces(self) -> list[NamespaceCount]:
        """Every namespace holding items, with its item count, sorted."""
        with self._cursor() as cur:
            rows = cur.execute("SELECT prefix, COUNT(*) FROM store GROUP BY prefix").fetchall()
        found = [NamespaceCount(decode_namespace(prefix), int(count)) for prefix, count in rows]
        return sorted(found, key=lambda entry: entry.namespace)

    def count_items(self, prefix: tuple[str, ...] = (), text: str = "") -> int:
        """How many items under ``prefix`` match ``text``."""
        where, params = self._where(prefix, text)
        with self._cursor() as cur:
            return int(cur.execute(f"SELECT COUNT(*) FROM store {where}", params).fetchone()[0])

    def items(
        self,
        prefix: tuple[str, ...] = (),
        text: str = "",
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoreItem]:
        """Items under ``prefix`` matching ``text``, by namespace text then key, paged."""
        where, params = self._where(prefix, text)
        column = self._optional
        embedding = (
            "EXISTS (SELECT 1 FROM store_vectors v WHERE v.prefix = s.prefix AND v.key = s.key)"
            if self._has_vectors
            else "0"
        )
        query = (
            f"SELECT prefix, key, value, {column('created_at')}, {column('updated_at')}, "
            f"{column('expires_at')}, {column('ttl_minutes')}, {embedding} "
            f"FROM store s {where} ORDER BY prefix, key"
        )
        if limit is not None or offset:
            query += " LIMIT ? OFFSET ?"
            params = (*params, -1 if limit is None else limit, offset)
        with self._cursor() as cur:
            rows = cur.execute(query, params).fetchall()
        return [item_from_row(*row) for row in rows]

    def _optional(self, name: str) -> str:
        return name if name in self._columns else "NULL"

    def _where(self, prefix: tuple[str, ...], text: str) -> tuple[str, tuple[Any, ...]]:
        clauses: list[str] = []
        params: list[Any] = []
        bounds = prefix_bounds(prefix)
        if bounds is not None:
            exact, start = bounds
            clauses.append("(prefix = ? OR substr(prefix, 1, ?) = ?)")
            params.extend([exact, len(start), start])
        needle = text.strip().casefold()
        if needle:
            clauses.append("rewind_store_match(key, value, ?)")
            params.append(needle)
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _sql_match(key: Any, value: Any, needle: str) -> bool:
    """``rewind_store_match(key, value, needle)`` inside SQLite (see the module docstring)."""
    decoded, _error = decode_value(value)
    return StoreItem((), str(key), decoded, None, None).matches(needle)


def item_from_row(
    prefix: str,
    key: str,
    raw_value: Any,
    created_at: Any,
    updated_at: Any,
    expires_at: Any,
    ttl_minutes: Any,
    has_embedding: Any,
) -> StoreItem:
    """One ``store`` row as a :class:`StoreItem` (both backends)."""
    value, error = decode_value(raw_value)
    return StoreItem(
        namespace=decode_namespace(prefix),
        key=str(key),
        value=value,
        created_at=parse_time(created_at),
        updated_at=parse_time(updated_at),
        expires_at=parse_time(expires_at),
        ttl_minutes=float(ttl_minutes) if isinstance(ttl_minutes, int | float) else None,
        has_embedding=bool(has_embedding),
        error=error,
    )
