"""The outbox worker is woken after the writer's COMMIT, never before (gql/db/transactions.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Literal

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.transactions import in_transaction as tortoise_transaction

from gql.config import Config
from gql.db.models import Member, OutboxMessage
from gql.db.transactions import in_transaction
from gql.domain.outbox import queue_email
from gql.domain.services import Services
from tests.conftest import mailing_app
from tests.mailbox import Mailbox


def someone(n: int = 0) -> Member:
    return Member(login_email=f"after{n}@example.com", nickname=f"after{n}")


@pytest.fixture
def quiet(services: Services) -> Services:
    """The app's services with its wake-up event cleared (other writes of the test set it)."""
    services.outbox_wakeup.clear()
    return services


async def test_the_wakeup_fires_after_the_commit_not_inside_the_transaction(quiet: Services) -> None:
    async with in_transaction() as connection:
        await queue_email(quiet, connection, "member_approved", someone())
        assert not quiet.outbox_wakeup.is_set()  # the row is not visible to the worker yet
    assert quiet.outbox_wakeup.is_set()
    assert await OutboxMessage.all().count() == 1


async def test_a_rolled_back_write_wakes_nobody(quiet: Services) -> None:
    with pytest.raises(RuntimeError, match="the change failed"):
        async with in_transaction() as connection:
            await queue_email(quiet, connection, "member_approved", someone())
            raise RuntimeError("the change failed")
    assert not quiet.outbox_wakeup.is_set()
    assert await OutboxMessage.all().count() == 0


async def test_a_savepoint_waits_for_the_outer_commit_and_a_rolled_back_one_is_dropped(quiet: Services) -> None:
    async with in_transaction():
        async with in_transaction() as inner:
            await queue_email(quiet, inner, "member_approved", someone(1))
        assert not quiet.outbox_wakeup.is_set()  # released, but the transaction is still open
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await queue_email(quiet, None, "member_approved", someone(2))
                raise RuntimeError("rolled back to the savepoint")
    assert quiet.outbox_wakeup.is_set()
    assert [m.recipient for m in await OutboxMessage.all()] == ["after1@example.com"]


async def test_outside_a_transaction_the_wakeup_is_at_once(quiet: Services) -> None:
    await queue_email(quiet, None, "member_approved", someone())
    assert quiet.outbox_wakeup.is_set()


async def test_a_transaction_opened_behind_the_helpers_back_is_refused(quiet: Services) -> None:
    """Nobody could wake the worker after a commit this module never sees: fail loudly instead."""
    with pytest.raises(RuntimeError, match="gql.db.transactions.in_transaction"):
        async with tortoise_transaction() as connection:
            await queue_email(quiet, connection, "member_approved", someone())
    assert await OutboxMessage.all().count() == 0


class WatchedWakeup(asyncio.Event):
    """The worker's wake-up, telling the test when the worker has gone to sleep on it."""

    def __init__(self) -> None:
        super().__init__()
        self.sleeping = asyncio.Event()

    async def wait(self) -> Literal[True]:
        self.sleeping.set()
        try:
            return await super().wait()
        finally:
            self.sleeping.clear()


@pytest_asyncio.fixture
async def slow_polling_app(settings: Config, mailbox: Mailbox) -> AsyncIterator[Starlette]:
    """The app with its worker running, polling only once a minute: mail sent sooner was woken."""
    async with mailing_app(settings, mailbox, poll_seconds=60, outbox_wakeup=WatchedWakeup()) as application:
        yield application


async def test_mail_committed_in_a_transaction_goes_out_without_waiting_for_the_poll(
    slow_polling_app: Starlette, mailbox: Mailbox
) -> None:
    services: Services = slow_polling_app.state.services
    # The worker has made its first (empty) pass and sleeps until the next poll, a minute away:
    # only the wake-up can send the mail sooner. (Not a sleep that hopes the worker got there.)
    wakeup = services.outbox_wakeup
    assert isinstance(wakeup, WatchedWakeup)
    await asyncio.wait_for(wakeup.sleeping.wait(), timeout=20)
    started = time.monotonic()
    async with in_transaction() as connection:
        await queue_email(services, connection, "member_approved", someone())
        # The writer goes on inside its transaction (as a change writing its audit row does): a
        # worker woken now would look, find nothing committed, and sleep until its next poll.
        for _ in range(5):
            await connection.execute_query("SELECT 1")
    await mailbox.wait_for("after0@example.com", timeout=20)
    assert time.monotonic() - started < 30  # well before the next poll
