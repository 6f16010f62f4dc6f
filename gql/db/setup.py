"""Database configuration and migrations, shared by the server, the CLI and the tests."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url

MODELS_MODULE = "gql.db.models"
MIGRATIONS_MODULE = "gql.db.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite") and "busy_timeout" not in database_url:
        # Several processes on one SQLite file wait for each other's writes (5 s) instead
        # of failing at once with "database is locked" (then answered 3208, retryable).
        database_url += ("&" if "?" in database_url else "?") + "busy_timeout=5000"
    connection: str | dict[str, Any] = database_url
    if database_url.startswith("sqlite"):
        # Tortoise's SQLite client, with the short statements on the loop's thread (gql/db/sqlite.py).
        connection = expand_db_url(database_url)
        connection["engine"] = "gql.db.sqlite"
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _sqlite_file(database_url: str) -> Path | None:
    if not database_url.startswith("sqlite://") or ":memory:" in database_url:
        return None
    return Path(database_url.removeprefix("sqlite://").split("?", 1)[0])


@contextmanager
def _migration_lock(database_url: str) -> Iterator[None]:
    """On SQLite, one process migrates at a time (``uvicorn --workers N`` starts N at once).

    An exclusive lock on a file beside the database: the others wait, then find nothing
    left to apply. PostgreSQL is migrated by ``python -m gql migrate``, once per deploy.
    """
    path = _sqlite_file(database_url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".migrate-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent), then close the connections it opened."""
    from tortoise.migrations.api import migrate as run_migrations

    with _migration_lock(database_url):
        try:
            await run_migrations(config=tortoise_config(database_url))
        finally:
            await Tortoise.close_connections()


def __getattr__(name: str) -> Any:
    """``TORTOISE_ORM``, for the `tortoise` CLI when writing a new migration:

        tortoise -c gql.db.setup.TORTOISE_ORM makemigrations

    Built from ``MEMBERS_DATABASE_URL`` (or ``MEMBERS_DATABASE_URL_FILE``) when the CLI asks for it, not when this module is
    imported: the server, the tests and the tools read no environment by importing it
    (gql/config.py reads the environment, once, at start-up)."""
    if name == "TORTOISE_ORM":
        from gql.config import Config, environment_value, variable_named

        url = environment_value(os.environ, variable_named("DATABASE_URL"))  # or MEMBERS_DATABASE_URL_FILE
        return tortoise_config(url or Config.database_url)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
