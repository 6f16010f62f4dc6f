"""The tests' databases: which backend, PostgreSQL administration, one migrated template a run.

``MEMBERS_TEST_DATABASE=sqlite`` (default) or ``postgres`` (on the server named by
``MEMBERS_TEST_POSTGRES_URL``, default postgres://postgres@127.0.0.1:5432/postgres).

``TEMPLATE`` is migrated once per pytest process, on first use, by ``python -m gql migrate``
in a child process (so no Tortoise state is left in this one), and ``TEMPLATE.copy(directory)``
hands out fresh migrated databases: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL (dropped after use). tests/conftest.py drops the template when the session ends.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tests.processes import clean_env, run_cli

BACKEND = os.environ.get("MEMBERS_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("MEMBERS_TEST_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/postgres"

T = TypeVar("T")
_numbers = itertools.count(1)


def postgres_url(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    return f"{POSTGRES_URL.rpartition('/')[0]}/{name}"


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def pg_execute(sql: str, url: str = POSTGRES_URL) -> None:
    import asyncpg

    connection = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def pg_fetch(url: str, sql: str) -> list[dict[str, Any]]:
    import asyncpg

    connection = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        return [dict(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync code, also when called inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def create_database(name: str, template: str | None = None) -> str:
    """A new PostgreSQL database (empty, or a copy of ``template``); its URL."""
    run_sync(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    run_sync(pg_execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    return postgres_url(name)


def drop_database(name_or_url: str) -> None:
    name = name_or_url.rpartition("/")[2]
    run_sync(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def empty_database() -> Iterator[str]:
    """An empty database (no migrations) of the backend under test, removed afterwards."""
    if BACKEND == "postgres":
        url = create_database(f"members_empty_{os.getpid()}_{uuid.uuid4().hex[:8]}")
        try:
            yield url
        finally:
            drop_database(url)
    else:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite://{Path(directory) / 'members.sqlite3'}"


def query_database(url: str, sql: str) -> list[dict[str, Any]]:
    """Read a database directly (no Tortoise in this process): the server is a black box."""
    if url.startswith("sqlite://"):
        connection = sqlite3.connect(url.removeprefix("sqlite://"), timeout=30)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute(sql).fetchall()]
        finally:
            connection.close()
    return run_sync(pg_fetch(url, sql))


def migrate_in_child(database_url: str, cwd: Path) -> None:
    """``python -m gql migrate`` on ``database_url``, as an operator runs it."""
    done = run_cli("migrate", env={**clean_env(), "MEMBERS_DATABASE_URL": database_url}, cwd=cwd)
    assert done.returncode == 0, f"python -m gql migrate failed:\n{done.stdout}\n{done.stderr}"


class MigratedTemplate:
    """A migrated database made once, on first use; its copies are the tests' fresh databases."""

    def __init__(self) -> None:
        self._url: str | None = None
        self._directory: tempfile.TemporaryDirectory[str] | None = None

    def url(self) -> str:
        if self._url is None:
            self._directory = tempfile.TemporaryDirectory(prefix="members-template-")
            workdir = Path(self._directory.name)
            if BACKEND == "postgres":
                url = create_database(f"members_template_{os.getpid()}")
            else:
                url = f"sqlite://{workdir / 'template.sqlite3'}"
            try:
                migrate_in_child(url, workdir)
            except BaseException:
                if BACKEND == "postgres":
                    drop_database(url)
                raise
            self._url = url
        return self._url

    @contextmanager
    def copy(self, directory: Path) -> Iterator[str]:
        """A new migrated database copied from the template (a file in ``directory`` on SQLite;
        on PostgreSQL a database dropped afterwards)."""
        template = self.url()
        number = next(_numbers)
        if BACKEND == "postgres":
            url = create_database(f"members_test_{os.getpid()}_{number}", template=template.rpartition("/")[2])
            try:
                yield url
            finally:
                drop_database(url)
        else:
            target = directory / f"members-{number}.sqlite3"
            shutil.copyfile(template.removeprefix("sqlite://"), target)
            yield f"sqlite://{target}"

    def close(self) -> None:
        if self._url is not None and BACKEND == "postgres":
            drop_database(self._url)
        if self._directory is not None:
            self._directory.cleanup()
        self._url = self._directory = None


TEMPLATE = MigratedTemplate()
