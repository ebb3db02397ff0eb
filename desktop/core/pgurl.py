"""PostgreSQL connection URLs as Rewind shows and remembers them: never with a password.

A password may be typed in the URL for the moment, or come from ``PGPASSWORD`` or
``~/.pgpass`` (libpq reads both); Rewind never stores or prints one. Nothing here
imports psycopg.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

SCHEMES = ("postgresql", "postgres")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_SECRET_PARAMS = frozenset({"password", "sslpassword"})


def is_postgres_url(location: object) -> bool:
    """True for a ``postgresql://`` or ``postgres://`` connection URL."""
    return isinstance(location, str) and location.strip().lower().startswith(
        tuple(f"{scheme}://" for scheme in SCHEMES)
    )


def unsupported_scheme(location: object) -> str | None:
    """The scheme of a ``scheme://`` URL Rewind cannot open (``mysql``, ``sqlite``, ...);
    None for a Postgres URL, a plain path, or a file that exists under that name."""
    if not isinstance(location, str) or is_postgres_url(location):
        return None
    match = _URL_SCHEME.match(location.strip())
    if match is None or os.path.exists(os.path.expanduser(location)):
        return None
    return match.group(1)


def check_location(location: object) -> None:
    """Refuse, in one line (``SourceError``), a URL whose scheme Rewind does not open
    (turned into a path it would read ``mysql:/x/y: no such file``) and a Postgres URL
    whose port is not a number (libpq would say ``Servname not supported``)."""
    from desktop.core.errors import SourceError

    scheme = unsupported_scheme(location)
    if scheme is not None:
        raise SourceError(
            f"{scheme}:// URLs are not supported: give a SQLite file or a postgresql:// URL"
        )
    port = _bad_port(location) if is_postgres_url(location) else None
    if port is not None:
        raise SourceError(f"{redact(str(location))}: the port {port!r} is not a number")


def _bad_port(url: str) -> str | None:
    """The first port of ``url`` (after a host, or ``?port=``; several hosts may each
    have one) that is not a number, else None."""
    parts = urlsplit(url.strip())
    ports = [
        host.rpartition("]")[2].rpartition(":")[2] if ":" in host.rpartition("]")[2] else ""
        for host in parts.netloc.rpartition("@")[2].split(",")
    ]
    ports += dict(parse_qsl(parts.query, keep_blank_values=True)).get("port", "").split(",")
    return next((unquote(p) for p in ports if p.strip() and not p.strip().isdigit()), None)


def redact(url: str) -> str:
    """``url`` without any password (in the user part or the query), for display."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    kept = [(k, v) for k, v in query if k.lower() not in _SECRET_PARAMS]
    text_query = urlencode(kept, safe="/:") if kept != query else parts.query
    return _unsplit(parts.scheme, netloc, parts.path, text_query, parts.fragment)


def _unsplit(scheme: str, netloc: str, path: str, query: str, fragment: str = "") -> str:
    """``urlunsplit`` that keeps ``//`` with an empty host (``postgresql:///agents``, the
    local socket): ``urlunsplit`` writes ``postgresql:/agents``, which is not a URL."""
    return (
        f"{scheme}://{netloc}{path}"
        + (f"?{query}" if query else "")
        + (f"#{fragment}" if fragment else "")
    )


def has_password(url: str) -> bool:
    """True when the URL itself carries a password."""
    return redact(url) != url.strip()


def build_url(
    *,
    host: str = "",
    port: int | None = None,
    database: str = "",
    user: str = "",
    password: str = "",
    options: str = "",
) -> str:
    """A ``postgresql://`` URL from connection fields (a host starting with ``/`` is a
    Unix socket folder). ``options`` is extra query text such as ``sslmode=require``."""
    auth = quote(user, safe="") if user else ""
    if password:
        auth += ":" + quote(password, safe="")
    query = [(k, v) for k, v in parse_qsl(options.strip().lstrip("?"), keep_blank_values=True)]
    netloc_host = ""
    if host.startswith("/"):
        query.insert(0, ("host", host))
    elif host:
        netloc_host = f"[{host}]" if ":" in host else host
    if port and not host.startswith("/"):
        netloc_host += f":{port}"
    elif port:
        query.append(("port", str(port)))
    netloc = f"{auth}@{netloc_host}" if auth else netloc_host
    return _unsplit(
        "postgresql", netloc, "/" + quote(database, safe=""), urlencode(query, safe="/:")
    )


def url_fields(url: str) -> dict[str, str]:
    """Host, port, database, user and other options of a URL (no password)."""
    parts = urlsplit(redact(url))
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    host = query.pop("host", "") or (unquote(parts.hostname or "") if parts.hostname else "")
    port = query.pop("port", "") or (str(parts.port) if _safe_port(parts) else "")
    return {
        "host": host,
        "port": port,
        "database": unquote(parts.path.lstrip("/")),
        "user": unquote(parts.username or ""),
        "options": urlencode(query, safe="/:"),
    }


def _safe_port(parts) -> bool:
    try:
        return parts.port is not None
    except ValueError:
        return False


def location_of(text: str | Path) -> str | Path:
    """What the user named as a database: a URL stays text (one Rewind cannot open too, so
    that opening it says so), anything else is a path."""
    if isinstance(text, str) and (is_postgres_url(text) or unsupported_scheme(text)):
        return text.strip()
    return Path(text).expanduser()


def display_name(location: str | Path) -> str:
    """A short name for a database: the file name, or the Postgres database name."""
    if isinstance(location, str) and is_postgres_url(location):
        fields = url_fields(location)
        return fields["database"] or fields["user"] or "PostgreSQL"
    return Path(location).name
