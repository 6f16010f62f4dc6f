from __future__ import annotations

import strawberry

from gql.domain.paging import Page


@strawberry.type(description="Where a page of a connection lies (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether items follow this page (looked up even for first: 0).")
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page (true when the page started after a cursor)."
    )
    start_cursor: str | None = strawberry.field(description="The first edge's cursor; pass it as `before`.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor; pass it as `after`.")

    @classmethod
    def from_domain(cls, page: Page) -> PageInfo:  # type: ignore[type-arg]
        return cls(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        )
