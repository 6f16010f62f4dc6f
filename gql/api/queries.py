from __future__ import annotations

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.types.connection import MemberConnection, MemberFilter, MemberSort
from gql.api.types.event import MemberEventConnection
from gql.api.types.member import Member
from gql.api.types.settings import RegistrationSettings
from gql.domain import events, members
from gql.domain.paging import DEFAULT_PAGE_SIZE


@strawberry.type
class Queries:
    @strawberry.field(description="The logged-in member (Authorization: Bearer), or null.")
    async def current_member(self, info: Info[Context, None]) -> Member | None:
        view = await members.current_member(await info.context.caller())
        return Member.from_domain(view) if view else None

    @strawberry.field(description="A member by id; null when it does not exist or is hidden from the caller.")
    async def member(self, info: Info[Context, None], id: strawberry.ID) -> Member | None:
        view = await members.get_member(await info.context.caller(), str(id))
        return Member.from_domain(view) if view else None

    @strawberry.field(
        description="Members the caller may see, a page at a time (first: 0..100, default 50). "
        "Errors: 3209 for a bad cursor or page size, 3029 for emailPrefix without the backend key."
    )
    async def members(
        self,
        info: Info[Context, None],
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        filter: MemberFilter | None = None,
        sort: MemberSort | None = None,
    ) -> MemberConnection:
        page = await members.list_members(
            await info.context.caller(),
            info.context.services.cursors,
            DEFAULT_PAGE_SIZE if first is None else first,
            after,
            (filter or MemberFilter()).to_domain(),
            (sort or MemberSort()).to_domain(),
        )
        return MemberConnection.from_domain(page)

    @strawberry.field(description="Backend only (3029 otherwise).")
    async def registration_settings(self, info: Info[Context, None]) -> RegistrationSettings | None:
        (await info.context.caller()).require_backend()
        return RegistrationSettings.from_domain(await info.context.services.settings.get())

    @strawberry.field(description="Backend only. The member's audit trail, oldest first (first: 0..100).")
    async def member_events(
        self,
        info: Info[Context, None],
        member_id: strawberry.ID,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> MemberEventConnection:
        size = DEFAULT_PAGE_SIZE if first is None else first
        caller = await info.context.caller()
        page = await events.list_events(caller, info.context.services.cursors, str(member_id), size, after)
        return MemberEventConnection.from_domain(page)
