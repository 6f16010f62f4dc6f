"""The audit trail: every state change of a member, written in the change's transaction.

Each event is also queued as a signed webhook call when ``MEMBERS_WEBHOOK_URL`` is set.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.db.models import MemberEvent
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
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


def _cursor(event: MemberEvent) -> str:
    raw = json.dumps([event.created_at.isoformat(), str(event.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str) -> Q:
    try:
        created, event_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        created_at = datetime.fromisoformat(created)
        # The leading range lets the (member_id, created_at, id) index seek to the cursor.
        return Q(created_at__gte=created_at) & (Q(created_at__gt=created_at) | Q(id__gt=uuid.UUID(event_id)))
    except (ValueError, TypeError):
        raise DomainError(ErrorCode.INVALID_ARGUMENT, "The cursor is malformed.", property="after") from None


async def list_events(caller: Caller, member_id: str, first: int, after: str | None) -> EventPage:
    caller.require_backend()
    check_page_size(first)
    try:
        parsed = uuid.UUID(member_id)
    except ValueError:
        return EventPage(items=[], has_next_page=False)
    query = MemberEvent.filter(member_id=parsed)
    if after:
        query = query.filter(_after(after))
    rows = await query.order_by("created_at", "id").limit(first + 1) if first else []
    return EventPage(items=[(row, _cursor(row)) for row in rows[:first]], has_next_page=len(rows) > first)
