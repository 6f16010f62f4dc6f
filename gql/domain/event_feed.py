"""Live audit events for this process's subscribers: one listener, bounded queues, filters.

Events reach every process through the configured channel (gql/db/event_channel.py: Redis,
PostgreSQL LISTEN/NOTIFY, or the SQLite table), never through this process's memory alone:
an event committed by any process reaches the subscribers of every process, and one that
rolled back reaches nobody.

The channel's listener runs only while this process has subscribers: the first one starts it,
the last one to leave stops it. It hands each event to every subscriber whose filter takes it,
through a queue of ``queue_size`` events per subscriber. A subscriber whose queue is full
cannot keep up: it is dropped at once (its queue emptied) and told so through its
``on_overflow``, instead of letting its backlog grow.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.event_channel import EventChannel
from gql.db.models import MemberEvent
from gql.domain.events import EventKind, EventRecord

logger = logging.getLogger("gql.events")


@dataclass(frozen=True)
class EventFilter:
    """Which events a subscriber wants: one member's (or all), of some kinds (or all)."""

    member_id: uuid.UUID | None = None
    kinds: frozenset[EventKind] | None = None

    def matches(self, event: EventRecord) -> bool:
        return (self.member_id is None or event.member_id == self.member_id) and (
            self.kinds is None or event.kind in self.kinds
        )


class Subscriber:
    """One subscription's end of the feed: iterate it for the events its filter takes."""

    def __init__(self, feed: EventFeed, wanted: EventFilter, queue_size: int, on_overflow: Callable[[], None]) -> None:
        self.feed = feed
        self.wanted = wanted
        self.on_overflow = on_overflow
        self.overflowed = False
        # None marks the end: the subscriber was dropped for falling behind.
        self._queue: asyncio.Queue[EventRecord | None] = asyncio.Queue(queue_size)

    def offer(self, event: EventRecord) -> bool:
        """Queue the event if wanted; False when the queue is full."""
        if not self.wanted.matches(event):
            return True
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def drop(self) -> None:
        """Fell behind: free the backlog, end the iteration, tell the owner."""
        self.overflowed = True
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)
        self.on_overflow()

    def __aiter__(self) -> AsyncIterator[EventRecord]:
        return self

    async def __anext__(self) -> EventRecord:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        self.feed.unsubscribe(self)


class EventFeed:
    def __init__(self, channel: EventChannel, queue_size: int) -> None:
        self.channel = channel
        self.queue_size = queue_size
        self._subscribers: set[Subscriber] = set()
        self._ready = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def store(self, row: MemberEvent, connection: BaseDBAsyncClient | None) -> None:
        """Write an audit row in the change's transaction; subscribers everywhere get it once committed."""
        await self.channel.store(row, connection)

    def subscribe(self, wanted: EventFilter, on_overflow: Callable[[], None]) -> Subscriber:
        subscriber = Subscriber(self, wanted, self.queue_size, on_overflow)
        self._subscribers.add(subscriber)
        if self._listener is None:
            self._ready.clear()
            self._listener = asyncio.get_running_loop().create_task(self._listen(), name="event-listener")
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        if not self._subscribers and self._listener is not None:
            self._listener.cancel()
            self._listener = None
            self._ready = asyncio.Event()  # the cancelled listener may still set the old one

    async def ready(self, timeout: float) -> bool:
        """Wait until events committed from now on reach this process's subscribers; False on timeout."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def _listen(self) -> None:
        """The channel's listener, restarted should it ever fail for a reason it does not handle
        itself (outages it does): subscribers must not wait forever on a listener that died."""
        while True:
            try:
                await self.channel.listen(self._deliver, self._ready)
            except Exception:
                logger.exception("event listener failed; restarting it")
                self._ready.clear()
                await asyncio.sleep(1.0)

    def _deliver(self, row: MemberEvent) -> None:
        event = EventRecord.of(row)
        for subscriber in list(self._subscribers):
            if not subscriber.offer(event):
                self._subscribers.discard(subscriber)
                logger.debug("subscriber dropped: %d events were waiting for it", self.queue_size)
                subscriber.drop()  # its owner then closes it, which stops the listener if it was the last

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            self._listener = None
        await self.channel.close()
