from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from gql.api.types.any_member import AnyMember
from gql.api.types.member import any_member
from gql.api.types.page_info import PageInfo
from gql.domain.paging import Page
from gql.domain.records import MemberView


@strawberry.type(description="One member of a page, with its cursor.")
class MemberEdge:
    node: AnyMember = strawberry.field(description="The member as the caller may see it.")
    cursor: str = strawberry.field(description="Opaque; valid only in the listing and sort order that issued it.")


@strawberry.type(
    description="A page of members (Relay connection, keyset pagination: `first`/`after` forward, `last`/`before` "
    "backward)."
)
class MemberConnection:
    edges: list[MemberEdge] = strawberry.field(description="The members of this page, in the listing's order.")
    page_info: PageInfo = strawberry.field(description="Where this page lies.")
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All members matching the filter; counted (a second query) only when asked for.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def from_domain(cls, page: Page[MemberView]) -> MemberConnection:
        return cls(
            edges=[MemberEdge(node=any_member(view), cursor=cursor) for view, cursor in page.items],
            page_info=PageInfo.from_domain(page),
            _count=page.count,
        )
