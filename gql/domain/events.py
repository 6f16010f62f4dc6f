"""The audit trail: every state change of a member, written in the change's transaction.

Each event is also queued as a signed webhook call when ``MEMBERS_WEBHOOK_URL`` is set.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.db.models import MemberEvent
from gql.domain.caller import Caller
from gql.domain.cursors import Cursors, Listing, Position
from gql.domain.outbox import queue_webhook
from gql.domain.paging import check_page_size
from gql.domain.services import Services


class EventKind(Enum):
    REGISTERED = "REGISTERED"
    CREATED = "CREATED"
    GUEST_CREATED = "GUEST_CREATED"
    APPROVED = "APPROVED"
    BLOCKED = "BLOCKED"
    UNBLOCKED = "UNBLOCKED"
    EMAIL_CONFIRMED = "EMAIL_CONFIRMED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    PROFILE_UPDATED = "PROFILE_UPDATED"
    LOGIN_EMAIL_CHANGED = "LOGIN_EMAIL_CHANGED"
    DELETED = "DELETED"


async def record(
    services: Services,
    connection: BaseDBAsyncClient | None,
    caller: Caller,
    member_id: uuid.UUID,
    kind: EventKind,
    **data: Any,
) -> MemberEvent:
    event = await MemberEvent.create(
        member_id=member_id,
        kind=kind.value,
        actor=caller.kind.value,
        actor_member_id=caller.member_id,
        data=data,
        created_at=datetime.now(timezone.utc),
        using_db=connection,
    )
    await queue_webhook(
        services,
        connection,
        {
            "id": str(event.id),
            "type": f"member.{kind.value.lower()}",
            "memberId": str(member_id),
            "actor": caller.kind.value,
            "actorMemberId": str(caller.member_id) if caller.member_id else None,
            "data": data,
            "createdDate": event.created_at.isoformat(),
        },
    )
    return event


@dataclass(frozen=True)
class EventPage:
    items: list[tuple[MemberEvent, str]]
    has_next_page: bool


def _listing(member_id: uuid.UUID) -> Listing:
    """Events cursors are bound to the member whose trail they page through."""
    return Listing(("memberEvents", str(member_id), "CREATED_DATE", "ASC"), datetime)


def _after(position: Position) -> Q:
    # The leading range lets the (member_id, created_at, id) index seek to the cursor.
    created_at, event_id = position.key, position.row_id
    return Q(created_at__gte=created_at) & (Q(created_at__gt=created_at) | Q(id__gt=event_id))


async def list_events(caller: Caller, cursors: Cursors, member_id: str, first: int, after: str | None) -> EventPage:
    caller.require_backend()
    check_page_size(first)
    try:
        parsed = uuid.UUID(member_id)
    except ValueError:
        return EventPage(items=[], has_next_page=False)
    listing = _listing(parsed)
    query = MemberEvent.filter(member_id=parsed)
    if after:
        query = query.filter(_after(cursors.decode(listing, after)))
    rows = await query.order_by("created_at", "id").limit(first + 1) if first else []
    return EventPage(
        items=[(row, cursors.encode(listing, Position(row.created_at, row.id))) for row in rows[:first]],
        has_next_page=len(rows) > first,
    )
