"""Keyset pagination shared by every listing: page sizes, Relay arguments, one page query.

A listing is ordered by one key column and the row id (ties on the key are broken by id).
``first``/``after`` pages forward, ``last``/``before`` backward; both return rows in the
listing's order. Cursors are opaque and bound to their listing (``gql.domain.cursors``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from gql.db.columns import Columns
from gql.domain.cursors import Cursors, Listing, Position
from gql.domain.errors import DomainError, ErrorCode

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def check_page_size(size: int, argument: str = "first") -> None:
    """0 (only totals) to 100 items a page; anything else is 3209 naming the limit."""
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            f"{argument} must be between 0 and {MAX_PAGE_SIZE}.",
            property=argument,
            limit=MAX_PAGE_SIZE,
        )


@dataclass(frozen=True)
class PageRequest:
    """Relay's arguments. ``last`` pages backward (``first`` is then ignored: the schema gives it a
    default); otherwise ``first`` (null: ``DEFAULT_PAGE_SIZE``) pages forward."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def backward(self) -> bool:
        return self.last is not None

    def size(self) -> int:
        """The page size, once the arguments are known to make sense together (3209 otherwise)."""
        if self.backward and self.after is not None:
            raise DomainError(ErrorCode.INVALID_ARGUMENT, "Page backward with last and before.", property="after")
        if not self.backward and self.before is not None:
            raise DomainError(ErrorCode.INVALID_ARGUMENT, "Page forward with first and after.", property="before")
        if self.backward:
            assert self.last is not None
            check_page_size(self.last, "last")
            return self.last
        size = DEFAULT_PAGE_SIZE if self.first is None else self.first
        check_page_size(size, "first")
        return size


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: each item with its cursor, and whether items lie beyond either end."""

    items: list[tuple[T, str]]
    has_next_page: bool
    has_previous_page: bool
    # Counting is a second query: run only when the client asks for totalCount.
    count: Callable[[], Awaitable[int]]

    @property
    def start_cursor(self) -> str | None:
        return self.items[0][1] if self.items else None

    @property
    def end_cursor(self) -> str | None:
        return self.items[-1][1] if self.items else None


@dataclass(frozen=True)
class Keyset:
    """How a listing is ordered: its key column, direction, and what its cursors are bound to."""

    column: str
    descending: bool
    listing: Listing


def _beyond(keyset: Keyset, position: Position, forward: bool) -> Q:
    """Rows after ``position`` in the direction read (before it when reading backward).

    "column >= key AND (column > key OR id > last)": the leading range lets the index seek
    straight to the cursor; the OR alone makes both engines scan from the start.
    """
    op = "gt" if forward != keyset.descending else "lt"
    column, key = keyset.column, position.key
    return Q(**{f"{column}__{op}e": key}) & (Q(**{f"{column}__{op}": key}) | Q(**{f"id__{op}": position.row_id}))


async def keyset_page(
    query: QuerySet[M],
    keyset: Keyset,
    request: PageRequest,
    cursors: Cursors,
    *,
    columns: Columns | None = None,
) -> tuple[list[Any], list[str], bool, bool]:
    """One page of ``query``: its rows in listing order, their cursors, has-next, has-previous.

    One SELECT whatever the page size (one extra row tells whether more follow); a page of
    size 0 still looks one row ahead, so ``hasNextPage`` stays truthful. The rows are model
    instances, or, given ``columns``, rows of those columns only (gql/db/columns.py, a related
    table's by JOIN), which must include the keyset's column.
    """
    size = request.size()
    forward = not request.backward
    cursor, argument = (request.after, "after") if forward else (request.before, "before")
    if cursor:
        query = query.filter(_beyond(keyset, cursors.decode(keyset.listing, cursor, argument), forward))
    reading_descending = keyset.descending == forward
    prefix = "-" if reading_descending else ""
    query = query.order_by(prefix + keyset.column, prefix + "id").limit(size + 1)
    rows: list[Any] = await (columns.read(query) if columns is not None else query)
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    encoded = [cursors.encode(keyset.listing, Position(_key(row, keyset.column), row.pk)) for row in rows]
    has_next, has_previous = (more, cursor is not None) if forward else (cursor is not None, more)
    return rows, encoded, has_next, has_previous


def _key(row: Any, column: str) -> Any:
    return getattr(row, column)
