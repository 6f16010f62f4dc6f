from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from gql.api.types.enums import MemberSortField, MemberStatus, PrivacyStatus, SortOrder
from gql.api.types.member import Member
from gql.domain import members as domain


@strawberry.input
class MemberFilter:
    status: MemberStatus | None = None
    privacy_status: PrivacyStatus | None = None
    nickname_prefix: str | None = None
    email_prefix: str | None = strawberry.field(default=None, description="Backend callers only (3029 otherwise).")

    def to_domain(self) -> domain.MemberFilter:
        return domain.MemberFilter(
            status=self.status.value if self.status else None,
            privacy_status=self.privacy_status.value if self.privacy_status else None,
            nickname_prefix=self.nickname_prefix,
            email_prefix=self.email_prefix,
        )


@strawberry.input
class MemberSort:
    field: MemberSortField = MemberSortField.CREATED_DATE
    order: SortOrder = SortOrder.ASC

    def to_domain(self) -> domain.MemberSort:
        return domain.MemberSort(field=self.field.value, descending=self.order is SortOrder.DESC)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class MemberEdge:
    node: Member
    cursor: str


@strawberry.type(description="A page of members (keyset pagination: pass pageInfo.endCursor as `after`).")
class MemberConnection:
    edges: list[MemberEdge]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All members matching the filter; counted only when asked for.")
    async def total_count(self) -> int:
        return await self._count()

    @classmethod
    def from_domain(cls, page: domain.Page) -> MemberConnection:
        edges = [MemberEdge(node=Member.from_domain(view), cursor=cursor) for view, cursor in page.items]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            _count=page.count,
        )
