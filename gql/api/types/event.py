from __future__ import annotations

from datetime import datetime

import strawberry

from gql.api.scalars import JSON
from gql.db.models import MemberEvent as EventRow
from gql.domain.events import EventPage


@strawberry.type(description="One state change of a member, with who made it.")
class MemberEvent:
    id: strawberry.ID
    member_id: strawberry.ID
    kind: str = strawberry.field(
        description="REGISTERED, APPROVED, BLOCKED, UNBLOCKED, EMAIL_CONFIRMED, PASSWORD_CHANGED, …"
    )
    actor: str = strawberry.field(description="anonymous, member or backend")
    actor_member_id: strawberry.ID | None
    data: JSON
    created_date: datetime

    @classmethod
    def from_row(cls, row: EventRow) -> MemberEvent:
        return cls(
            id=strawberry.ID(str(row.id)),
            member_id=strawberry.ID(str(row.member_id)),
            kind=row.kind,
            actor=row.actor,
            actor_member_id=strawberry.ID(str(row.actor_member_id)) if row.actor_member_id else None,
            data=row.data,
            created_date=row.created_at,
        )


@strawberry.type
class MemberEventEdge:
    node: MemberEvent
    cursor: str


@strawberry.type
class MemberEventConnection:
    edges: list[MemberEventEdge]
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_domain(cls, page: EventPage) -> MemberEventConnection:
        edges = [MemberEventEdge(node=MemberEvent.from_row(row), cursor=cursor) for row, cursor in page.items]
        return cls(edges=edges, has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None)
