"""The Subscription root: audit events live, over WebSocket (graphql-transport-ws, gql/api/websocket.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from contextvars import ContextVar
from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.types.enums import MemberEventKind
from gql.api.types.event import MemberEvent
from gql.domain import events
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.event_feed import EventFilter
from gql.domain.lookup import parse_id

# Set by the WebSocket's protocol handler for each subscribe message (the operation's task
# inherits it): the subscription sets it once it listens, so that the handler answers the
# client's next message only after that (a ping's pong then means "subscribed").
LIVE: ContextVar[asyncio.Event | None] = ContextVar("gql_subscription_live", default=None)
# How long a new subscription waits for this process's listener to be connected.
READY_SECONDS = 5.0
# WebSocket close code for a subscriber that fell behind: "try again later" (graphql-ws
# clients reconnect and subscribe again on it).
TOO_SLOW = 1013


@strawberry.type(description="What can be watched live, over a WebSocket at /graphql (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(
        description="Every audit event as it is committed, by any server process, from now on (REGISTERED, "
        "APPROVED, BLOCKED, …). Backend only: others get an error with extensions.code 3029. A subscriber that "
        "falls behind is disconnected (close code 1013); read what it missed with the memberEvents query."
    )
    async def member_events(
        self,
        info: Info[Context, None],
        member_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this member's events (default: every member's)."),
        ] = None,
        kinds: Annotated[
            list[MemberEventKind] | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only events of these kinds (default: every kind)."),
        ] = None,
    ) -> AsyncGenerator[MemberEvent, None]:
        # Checked before the stream starts, so a refusal is the operation's error message.
        await events.require_reader(await info.context.caller())
        wanted = EventFilter(
            member_id=_member_id(member_id),
            kinds=frozenset(events.EventKind[kind.name] for kind in kinds) if kinds is not None else None,
        )
        return _stream(info.context, wanted)


def _member_id(value: strawberry.ID | None) -> uuid.UUID | None:
    if value is None:
        return None
    parsed = parse_id(str(value))
    if parsed is None:
        raise DomainError(ErrorCode.INVALID_ARGUMENT, "memberId is not a member id.", property="memberId")
    return parsed


async def _stream(context: Context, wanted: EventFilter) -> AsyncGenerator[MemberEvent, None]:
    feed = context.services.event_feed

    def too_slow() -> None:
        if context.close_connection is not None:
            context.close_connection(
                TOO_SLOW,
                f"Too slow: {feed.queue_size} events waited unread; subscribe again and read the rest with memberEvents",
            )

    subscriber = feed.subscribe(wanted, too_slow)
    try:
        await feed.ready(READY_SECONDS)
        live = LIVE.get()
        if live is not None:
            live.set()
        async for event in subscriber:
            yield MemberEvent.from_domain(event)
    finally:
        subscriber.close()
