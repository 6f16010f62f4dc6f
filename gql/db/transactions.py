"""Transactions that know when they committed: ``in_transaction`` and ``after_commit``.

Some effects of a write must wait until the write is visible to others: waking this process's
outbox worker is useless, and a race, while the row it should find is still uncommitted. So a
write registers such an effect with ``after_commit`` and the transaction runs it once its
COMMIT has succeeded; nothing runs when it rolls back.

Every transaction of the domain is opened with ``in_transaction`` from here, a drop-in for
Tortoise's. An effect registered inside a transaction this module did not open raises, so a
forgotten import fails the first test that writes there instead of waking nobody.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.transactions import in_transaction as tortoise_transaction


@dataclass
class _Pending:
    # The transaction's connection and, when it is a savepoint, those of the transactions around
    # it: a write through any of them inside this block commits or rolls back with it.
    connections: tuple[BaseDBAsyncClient, ...]
    callbacks: list[Callable[[], None]] = field(default_factory=list)

    def covers(self, connection: BaseDBAsyncClient) -> bool:
        return any(connection is mine for mine in self.connections)


_pending: ContextVar[_Pending | None] = ContextVar("gql_after_commit", default=None)


@asynccontextmanager
async def in_transaction() -> AsyncIterator[BaseDBAsyncClient]:
    """Tortoise's ``in_transaction()``, running the ``after_commit`` effects once it committed.

    Nested, it is a savepoint: its effects join the enclosing transaction's and wait for that
    one's COMMIT (a savepoint rolled back drops them).
    """
    enclosing = _pending.get()
    async with tortoise_transaction() as connection:
        pending = _Pending((connection, *(enclosing.connections if enclosing else ())))
        token = _pending.set(pending)
        try:
            yield connection
        finally:
            _pending.reset(token)
    # Reached only when the block and its COMMIT (or RELEASE SAVEPOINT) succeeded.
    if enclosing is not None:
        enclosing.callbacks.extend(pending.callbacks)
        return
    for callback in pending.callbacks:
        callback()


def after_commit(connection: BaseDBAsyncClient | None, callback: Callable[[], None]) -> None:
    """Run ``callback`` once what was just written through ``connection`` is committed: at once
    outside a transaction (each statement commits by itself), else after the transaction's COMMIT."""
    current = connection or connections.get("default")
    if not isinstance(current, TransactionalDBClient):
        callback()
        return
    pending = _pending.get()
    if pending is None or not pending.covers(current):
        raise RuntimeError(
            "written in a transaction not opened by gql.db.transactions.in_transaction: "
            "nothing would run after its commit"
        )
    pending.callbacks.append(callback)
