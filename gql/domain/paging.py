"""Page sizes shared by every paginated listing."""

from __future__ import annotations

from gql.domain.errors import DomainError, ErrorCode

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def check_page_size(first: int) -> None:
    """0 (only totals) to 100 items a page; anything else is 3209 naming the limit."""
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            f"first must be between 0 and {MAX_PAGE_SIZE}.",
            property="first",
            limit=MAX_PAGE_SIZE,
        )
