"""Database configuration and migrations, shared by the server, the CLI and the tests."""

from __future__ import annotations

import os
from typing import Any

from tortoise import Tortoise

MODELS_MODULE = "gql.db.models"
MIGRATIONS_MODULE = "gql.db.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite") and "busy_timeout" not in database_url:
        # Several processes on one SQLite file wait for each other's writes (5 s) instead
        # of failing at once with "database is locked" (then answered 3208, retryable).
        database_url += ("&" if "?" in database_url else "?") + "busy_timeout=5000"
    return {
        "connections": {"default": database_url},
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


async def migrate(database_url: str) -> None:
    """Apply every pending migration (idempotent), then close the connections it opened."""
    from tortoise.migrations.api import migrate as run_migrations

    try:
        await run_migrations(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


# For the `tortoise` CLI when writing a new migration:
#   tortoise -c gql.db.setup.TORTOISE_ORM makemigrations
TORTOISE_ORM = tortoise_config(os.environ.get("MEMBERS_DATABASE_URL") or "sqlite://members.sqlite3")
