"""The SQLite client that runs short statements on the event loop's thread (gql/db/sqlite.py).

What must hold: a sign-in's statements run on the loop and only its COMMIT goes to
aiosqlite's thread; a read that runs long is stopped, answered from the thread and sent
there from then on, and never keeps the loop for long; a write in a transaction moves to
the loop once it proved short; another process's write lock is waited for on the thread
(the loop keeps serving), up to the busy timeout, and then refused as before.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from tortoise import connections
from tortoise.context import TortoiseContext
from tortoise.exceptions import OperationalError

from gql.db.setup import tortoise_config
from gql.db.sqlite import INLINE_BUDGET, Client, Placement
from tests.conftest import GraphQLClient
from tests.databases import BACKEND
from tests.integration.documents import LOGIN, REGISTER

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite client")

# About a second of work for SQLite: far past INLINE_BUDGET.
LONG_READ = (
    "SELECT (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000000) SELECT count(*) FROM n)"
)


def _delta(before: Placement, after: Placement) -> tuple[int, int, int]:
    return after.inline - before.inline, after.thread - before.thread, after.sent_back - before.sent_back


def _placement() -> Placement:
    placement = connections.get("default").placement
    assert placement is not None, "the app's SQLite connection is gql.db.sqlite's"
    return Placement(placement.inline, placement.thread, placement.sent_back)


async def test_a_login_sends_only_its_commit_to_the_thread(gql: GraphQLClient) -> None:
    credentials = {"email": "inline@example.com", "password": "inline-password"}
    assert (await gql.anonymous(REGISTER, credentials))["data"]["register"]["__typename"] == "RegisterPayload"
    login = {"identity": credentials["email"], "password": credentials["password"]}
    # The first login's writes run on the thread, timed; they are short, so the next ones run on the loop.
    assert (await gql.anonymous(LOGIN, login))["data"]["login"]["__typename"] == "LoginPayload"
    before = _placement()
    assert (await gql.anonymous(LOGIN, login))["data"]["login"]["__typename"] == "LoginPayload"
    inline, thread, sent_back = _delta(before, _placement())
    assert (thread, sent_back) == (1, 0)  # the COMMIT, which syncs to the disk
    assert inline >= 4  # the member's read, BEGIN, the member's update, the session's insert


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    """The client alone on a file of its own, waiting 300 ms for other processes' locks."""
    async with TortoiseContext() as context:
        # The product's own configuration picks the client for a sqlite:// URL.
        await context.init(config=tortoise_config(f"sqlite://{tmp_path / 'client.sqlite3'}?busy_timeout=300"))
        client = connections.get("default")
        assert isinstance(client, Client)
        await client.execute_script("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        yield client


def _counts(client: Client) -> Placement:
    placement = client.placement
    assert placement is not None
    return Placement(placement.inline, placement.thread, placement.sent_back)


class _Ticker:
    """Measures the longest stretch the event loop went without running this coroutine."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> _Ticker:
        self._task = asyncio.create_task(self._tick())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def test_a_long_read_is_stopped_on_the_loop_and_answered_from_the_thread(client: Client) -> None:
    before = _counts(client)
    with _Ticker() as ticker:
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        _, rows = await client.execute_query(LONG_READ)
        took = time.perf_counter() - started
    assert list(rows[0]) == [3000000]
    assert _delta(before, _counts(client)) == (0, 1, 1)
    # The loop kept running while SQLite counted: it stopped for the budget (and a progress step), not the read.
    assert took > 20 * INLINE_BUDGET
    assert ticker.longest < took / 4
    # Remembered as slow: the same read goes straight to the thread now.
    before = _counts(client)
    _, rows = await client.execute_query(LONG_READ)
    assert list(rows[0]) == [3000000]
    assert _delta(before, _counts(client)) == (0, 1, 0)


async def test_a_short_read_stopped_by_a_pause_of_the_process_stays_on_the_loop(client: Client) -> None:
    """The loop's clock counts any pause of the process (another process on the core, a profiler's
    sample): a short read that happened to be stopped by one is run on the thread, found short
    there, and runs on the loop again next time."""
    pauses = [5 * INLINE_BUDGET]

    def pause() -> int:  # the process stopped for a while, once, just as the read began
        if pauses:
            time.sleep(pauses.pop())
        return 1

    connection = client._connection
    assert connection is not None
    connection._conn.create_function("pause", 0, pause)
    # About ten thousand steps of SQLite's machine: the progress handler looks at the clock a few
    # times after the pause, and on the thread the read takes well under half the budget.
    read = "SELECT (WITH RECURSIVE n(x) AS (SELECT pause() UNION ALL SELECT x + 1 FROM n WHERE x < 1000) SELECT count(*) FROM n)"
    before = _counts(client)
    _, rows = await client.execute_query(read)
    assert list(rows[0]) == [1000]
    assert _delta(before, _counts(client)) == (0, 1, 1)  # stopped on the loop, answered from the thread
    before = _counts(client)
    _, rows = await client.execute_query(read)
    assert list(rows[0]) == [1000]
    assert _delta(before, _counts(client)) == (1, 0, 0)  # not remembered as slow: on the loop again


async def test_short_reads_run_on_the_loop(client: Client) -> None:
    await client.execute_insert("INSERT INTO item (name) VALUES (?)", ["one"])
    before = _counts(client)
    assert await client.execute_query_dict("SELECT name FROM item WHERE id = ?", [1]) == [{"name": "one"}]
    assert _delta(before, _counts(client)) == (1, 0, 0)


async def test_a_write_outside_a_transaction_stays_on_the_thread(client: Client) -> None:
    for name in ("a", "b", "c"):
        before = _counts(client)
        await client.execute_insert("INSERT INTO item (name) VALUES (?)", [name])
        # Autocommit: it syncs to the disk, so never on the loop, however short.
        assert _delta(before, _counts(client)) == (0, 1, 0)


async def test_a_short_write_in_a_transaction_moves_to_the_loop_and_rolls_back_with_it(client: Client) -> None:
    insert = "INSERT INTO item (name) VALUES (?)"
    async with client._in_transaction() as transaction:
        before = _counts(client)
        await transaction.execute_insert(insert, ["first"])
        assert _delta(before, _counts(client)) == (0, 1, 0)  # timed on the thread
        before = _counts(client)
        await transaction.execute_insert(insert, ["second"])
        assert _delta(before, _counts(client)) == (1, 0, 0)
        await transaction.rollback()
    assert await client.execute_query_dict("SELECT name FROM item") == []
    async with client._in_transaction() as transaction:
        await transaction.execute_insert(insert, ["kept"])
    assert await client.execute_query_dict("SELECT name FROM item") == [{"name": "kept"}]


async def test_another_process_write_lock_is_waited_for_on_the_thread(client: Client) -> None:
    insert = "INSERT INTO item (name) VALUES (?)"
    async with client._in_transaction() as transaction:  # make the insert a known-short write
        await transaction.execute_insert(insert, ["warm"])
    other = sqlite3.connect(client.filename, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another process's write lock
    try:

        async def write() -> None:
            async with client._in_transaction() as transaction:
                await transaction.execute_insert(insert, ["waited"])

        before = _counts(client)
        with _Ticker() as ticker:
            task = asyncio.create_task(write())
            deadline = time.monotonic() + 5
            while _counts(client).sent_back == before.sent_back and not task.done():
                assert time.monotonic() < deadline, "the write never met the lock"
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)  # the lock is still held: the write waits, on the thread
            assert not task.done()
            other.execute("COMMIT")
            await asyncio.wait_for(task, 5)
        assert ticker.longest < 0.15  # the loop kept running while the thread waited
        assert _delta(before, _counts(client))[2] == 1
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    names = [row["name"] for row in await client.execute_query_dict("SELECT name FROM item ORDER BY id")]
    assert names == ["warm", "waited"]


async def test_a_lock_held_past_the_busy_timeout_is_refused(client: Client) -> None:
    other = sqlite3.connect(client.filename, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="locked"):
            async with client._in_transaction() as transaction:
                await transaction.execute_insert("INSERT INTO item (name) VALUES (?)", ["refused"])
        assert time.monotonic() - started >= 0.3 * 0.9  # it waited the client's 300 ms first
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await client.execute_query_dict("SELECT name FROM item") == []
