"""The audit trail: a member's events and their connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from gql.api.scalars import JSON
from gql.api.types.enums import EventActor, MemberEventKind
from gql.api.types.node import Node
from gql.api.types.page_info import PageInfo
from gql.domain.events import EventRecord
from gql.domain.paging import Page


@strawberry.type(description="One state change of a member, with who made it.")
class MemberEvent(Node):
    member_id: strawberry.ID = strawberry.field(description="The member the event is about (it may be deleted since).")
    kind: MemberEventKind = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    actor: EventActor = strawberry.field(description="Who made the change.")  # type: ignore[valid-type]
    actor_member_id: strawberry.ID | None = strawberry.field(description="The acting member, when a member acted.")
    data: JSON = strawberry.field(
        description='Details of the change, e.g. {"by": "token"} or {"fields": ["nickname"]}.'
    )
    created_date: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_domain(cls, event: EventRecord) -> MemberEvent:
        return cls(
            id=strawberry.ID(str(event.id)),
            member_id=strawberry.ID(str(event.member_id)),
            kind=MemberEventKind[event.kind.name],
            actor=EventActor[event.actor.name],
            actor_member_id=strawberry.ID(str(event.actor_member_id)) if event.actor_member_id else None,
            data=event.data,
            created_date=event.created_at,
        )


@strawberry.type(description="One event of a page, with its cursor.")
class MemberEventEdge:
    node: MemberEvent = strawberry.field(description="The event.")
    cursor: str = strawberry.field(description="Opaque; valid only for this member's trail.")


@strawberry.type(description="A page of a member's audit trail, oldest first (Relay connection).")
class MemberEventConnection:
    edges: list[MemberEventEdge] = strawberry.field(description="The events of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All events of the member; counted only when asked for.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def from_domain(cls, page: Page[EventRecord]) -> MemberEventConnection:
        return cls(
            edges=[MemberEventEdge(node=MemberEvent.from_domain(event), cursor=cursor) for event, cursor in page.items],
            page_info=PageInfo.from_domain(page),
            _count=page.count,
        )
