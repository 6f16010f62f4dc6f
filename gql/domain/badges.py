"""Badges (Wix ``badges``): what a site awards its members, shown on their public profiles.

A badge may carry a role: its holders then hold that role's permissions (Wix badges carry page
permissions). So awarding such a badge is granting that role, and the same rule holds: nobody
awards (or takes back, or attaches to a badge) a role it does not hold in full (3214).
Assigning is idempotent and takes up to ``MAX_MEMBERS_PER_CALL`` members in one statement.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from gql.db import badges as storage
from gql.db.models import Badge, MemberBadge, Role
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.audit import AuditKind, audit
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.lookup import parse_id
from gql.domain.permissions import Permission
from gql.domain.roles import COLOR, RoleRecord, require_covering, role_by_id

if TYPE_CHECKING:
    from gql.domain.services import Services

MAX_MEMBERS_PER_CALL = 100
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class BadgeRecord:
    id: uuid.UUID
    title: str
    slug: str
    description: str
    background_color: str | None
    text_color: str | None
    icon: str | None
    role_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Badge) -> BadgeRecord:
        return cls(
            id=row.id,
            title=row.title,
            slug=row.slug,
            description=row.description,
            background_color=row.background_color,
            text_color=row.text_color,
            icon=row.icon,
            role_id=row.role_id,  # type: ignore[attr-defined]
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True)
class BadgeInput:
    """A badge's editable fields; None leaves one as it is. ``role_id`` "" takes the role away."""

    title: str | None = None
    slug: str | None = None
    description: str | None = None
    background_color: str | None = None
    text_color: str | None = None
    icon: str | None = None
    role_id: str | None = None

    def check(self) -> None:
        if self.title is not None and not 1 <= len(self.title.strip()) <= 200:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, "A title is 1 to 200 characters.", property="title", limit=200
            )
        if self.slug is not None and not SLUG.match(self.slug):
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                "A slug is 1 to 100 lowercase letters, digits or inner hyphens.",
                property="slug",
            )
        for name, value in (("backgroundColor", self.background_color), ("textColor", self.text_color)):
            if value and not COLOR.match(value):
                raise DomainError(
                    ErrorCode.INVALID_ARGUMENT, "A color is #rgb, #rrggbb(aa) or a CSS color name.", property=name
                )
        if self.description is not None and len(self.description) > 2000:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                "A description is at most 2000 characters.",
                property="description",
                limit=2000,
            )
        if self.icon is not None and len(self.icon) > 2000:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, "An icon URL is at most 2000 characters.", property="icon", limit=2000
            )


def slug_for(title: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_SLUG.sub("-", ascii_only).strip("-")[:100].strip("-") or "badge"


async def badge_by_id(badge_id: str, argument: str = "id") -> Badge:
    parsed = parse_id(badge_id)
    badge = await Badge.get_or_none(id=parsed) if parsed is not None else None
    if badge is None:
        raise DomainError(ErrorCode.BADGE_NOT_FOUND, property=argument)
    return badge


async def _role_of(badge: Badge) -> Role | None:
    return await Role.get_or_none(id=badge.role_id) if badge.role_id else None  # type: ignore[attr-defined]


async def _may_award(caller: Caller, role: Role | None) -> None:
    if role is not None:
        await require_covering(caller, RoleRecord.of(role).grants)


def _slug_taken(slug: str) -> DomainError:
    return DomainError(ErrorCode.SLUG_TAKEN, f'A badge with the slug "{slug}" exists.', property="slug")


async def list_badges() -> list[BadgeRecord]:
    """Every badge; anybody may read them (they show on public profiles)."""
    return [BadgeRecord.of(row) for row in await Badge.all().order_by("title", "id")]


async def get_badge(badge_id: str) -> BadgeRecord | None:
    parsed = parse_id(badge_id)
    row = await Badge.get_or_none(id=parsed) if parsed is not None else None
    return BadgeRecord.of(row) if row else None


async def create_badge(services: Services, caller: Caller, data: BadgeInput) -> BadgeRecord:
    await access.require(caller, Permission.BADGES_MANAGE)
    if not data.title:
        raise DomainError(ErrorCode.INVALID_ARGUMENT, "A badge needs a title.", property="title")
    data.check()
    role = await role_by_id(data.role_id, "roleId") if data.role_id else None
    await _may_award(caller, role)
    slug = data.slug or slug_for(data.title)
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            row = await Badge.create(
                title=data.title.strip(),
                slug=slug,
                description=data.description or "",
                background_color=data.background_color or None,
                text_color=data.text_color or None,
                icon=data.icon or None,
                role=role,
                created_at=now,
                updated_at=now,
                using_db=connection,
            )
            await audit(services, connection, caller, AuditKind.BADGE_CREATED, badge=row.slug, badgeId=str(row.id))
    except IntegrityError:
        raise _slug_taken(slug) from None
    return BadgeRecord.of(row)


async def update_badge(services: Services, caller: Caller, badge_id: str, data: BadgeInput) -> BadgeRecord:
    await access.require(caller, Permission.BADGES_MANAGE)
    data.check()
    row = await badge_by_id(badge_id)
    await _may_award(caller, await _role_of(row))  # changing a badge is re-awarding what it grants
    changed: list[str] = []
    if data.role_id is not None:
        role = await role_by_id(data.role_id, "roleId") if data.role_id else None
        await _may_award(caller, role)
        row.role = role  # type: ignore[assignment]
        changed.append("role")
    for attr in ("title", "slug", "description", "background_color", "text_color", "icon"):
        value = getattr(data, attr)
        if value is not None:
            setattr(row, attr, value.strip() if attr == "title" else (value or (None if attr != "description" else "")))
            changed.append(attr)
    row.updated_at = services.clock.now()
    try:
        async with in_transaction() as connection:
            await row.save(using_db=connection)
            await audit(
                services,
                connection,
                caller,
                AuditKind.BADGE_UPDATED,
                badge=row.slug,
                badgeId=str(row.id),
                fields=changed,
            )
    except IntegrityError:
        raise _slug_taken(row.slug) from None
    return BadgeRecord.of(row)


async def delete_badge(services: Services, caller: Caller, badge_id: str) -> BadgeRecord:
    await access.require(caller, Permission.BADGES_MANAGE)
    row = await badge_by_id(badge_id)
    await _may_award(caller, await _role_of(row))
    record_ = BadgeRecord.of(row)
    async with in_transaction() as connection:
        await Badge.filter(id=row.id).using_db(connection).delete()  # its assignments go with it
        await audit(services, connection, caller, AuditKind.BADGE_DELETED, badge=row.slug, badgeId=str(row.id))
    return record_


def _member_ids(values: list[str]) -> list[uuid.UUID]:
    if not 1 <= len(values) <= MAX_MEMBERS_PER_CALL:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            f"Give 1 to {MAX_MEMBERS_PER_CALL} member ids.",
            property="memberIds",
            limit=MAX_MEMBERS_PER_CALL,
        )
    return list(dict.fromkeys(parsed for value in values if (parsed := parse_id(value)) is not None))


async def assign_badge(services: Services, caller: Caller, badge_id: str, member_ids: list[str]) -> list[uuid.UUID]:
    """Award the badge; the ids (of those asked) of members that hold it now. Twice is no error."""
    await access.require(caller, Permission.BADGES_MANAGE)
    badge = await badge_by_id(badge_id, "badgeId")
    await _may_award(caller, await _role_of(badge))
    wanted = _member_ids(member_ids)
    async with in_transaction() as connection:
        added = await storage.assign(connection, badge.id, wanted, services.clock.now()) if wanted else []
        for member_id in added:
            await record(services, connection, caller, member_id, EventKind.BADGE_ASSIGNED, badge=badge.slug)
        holders = (
            await MemberBadge.filter(badge_id=badge.id, member_id__in=wanted)
            .using_db(connection)
            .values_list("member_id", flat=True)
        )
    held = set(holders)
    return [member_id for member_id in wanted if member_id in held]


async def remove_badge(services: Services, caller: Caller, badge_id: str, member_ids: list[str]) -> list[uuid.UUID]:
    """Take the badge back; the ids (of those asked) that no longer hold it. Twice is no error."""
    await access.require(caller, Permission.BADGES_MANAGE)
    badge = await badge_by_id(badge_id, "badgeId")
    await _may_award(caller, await _role_of(badge))
    wanted = _member_ids(member_ids)
    async with in_transaction() as connection:
        removed = await storage.remove(connection, badge.id, wanted) if wanted else []
        for member_id in removed:
            await record(services, connection, caller, member_id, EventKind.BADGE_REMOVED, badge=badge.slug)
    return wanted


async def badges_of_members(member_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[BadgeRecord]]:
    """The badges of several members in one statement, each member's in the order it got them."""
    result: dict[uuid.UUID, list[BadgeRecord]] = {member_id: [] for member_id in member_ids}
    if member_ids:
        links = await MemberBadge.filter(member_id__in=member_ids).select_related("badge").order_by("created_at", "id")
        for link in links:
            result[link.member_id].append(BadgeRecord.of(link.badge))  # type: ignore[attr-defined]
    return result


async def member_counts(badge_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many members hold each badge, in one grouped statement."""
    counts = {badge_id: 0 for badge_id in badge_ids}
    grouped = MemberBadge.filter(badge_id__in=badge_ids).annotate(n=Count("id")).group_by("badge_id")
    for row in await grouped.values("badge_id", "n"):
        counts[row["badge_id"]] = row["n"]
    return counts
