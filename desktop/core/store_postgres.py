"""The ``store`` table of a Postgres database (``PostgresStore``), read-only.

One connection (``pg_connect.ReadOnlyConnection``), every query in its own read-only
transaction: a role with nothing but ``SELECT`` on ``store`` (and ``store_vectors``,
when present) is enough, and nothing is ever written. ``store_vectors`` is only asked
whether an item has an embedding. Filtering decodes values in Python, as for SQLite.
"""

from __future__ import annotations

from typing import Any

from desktop.core.errors import SourceError
from desktop.core.sources.pg_connect import ReadOnlyConnection
from desktop.core.store import (
    STORE_TABLE,
    VECTORS_TABLE,
    NamespaceCount,
    StoreItem,
    decode_namespace,
    filter_items,
    item_from_row,
    prefix_bounds,
)


class PostgresStoreReader:
    """A ``PostgresStore``'s items, through read-only transactions (thread-safe)."""

    def __init__(self, url: str) -> None:
        self._db = ReadOnlyConnection(url)
        self.location = self._db.location
        try:
            self._columns, self._has_vectors = self._check_schema()
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> PostgresStoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_schema(self) -> tuple[set[str], bool]:
        with self._db.read() as cur:
            cur.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name IN (%s, %s)",
                (STORE_TABLE, VECTORS_TABLE),
            )
            rows = cur.fetchall()
        columns = {column for table, column in rows if table == STORE_TABLE}
        if not columns:
            raise SourceError(
                f"{self.location} has no LangGraph Store (no 'store' table written by "
                "PostgresStore, or no SELECT on it); give the Store's database with --store"
            )
        missing = {"prefix", "key", "value"} - columns
        if missing:
            raise SourceError(
                f"{self.location}: table 'store' lacks column(s) "
                f"{', '.join(sorted(missing))}; not a PostgresStore table"
            )
        has_vectors = any(table == VECTORS_TABLE for table, _ in rows)
        return columns, has_vectors

    def namespaces(self) -> list[NamespaceCount]:
        """Every namespace holding items, with its item count, sorted."""
        with self._db.read() as cur:
            cur.execute("SELECT prefix, COUNT(*) FROM store GROUP BY prefix")
            rows = cur.fetchall()
        found = [NamespaceCount(decode_namespace(prefix), int(count)) for prefix, count in rows]
        return sorted(found, key=lambda entry: entry.namespace)

    def count_items(self, prefix: tuple[str, ...] = (), text: str = "") -> int:
        """How many items under ``prefix`` match ``text``."""
        if text.strip():
            return len(self.items(prefix, text))
        where, params = _where(prefix)
        with self._db.read() as cur:
            cur.execute(f"SELECT COUNT(*) FROM store {where}", params)
            return int(cur.fetchone()[0])

    def items(
        self,
        prefix: tuple[str, ...] = (),
        text: str = "",
        *,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoreItem]:
        """Items under ``prefix`` matching ``text``, by namespace text then key, paged."""
        where, params = _where(prefix)
        column = self._optional
        embedding = (
            "EXISTS (SELECT 1 FROM store_vectors v WHERE v.prefix = s.prefix AND v.key = s.key)"
            if self._has_vectors
            else "false"
        )
        query = (
            f"SELECT prefix, key, value, {column('created_at')}, {column('updated_at')}, "
            f"{column('expires_at')}, {column('ttl_minutes')}, {embedding} "
            f'FROM store s {where} ORDER BY prefix COLLATE "C", key COLLATE "C"'
        )
        filtered = bool(text.strip())
        if not filtered and (limit is not None or offset):
            query += " LIMIT %s OFFSET %s"
            params = (*params, limit, offset)
        with self._db.read() as cur:
            cur.execute(query, params)
            found = [item_from_row(*row) for row in cur.fetchall()]
        if not filtered:
            return found
        matched = filter_items(found, text)
        end = None if limit is None else offset + limit
        return matched[offset:end]

    def _optional(self, name: str) -> str:
        return name if name in self._columns else "NULL"


def _where(prefix: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    bounds = prefix_bounds(prefix)
    if bounds is None:
        return "", ()
    exact, start = bounds
    return "WHERE (prefix = %s OR left(prefix, %s) = %s)", (exact, len(start), start)
