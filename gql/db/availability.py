"""Telling "the database is unreachable right now" from every other failure.

Those failures are not bugs: the GraphQL layer answers them with code 3208
(temporarily unavailable, safe to retry) instead of masking them as unexpected, and
logs one line without a trace.
"""

from __future__ import annotations

import sqlite3

from tortoise.exceptions import DBConnectionError

_SQLITE_BUSY = ("database is locked", "database table is locked", "disk i/o error", "unable to open database")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo and len(seen) < 10:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend([current.__cause__, current.__context__])
        todo.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
    return seen


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the database cannot be reached."""
    try:
        import asyncpg
        from asyncpg import exceptions as pg
    except ImportError:  # pragma: no cover - asyncpg comes with the postgres extra
        asyncpg = pg = None  # type: ignore[assignment]
    for current in _chain(exc):
        if isinstance(current, (DBConnectionError, ConnectionError, TimeoutError)):
            return True
        if isinstance(current, OSError) and not isinstance(current, (FileNotFoundError, PermissionError)):
            return True
        if isinstance(current, sqlite3.OperationalError) and any(t in str(current).lower() for t in _SQLITE_BUSY):
            return True
        if pg is not None and isinstance(
            current,
            (
                pg.ConnectionDoesNotExistError,
                pg.PostgresConnectionError,
                pg.CannotConnectNowError,
                pg.AdminShutdownError,
                pg.CrashShutdownError,
                pg.TooManyConnectionsError,
                asyncpg.InterfaceError,
            ),
        ):
            return True
    return False
