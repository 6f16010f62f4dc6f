"""The event feed in-process, on the real database and channel (and on Redis): what is
published once committed, and what never is.

The listener is the real one (its own PostgreSQL connection, Redis subscription or table
reads), so a rolled-back transaction is tested against the channel itself, not against
this process's memory.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio

from gql.config import Config
from gql.db.models import MemberEvent
from gql.db.pg_events import MAX_PAYLOAD_BYTES
from gql.db.transactions import in_transaction
from gql.domain import events
from gql.domain.caller import BACKEND
from gql.domain.event_feed import EventFeed, EventFilter, Subscriber
from gql.domain.events import EventKind, EventRecord
from gql.domain.services import Services
from tests.conftest import new_app, running

REDIS_URL = os.environ.get("MEMBERS_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
WAIT = 15.0


def redis_settings(settings: Config) -> Config:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        if os.environ.get("MEMBERS_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis not reachable at {REDIS_URL} and MEMBERS_REQUIRE_REDIS=1")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return replace(settings, redis_url=REDIS_URL, redis_prefix=f"members-test-{uuid.uuid4().hex[:8]}:")


@pytest_asyncio.fixture(params=["database", "redis"])
async def channel_services(request: pytest.FixtureRequest, settings: Config) -> AsyncIterator[Services]:
    """The app's services, with the database's own channel or with Redis (``…[redis]``)."""
    configured = redis_settings(settings) if request.param == "redis" else settings
    configured = replace(configured, subscription_queue_size=3, event_poll_seconds=0.05)
    async with running(new_app(configured, run_worker=False)) as services:
        yield services


async def listening(feed: EventFeed, wanted: EventFilter | None = None) -> tuple[Subscriber, list[str]]:
    overflows: list[str] = []
    subscriber = feed.subscribe(wanted or EventFilter(), lambda: overflows.append("overflow"))
    assert await feed.ready(WAIT), "the listener did not connect"
    return subscriber, overflows


async def next_event(subscriber: Subscriber) -> EventRecord:
    return await asyncio.wait_for(anext(subscriber), WAIT)


async def test_a_rolled_back_change_publishes_nothing(channel_services: Services) -> None:
    services = channel_services
    subscriber, _ = await listening(services.event_feed)
    member_id = uuid.uuid4()
    with pytest.raises(RuntimeError, match="rolled back"):
        async with in_transaction() as connection:
            await events.record(services, connection, BACKEND, member_id, EventKind.BLOCKED)
            raise RuntimeError("rolled back")
    async with in_transaction() as connection:
        await events.record(services, connection, BACKEND, member_id, EventKind.UNBLOCKED)

    received = await next_event(subscriber)
    assert (received.kind, received.member_id) == (EventKind.UNBLOCKED, member_id)
    assert [row.kind for row in await MemberEvent.filter(member_id=member_id)] == ["UNBLOCKED"]
    subscriber.close()


async def test_an_event_too_long_for_a_notification_arrives_whole(channel_services: Services) -> None:
    services = channel_services
    subscriber, _ = await listening(services.event_feed)
    member_id = uuid.uuid4()
    long_text = "x" * (MAX_PAYLOAD_BYTES + 100)  # PostgreSQL sends only the id; the listener reads the row
    async with in_transaction() as connection:
        await events.record(services, connection, BACKEND, member_id, EventKind.PROFILE_UPDATED, note=long_text)
    received = await next_event(subscriber)
    assert received.member_id == member_id and received.data == {"note": long_text}
    subscriber.close()


async def test_a_subscriber_that_falls_behind_is_dropped_and_the_others_keep_receiving(
    channel_services: Services,
) -> None:
    services = channel_services
    feed = services.event_feed
    slow, slow_overflows = await listening(feed)
    fast, fast_overflows = await listening(feed)
    member_id = uuid.uuid4()
    received: list[EventKind] = []
    for kind in [EventKind.BLOCKED, EventKind.UNBLOCKED] * 3:  # six events; the queues hold three
        async with in_transaction() as connection:
            await events.record(services, connection, BACKEND, member_id, kind)
        received.append((await next_event(fast)).kind)
    assert received == [EventKind.BLOCKED, EventKind.UNBLOCKED] * 3
    assert slow_overflows == ["overflow"] and fast_overflows == []
    assert slow.overflowed
    # Its backlog was freed: the iteration ends at once, nothing of it kept.
    assert [event async for event in slow] == []
    assert feed.subscriber_count == 1
    slow.close()
    fast.close()
    assert feed.subscriber_count == 0


async def test_filters_take_one_members_events_of_some_kinds(channel_services: Services) -> None:
    services = channel_services
    feed = services.event_feed
    mine, other = uuid.uuid4(), uuid.uuid4()
    wanted, _ = await listening(feed, EventFilter(member_id=mine, kinds=frozenset({EventKind.BLOCKED})))
    everything, _ = await listening(feed)
    for member_id, kind in [(other, EventKind.BLOCKED), (mine, EventKind.UNBLOCKED), (mine, EventKind.BLOCKED)]:
        async with in_transaction() as connection:
            await events.record(services, connection, BACKEND, member_id, kind)
    assert [(await next_event(everything)).kind for _ in range(3)] == [
        EventKind.BLOCKED,
        EventKind.UNBLOCKED,
        EventKind.BLOCKED,
    ]
    only = await next_event(wanted)
    assert (only.member_id, only.kind) == (mine, EventKind.BLOCKED)
    wanted.close()
    everything.close()
