"""Reading members: one by id, the caller itself, and keyset-paginated listings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from gql.db.columns import Columns
from gql.db.models import Member, MemberBadge, MemberRole, Role
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.cursors import Cursors, Listing
from gql.domain.identity import normalise
from gql.domain.lookup import member_with_contact, parse_id
from gql.domain.paging import Keyset, Page, PageRequest, check_page_size, keyset_page
from gql.domain.permissions import BuiltInRole, Permission
from gql.domain.records import MemberRecord, MemberView
from gql.domain.statuses import Described, MemberStatus, PrivacyStatus
from gql.domain.visibility import PUBLICLY_VISIBLE, view_for


class SortField(Described):
    """The orders a members listing can take."""

    CREATED_DATE = "CREATED_DATE", "By registration time."
    NICKNAME = "NICKNAME", "By nickname, case-insensitively."


SORT_COLUMNS = {SortField.CREATED_DATE: "created_at", SortField.NICKNAME: "nickname_key"}
SORT_KEY_TYPES: dict[SortField, type[str] | type[datetime]] = {
    SortField.CREATED_DATE: datetime,
    SortField.NICKNAME: str,
}


@dataclass(frozen=True)
class MemberFilter:
    status: MemberStatus | None = None
    privacy_status: PrivacyStatus | None = None
    nickname_prefix: str | None = None
    email_prefix: str | None = None
    role_id: str | None = None  # Backendless findByRole: holders of that role (assigned or computed)
    badge_id: str | None = None


@dataclass(frozen=True)
class MemberSort:
    field: SortField = SortField.CREATED_DATE
    descending: bool = False


async def get_member(caller: Caller, member_id: str) -> MemberView | None:
    """The member as the caller may see it; None when absent or hidden (the two look alike)."""
    parsed = parse_id(member_id)
    if parsed is None:
        return None
    member = await member_with_contact("id", parsed)
    if member is not None and not caller.is_member(member.id):
        await access.grants_of(caller)
    return view_for(caller, member) if member else None


async def get_members(caller: Caller, member_ids: list[str]) -> list[MemberView | None]:
    """Several members in one SELECT, in the order asked; None for each absent, hidden or malformed id."""
    check_page_size(len(member_ids), "ids")
    await access.grants_of(caller)
    parsed = [parse_id(value) for value in member_ids]
    wanted = [value for value in parsed if value is not None]
    rows = {row.id: row for row in await Member.filter(id__in=wanted).select_related("contact")} if wanted else {}
    return [view_for(caller, rows[value]) if value in rows else None for value in parsed]


async def current_member(caller: Caller) -> MemberRecord | None:
    if caller.member_id is None:
        return None
    member = await member_with_contact("id", caller.member_id)
    return MemberRecord.of(member) if member else None


# What a listing reads of each member and its contact: the columns of ``view_for`` (and the records
# it makes: MemberRecord.of, PublicMemberRecord.of) and the sort keys, nothing else (no password
# hash, no token ids). tests/integration/test_member_listing_rows.py compares the records with a
# model's, so a field a record starts to read fails there first.
LISTED = Columns(
    Member,
    (
        *("id", "login_email", "email_verified", "status", "privacy_status", "activity_status", "mfa_enabled"),
        *("nickname", "slug", "photo", "title", "created_at", "updated_at", "last_login_at", "nickname_key"),
    ),
    contact=(
        *("id", "first_name", "last_name", "phones", "emails", "picture", "custom_fields", "addresses"),
        *("birthdate", "company", "job_title"),
    ),
)


def keyset_for(sort: MemberSort) -> Keyset:
    """A members cursor is bound to the listing and its sort order, not its filter (a cursor
    found through a nicknamePrefix page may open the unfiltered listing there)."""
    listing = Listing(("members", sort.field, "DESC" if sort.descending else "ASC"), SORT_KEY_TYPES[sort.field])
    return Keyset(SORT_COLUMNS[sort.field], sort.descending, listing)


def _filtered(caller: Caller, flt: MemberFilter) -> QuerySet[Member]:
    query = Member.all()
    if not access.holds(caller, Permission.MEMBERS_READ):
        # Others see PUBLIC, APPROVED members only; the filter runs in SQL on an index.
        query = query.filter(PUBLICLY_VISIBLE)
    if flt.email_prefix is not None:
        if not access.holds(caller, Permission.MEMBERS_READ):  # hidden emails must not be probed by prefix
            raise access.refusal(
                caller, [Permission.MEMBERS_READ], "emailPrefix needs the permission MEMBERS_READ.", property="filter"
            )
        query = query.filter(email_key__startswith=normalise(flt.email_prefix))
    if flt.status is not None:
        query = query.filter(status=flt.status)
    if flt.privacy_status is not None:
        query = query.filter(privacy_status=flt.privacy_status)
    if flt.nickname_prefix:
        query = query.filter(nickname_key__startswith=normalise(flt.nickname_prefix))
    if flt.badge_id is not None:  # badges are public, as on Wix
        holders = MemberBadge.filter(badge_id=parse_id(flt.badge_id) or uuid.UUID(int=0)).values("member_id")
        query = query.filter(id__in=Subquery(holders))
    return query


async def _with_role(caller: Caller, query: QuerySet[Member], role_id: str) -> QuerySet[Member]:
    """Members holding a role; who holds which role is for MEMBERS_READ only (roles are not public)."""
    if not access.holds(caller, Permission.MEMBERS_READ):
        raise access.refusal(
            caller, [Permission.MEMBERS_READ], "roleId needs the permission MEMBERS_READ.", property="filter"
        )
    parsed = parse_id(role_id)
    role = await Role.get_or_none(id=parsed) if parsed is not None else None
    if role is None:
        return query.filter(id__in=[])
    computed = {
        BuiltInRole.AUTHENTICATED_USER.value: Q(status=MemberStatus.APPROVED, is_guest=False),
        BuiltInRole.GUEST_USER.value: Q(is_guest=True),
        BuiltInRole.SOCIAL_USER.value: Q(id__in=[]),
    }
    if role.name in computed:
        return query.filter(computed[role.name])
    return query.filter(id__in=Subquery(MemberRole.filter(role_id=role.id).values("member_id")))


async def list_members(
    caller: Caller, cursors: Cursors, request: PageRequest, flt: MemberFilter, sort: MemberSort
) -> Page[MemberView]:
    """One page of the members the caller may see; one SELECT (the contact comes by JOIN)."""
    await access.grants_of(caller)
    base = _filtered(caller, flt)
    if flt.role_id is not None:
        base = await _with_role(caller, base, flt.role_id)
    rows, encoded, has_next, has_previous = await keyset_page(base, keyset_for(sort), request, cursors, columns=LISTED)
    items = []
    for row, cursor in zip(rows, encoded, strict=True):
        view = view_for(caller, row)
        if view is not None:  # the query already hides these; the rule is checked once more
            items.append((view, cursor))
    return Page(items=items, has_next_page=has_next, has_previous_page=has_previous, count=base.count)
