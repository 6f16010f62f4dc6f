"""Reading members: one by id, the caller itself, and keyset-paginated listings."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gql.db.models import Member
from gql.domain.caller import Caller
from gql.domain.cursors import Cursors, Listing, Position
from gql.domain.identity import normalise
from gql.domain.paging import check_page_size
from gql.domain.views import APPROVED, PUBLIC, MemberView, view_for

SORT_COLUMNS = {"CREATED_DATE": "created_at", "NICKNAME": "nickname_key"}
SORT_KEY_TYPES: dict[str, type[str] | type[datetime]] = {"CREATED_DATE": datetime, "NICKNAME": str}


@dataclass(frozen=True)
class MemberFilter:
    status: str | None = None
    privacy_status: str | None = None
    nickname_prefix: str | None = None
    email_prefix: str | None = None


@dataclass(frozen=True)
class MemberSort:
    field: str = "CREATED_DATE"
    descending: bool = False


@dataclass(frozen=True)
class Page:
    items: list[tuple[MemberView, str]]  # each view with its cursor
    has_next_page: bool
    has_previous_page: bool
    # Counting is a second query; only run when the client asks for totalCount.
    count: Callable[[], Awaitable[int]]


def _parse_id(member_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(member_id)
    except ValueError:
        return None


async def get_member(caller: Caller, member_id: str) -> MemberView | None:
    """The member as the caller may see it; None when absent or hidden (the two look alike)."""
    parsed = _parse_id(member_id)
    if parsed is None:
        return None
    member = await Member.filter(id=parsed).select_related("contact").first()
    return view_for(caller, member) if member else None


async def current_member(caller: Caller) -> MemberView | None:
    if caller.member_id is None:
        return None
    member = await Member.filter(id=caller.member_id).select_related("contact").first()
    return MemberView(member, full=True) if member else None


def listing_for(sort: MemberSort) -> Listing:
    """What a members cursor is bound to: the listing and its sort order, not its filter
    (a cursor found through a nicknamePrefix page may open the unfiltered listing there)."""
    return Listing(("members", sort.field, "DESC" if sort.descending else "ASC"), SORT_KEY_TYPES[sort.field])


def _filtered(caller: Caller, flt: MemberFilter) -> QuerySet[Member]:
    query = Member.all()
    if not caller.is_backend:
        # Others see PUBLIC, APPROVED members only; the filter runs in SQL on an index.
        query = query.filter(privacy_status=PUBLIC, status=APPROVED)
    if flt.email_prefix is not None:
        caller.require_backend()  # hidden emails must not be probed by prefix
        query = query.filter(email_key__startswith=normalise(flt.email_prefix))
    if flt.status is not None:
        query = query.filter(status=flt.status)
    if flt.privacy_status is not None:
        query = query.filter(privacy_status=flt.privacy_status)
    if flt.nickname_prefix:
        query = query.filter(nickname_key__startswith=normalise(flt.nickname_prefix))
    return query


async def list_members(
    caller: Caller, cursors: Cursors, first: int, after: str | None, flt: MemberFilter, sort: MemberSort
) -> Page:
    check_page_size(first)
    base = _filtered(caller, flt)
    query = base
    column = SORT_COLUMNS[sort.field]
    listing = listing_for(sort)
    if after:
        position = cursors.decode(listing, after)
        key, last_id = position.key, position.row_id
        op = "lt" if sort.descending else "gt"
        # "column >= key AND (column > key OR id > last)": the leading range lets the index
        # seek straight to the cursor; the OR alone makes both engines scan from the start.
        query = query.filter(
            Q(**{f"{column}__{op}e": key}) & (Q(**{f"{column}__{op}": key}) | Q(**{f"id__{op}": last_id}))
        )
    prefix = "-" if sort.descending else ""
    rows: list[Member] = []
    if first:
        # One SELECT per page: the contact comes by JOIN, one extra row tells if more follow.
        rows = await query.order_by(prefix + column, prefix + "id").limit(first + 1).select_related("contact")
    visible = [view_for(caller, row) for row in rows[:first]]
    return Page(
        items=[
            (view, cursors.encode(listing, Position(getattr(view.member, column), view.member.id)))
            for view in visible
            if view is not None
        ],
        has_next_page=len(rows) > first,
        has_previous_page=after is not None,
        count=base.count,
    )
