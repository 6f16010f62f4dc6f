"""SQLite through Tortoise, with the short statements run on the event loop's own thread.

aiosqlite runs every call on a thread of its own: each statement is a hand-off to that
thread (a futex wake-up) and back (a wake-up of the loop through its self-pipe). For the
statements of a sign-in — a row by its key, tens of microseconds inside SQLite — the
hand-offs cost more than the statements: issue 18's profile put them at 10–33 % of a
sign-in's server CPU. This client runs on the loop's thread only what cannot keep the
loop waiting:

- a ``SELECT``, under a progress handler that stops it once it runs past ``INLINE_BUDGET``;
  it is then run again on the thread (a read stopped half-way changed nothing, so running it
  again is safe), timed there: a read that is slow there too goes to the thread from then on,
  until a run there takes under half the budget. The loop's clock counts any pause of the
  process (another process on the core, a profiler's sample), so one stop does not make a
  read slow: the run on the thread says whether it was the read or the pause;
- a write inside a transaction (nothing reaches the disk before ``COMMIT``) whose SQL ran
  within ``INLINE_BUDGET`` each time it ran before; its first run is on the thread;
- ``BEGIN``, and ``SAVEPOINT``, ``ROLLBACK TO``, ``RELEASE`` inside a transaction; a
  ``COMMIT`` or ``ROLLBACK`` with no transaction open (Tortoise sends one before each BEGIN).

Everything that syncs to the disk — ``COMMIT``, a write outside a transaction — and
everything else stays on the thread, so the loop never waits for the disk.

Other processes' locks: the connection itself never waits for one (its busy timeout is 0),
so a statement on the loop that finds another process writing fails at once with
SQLITE_BUSY and is run again on the thread, which waits for the lock as long as the
configured ``busy_timeout`` says, as SQLite's own busy handler would have.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiosqlite
from tortoise.backends.sqlite.client import SqliteClient

# Longest a statement may keep the event loop: a read past it is stopped and sent to the thread.
INLINE_BUDGET = 0.002
# The progress handler runs every this many SQLite VM instructions (tens of microseconds).
_PROGRESS_STEPS = 2000
# SQL texts remembered as fast writes or slow reads; Tortoise's statements are a few dozen.
_REMEMBERED = 1024

_SQLITE_BUSY = 5
_SQLITE_BUSY_SNAPSHOT = 517  # a stale read snapshot: waiting cannot help, SQLite does not wait either
_SQLITE_INTERRUPT = 9


@dataclass
class Placement:
    """Where the connection's calls ran: read by tests and the benchmark, not by the product."""

    inline: int = 0
    thread: int = 0
    sent_back: int = 0  # started on the loop, then run on the thread (too slow, or busy)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


def _is_interrupt(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == _SQLITE_INTERRUPT


class _Connection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout_ms: int) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._busy_timeout_ms = busy_timeout_ms
        self._fast_writes: set[str] = set()
        self._slow_reads: set[str] = set()
        self._deadline = 0.0
        self.placement = Placement()

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._running and self._connection is not None and not kwargs:
            connection = self._connection
            route = self._route(connection, fn, args)
            if route is not None:
                try:
                    result = route(fn, args)
                except sqlite3.OperationalError as error:
                    if not (_is_busy(error) or (_is_interrupt(error) and route == self._read)):
                        raise
                    self.placement.sent_back += 1  # the thread's run says whether the read is slow
                else:
                    self.placement.inline += 1
                    return result
        self.placement.thread += 1
        return await super()._execute(self._on_thread, fn, args, kwargs)

    def _route(
        self, connection: sqlite3.Connection, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> Callable[[Callable[..., Any], tuple[Any, ...]], Any] | None:
        """How to run ``fn`` on the loop, or None for the thread."""
        owner, name = getattr(fn, "__self__", None), getattr(fn, "__name__", "")
        if owner is connection and name in ("commit", "rollback"):
            # With no transaction open there is nothing to write: Tortoise's BEGIN sends one first.
            return None if connection.in_transaction else self._plain
        statement = owner is connection and name == "execute"
        statement = statement or (owner is self and name in ("_execute_fetchall", "_execute_insert"))
        if not statement or not args or not isinstance(args[0], str):
            return None
        sql: str = args[0]
        verb = sql.lstrip()[:11].upper()
        if verb.startswith("SELECT"):
            return None if sql in self._slow_reads else self._read
        if verb.startswith("BEGIN"):
            return None if connection.in_transaction else self._plain
        if not connection.in_transaction:
            return None  # autocommit: it would sync to the disk on the loop
        if verb.startswith(("SAVEPOINT", "ROLLBACK TO", "RELEASE")):
            return self._plain
        return self._write if sql in self._fast_writes else None

    def _plain(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        return fn(*args)

    def _read(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        connection = self._conn
        self._deadline = time.perf_counter() + INLINE_BUDGET
        connection.set_progress_handler(self._past_deadline, _PROGRESS_STEPS)
        try:
            return fn(*args)
        finally:
            connection.set_progress_handler(None, 0)

    def _write(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            if time.perf_counter() - started > INLINE_BUDGET:
                self._fast_writes.discard(args[0])  # it kept the loop once; the thread from now on

    def _past_deadline(self) -> bool:
        return time.perf_counter() > self._deadline

    def _on_thread(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Runs on aiosqlite's thread: waits for other processes' locks, and times reads, and
        writes in a transaction, so that the fast ones may run on the loop next time."""
        connection = self._conn
        waits = self._busy_timeout_ms > 0 and getattr(fn, "__name__", "") != "close"
        if waits:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        try:
            in_transaction = connection.in_transaction
            started = time.perf_counter()
            result = fn(*args, **kwargs)
            took = time.perf_counter() - started
            if args and isinstance(args[0], str):
                sql = args[0]
                verb = sql.lstrip()[:6].upper()
                if verb == "SELECT":
                    if took > INLINE_BUDGET:
                        self._remember(self._slow_reads, sql)
                    elif took <= INLINE_BUDGET / 2:  # not at the edge: it would go back and forth
                        self._slow_reads.discard(sql)
                elif in_transaction and verb in ("INSERT", "UPDATE", "DELETE"):
                    if took <= INLINE_BUDGET:
                        self._remember(self._fast_writes, sql)
                    else:
                        self._fast_writes.discard(sql)
            return result
        finally:
            if waits:
                connection.execute("PRAGMA busy_timeout = 0")

    @staticmethod
    def _remember(texts: set[str], sql: str) -> None:
        # Called from both threads; a set's add is atomic under the GIL.
        if len(texts) < _REMEMBERED:
            texts.add(sql)


class Client(SqliteClient):
    """Tortoise's SQLite client on ``_Connection``. Selected by ``gql.db.setup.tortoise_config``."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        super().__init__(file_path, **kwargs)
        # Kept by the thread (see the module's docstring), not set on the connection.
        self.busy_timeout_ms = int(self.pragmas.pop("busy_timeout", 0) or 0)
        self.pragmas.pop("install_regexp_functions", None)

    async def create_connection(self, with_db: bool) -> None:
        if self._connection:
            return
        connector = partial(sqlite3.connect, self.filename, isolation_level=None, timeout=0, check_same_thread=False)
        connection = _Connection(connector, self.busy_timeout_ms)
        self._connection = await connection
        self._connection._conn.row_factory = sqlite3.Row
        for pragma, value in self.pragmas.items():
            cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
            await cursor.close()
        await self._post_connect()

    @property
    def placement(self) -> Placement | None:
        connection = self._connection
        return connection.placement if isinstance(connection, _Connection) else None


client_class = Client
