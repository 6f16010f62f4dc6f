"""Roles (Wix ``authorization``, Backendless security roles): what a site's roles are, who holds
them, and the rules that keep delegated administration from escalating.

- A role carries permissions over this server (``Permission``) and site permissions (strings).
- ``admin`` is built in: it holds every permission, now and any added later, and can be neither
  changed nor deleted. The computed roles are held without assignment — ``AuthenticatedUser``
  by every signed-in approved member, ``GuestUser`` by every guest, ``SocialUser`` by members
  signed in through an external provider — and may be given permissions like any role, but
  neither assigned, removed nor deleted.
- A member holds the permissions of its roles (assigned, computed, and those its badges carry).
- A role may require MFA (``require_mfa``): its permissions apply only to a session that proved a
  second factor (gql/domain/mfa_policy.py). The built-in roles never do.
- Nobody grants what it does not hold: creating or changing a role, assigning or removing one
  needs ``ROLES_MANAGE`` *and* every permission of that role (3214). So a member with
  ``ROLES_MANAGE`` alone can neither make itself an admin nor demote one.
- The last member holding ``admin`` keeps it unless a backend key exists that could still
  administer the site: ``MEMBERS_ADMIN_API_KEY`` set explicitly (not made up at start-up), or a
  stored API key holding every permission.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count

from gql.db.models import ApiKey, ExternalIdentity, Member, MemberRole, Role
from gql.db.prepared import Prepared
from gql.db.transactions import in_transaction
from gql.domain import access, mfa_policy
from gql.domain.audit import AuditKind, audit
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.lookup import member_by_id, parse_id
from gql.domain.permissions import BuiltInRole, Grants, Permission, checked_site_permissions, grants_of_role
from gql.domain.statuses import MemberStatus

if TYPE_CHECKING:
    from gql.domain.services import Services

ROLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
COLOR = re.compile(r"^#[0-9A-Fa-f]{3,8}$|^[a-z]{3,20}$")


COMPUTED = frozenset({BuiltInRole.AUTHENTICATED_USER, BuiltInRole.GUEST_USER, BuiltInRole.SOCIAL_USER})


@dataclass(frozen=True)
class RoleRecord:
    id: uuid.UUID
    name: str
    title: str
    description: str
    color: str | None
    grants: Grants
    system: bool
    created_at: datetime
    updated_at: datetime
    require_mfa: bool = False

    @classmethod
    def of(cls, row: Role) -> RoleRecord:
        return cls(
            id=row.id,
            name=row.name,
            title=row.title,
            description=row.description,
            color=row.color,
            grants=grants_of_role(row.name, row.permissions, row.site_permissions),
            system=row.system,
            created_at=row.created_at,
            updated_at=row.updated_at,
            require_mfa=row.require_mfa,
        )

    @property
    def computed(self) -> bool:
        return self.name in {role.value for role in COMPUTED}


def computed_roles(status: MemberStatus, social: bool = False) -> tuple[str, ...]:
    """The computed roles a member in ``status`` holds; ``social``: it has a linked external identity
    (gql/db/grants.py says the same in SQL)."""
    if status is MemberStatus.GUEST:
        return (BuiltInRole.GUEST_USER.value,)
    if status is MemberStatus.APPROVED:
        if social:
            return (BuiltInRole.AUTHENTICATED_USER.value, BuiltInRole.SOCIAL_USER.value)
        return (BuiltInRole.AUTHENTICATED_USER.value,)
    return ()


@dataclass(frozen=True)
class RoleInput:
    """A role's editable fields; None leaves one as it is (an update) or takes its default (a new role)."""

    name: str | None = None
    title: str | None = None
    description: str | None = None
    color: str | None = None
    permissions: tuple[Permission, ...] | None = None
    site_permissions: tuple[str, ...] | None = None
    require_mfa: bool | None = None

    def check(self) -> None:
        if self.name is not None and not ROLE_NAME.match(self.name):
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                'A role name is a letter, then up to 63 letters, digits, "_" or "-".',
                property="name",
            )
        if self.title is not None and not 1 <= len(self.title.strip()) <= 200:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, "A title is 1 to 200 characters.", property="title", limit=200
            )
        if self.description is not None and len(self.description) > 2000:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                "A description is at most 2000 characters.",
                property="description",
                limit=2000,
            )
        if self.color and not COLOR.match(self.color):
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, "A color is #rgb, #rrggbb(aa) or a CSS color name.", property="color"
            )
        if self.site_permissions is not None:
            checked_site_permissions(self.site_permissions)

    def grants(self) -> Grants:
        return Grants(frozenset(self.permissions or ()), frozenset(self.site_permissions or ()))


def _not_found(argument: str = "id") -> DomainError:
    return DomainError(ErrorCode.ROLE_NOT_FOUND, property=argument)


async def role_by_id(role_id: str, argument: str = "id") -> Role:
    parsed = parse_id(role_id)
    role = await Role.get_or_none(id=parsed) if parsed is not None else None
    if role is None:
        raise _not_found(argument)
    return role


async def require_covering(caller: Caller, grants: Grants) -> None:
    """3214 unless the caller holds everything ``grants`` gives (no escalation through roles); 3243 when
    it would with a second factor in this session (a role requiring MFA holds the rest)."""
    held = await access.grants_of(caller)
    if not held.covers(grants):
        if caller.kind is CallerKind.MEMBER and (held | caller.grants.withheld).covers(grants):
            raise mfa_policy.role_error(caller, sorted(grants.permissions - held.permissions, key=lambda p: p.value))
        missing = sorted(
            {p.value for p in grants.permissions - held.permissions} | (grants.site_permissions - held.site_permissions)
        )
        raise DomainError(
            ErrorCode.CANNOT_GRANT,
            f"You cannot grant what you do not hold: {', '.join(missing)}.",
            property="permissions",
        )


def _name_taken(name: str) -> DomainError:
    return DomainError(ErrorCode.ROLE_NAME_TAKEN, f'A role named "{name}" exists.', property="name")


async def list_roles(caller: Caller) -> list[RoleRecord]:
    """Every role, built-in ones first; any signed-in member or backend key may read them."""
    if caller.kind is CallerKind.ANONYMOUS:
        raise DomainError(ErrorCode.NOT_LOGGED_IN, "Sign in to read the roles.")
    rows = await Role.all().order_by("-system", "name_key")
    return [RoleRecord.of(row) for row in rows]


async def member_counts(role_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many members hold each role: one grouped count of assignments, and one count per
    computed role among them, whatever the number of roles."""
    rows = await Role.filter(id__in=role_ids).values("id", "name")
    counts: dict[uuid.UUID, int] = {row["id"]: 0 for row in rows}
    grouped = MemberRole.filter(role_id__in=role_ids).annotate(n=Count("id")).group_by("role_id")
    for row in await grouped.values("role_id", "n"):
        counts[row["role_id"]] = row["n"]
    by_name = {row["name"]: row["id"] for row in rows}
    for name, status in (
        (BuiltInRole.AUTHENTICATED_USER.value, MemberStatus.APPROVED),
        (BuiltInRole.GUEST_USER.value, MemberStatus.GUEST),
    ):
        if name in by_name:
            counts[by_name[name]] = await Member.filter(status=status).count()
    return counts


async def create_role(services: Services, caller: Caller, data: RoleInput) -> RoleRecord:
    await access.require(caller, Permission.ROLES_MANAGE)
    if data.name is None or data.title is None:
        raise DomainError(ErrorCode.INVALID_ARGUMENT, "A role needs a name and a title.", property="name")
    data.check()
    await require_covering(caller, data.grants())
    now = services.clock.now()
    try:
        async with in_transaction() as connection:
            row = await Role.create(
                name=data.name,
                name_key=data.name.casefold(),
                title=data.title.strip(),
                description=data.description or "",
                color=data.color or None,
                permissions=sorted(p.value for p in data.permissions or ()),
                site_permissions=sorted(data.site_permissions or ()),
                system=False,
                require_mfa=bool(data.require_mfa),
                created_at=now,
                updated_at=now,
                using_db=connection,
            )
            await audit(services, connection, caller, AuditKind.ROLE_CREATED, role=row.name, roleId=str(row.id))
    except IntegrityError:
        raise _name_taken(data.name) from None
    return RoleRecord.of(row)


async def update_role(services: Services, caller: Caller, role_id: str, data: RoleInput) -> RoleRecord:
    await access.require(caller, Permission.ROLES_MANAGE)
    data.check()
    row = await role_by_id(role_id)
    if row.name == BuiltInRole.ADMIN:
        raise DomainError(ErrorCode.BUILT_IN_ROLE, "The admin role cannot be changed.", property="id")
    if row.system and data.name is not None and data.name != row.name:
        raise DomainError(ErrorCode.BUILT_IN_ROLE, "A built-in role keeps its name.", property="name")
    if row.system and data.require_mfa:
        raise DomainError(
            ErrorCode.BUILT_IN_ROLE,
            "A built-in role cannot require MFA: set the registration setting mfaPolicy to REQUIRED to ask every "
            "member for a second factor.",
            property="requireMfa",
        )
    before = RoleRecord.of(row)
    await require_covering(caller, before.grants)  # to change a role is to hold what it grants…
    after = Grants(
        frozenset(data.permissions) if data.permissions is not None else before.grants.permissions,
        frozenset(data.site_permissions) if data.site_permissions is not None else before.grants.site_permissions,
    )
    await require_covering(caller, after)  # …and what it will grant
    changed = []
    for attr, value in (("title", data.title), ("description", data.description), ("color", data.color)):
        if value is not None:
            setattr(row, attr, (value.strip() if attr == "title" else value) or (None if attr == "color" else value))
            changed.append(attr)
    if data.name is not None and data.name != row.name:
        row.name, row.name_key = data.name, data.name.casefold()
        changed.append("name")
    if data.permissions is not None:
        row.permissions = sorted(p.value for p in data.permissions)
        changed.append("permissions")
    if data.site_permissions is not None:
        row.site_permissions = sorted(data.site_permissions)
        changed.append("site_permissions")
    if data.require_mfa is not None and data.require_mfa != row.require_mfa:
        row.require_mfa = data.require_mfa
        changed.append("require_mfa")
    row.updated_at = services.clock.now()
    try:
        async with in_transaction() as connection:
            await row.save(using_db=connection)
            await audit(
                services, connection, caller, AuditKind.ROLE_UPDATED, role=row.name, roleId=str(row.id), fields=changed
            )
    except IntegrityError:
        raise _name_taken(row.name) from None
    return RoleRecord.of(row)


async def delete_role(services: Services, caller: Caller, role_id: str) -> RoleRecord:
    await access.require(caller, Permission.ROLES_MANAGE)
    row = await role_by_id(role_id)
    if row.system:
        raise DomainError(ErrorCode.BUILT_IN_ROLE, "A built-in role cannot be deleted.", property="id")
    record_ = RoleRecord.of(row)
    await require_covering(caller, record_.grants)
    async with in_transaction() as connection:
        await Role.filter(id=row.id).using_db(connection).delete()  # its assignments go with it
        await audit(services, connection, caller, AuditKind.ROLE_DELETED, role=row.name, roleId=str(row.id))
    return record_


async def _assignable(caller: Caller, role_id: str, member_id: str) -> tuple[Role, Member]:
    await access.require(caller, Permission.ROLES_MANAGE)
    role = await role_by_id(role_id, "roleId")
    if role.name in {r.value for r in COMPUTED}:
        raise DomainError(
            ErrorCode.BUILT_IN_ROLE,
            f"{role.name} is held without assignment; it cannot be assigned or removed.",
            property="roleId",
        )
    await require_covering(caller, RoleRecord.of(role).grants)
    member = await member_by_id(member_id, argument="memberId")
    return role, member


async def assign_role(services: Services, caller: Caller, role_id: str, member_id: str) -> tuple[RoleRecord, Member]:
    """Give ``member`` the role; assigning it again changes nothing."""
    role, member = await _assignable(caller, role_id, member_id)
    async with in_transaction() as connection:
        _, created = await MemberRole.get_or_create(
            member_id=member.id, role_id=role.id, defaults={"created_at": services.clock.now()}, using_db=connection
        )
        if created:
            await record(services, connection, caller, member.id, EventKind.ROLE_ASSIGNED, role=role.name)
    return RoleRecord.of(role), member


async def remove_role(services: Services, caller: Caller, role_id: str, member_id: str) -> tuple[RoleRecord, Member]:
    role, member = await _assignable(caller, role_id, member_id)
    async with in_transaction() as connection:
        if role.name == BuiltInRole.ADMIN and not await _another_way_to_administer(services, member.id):
            raise DomainError(
                ErrorCode.BUILT_IN_ROLE,
                "This is the last member holding admin and no backend key could still administer the site: "
                "set MEMBERS_ADMIN_API_KEY or create an API key with every permission first.",
                property="roleId",
            )
        removed = await MemberRole.filter(member_id=member.id, role_id=role.id).using_db(connection).delete()
        if removed:
            await record(services, connection, caller, member.id, EventKind.ROLE_REMOVED, role=role.name)
    return RoleRecord.of(role), member


async def _another_way_to_administer(services: Services, member_id: uuid.UUID) -> bool:
    """Another admin member, an explicitly configured admin key, or a stored key holding everything."""
    if not services.config.admin_api_key_generated:
        return True
    if await MemberRole.filter(Q(role__name=BuiltInRole.ADMIN.value) & ~Q(member_id=member_id)).exists():
        return True
    every = {p.value for p in Permission}
    return any(every <= set(permissions) for permissions in await ApiKey.all().values_list("permissions", flat=True))


# One member's roles (a Bearer ``currentMember { roles }``, the call every page makes): the same three
# statements, prepared (gql/db/prepared.py). ``_NAMED[n]``: the roles of n names (computed_roles gives 1 or 2).
_LINKS_OF_ONE = Prepared(
    MemberRole, lambda member: MemberRole.filter(member_id=member).select_related("role"), member="member_id"
)
_SOCIAL_ONE = Prepared(
    ExternalIdentity, lambda member: ExternalIdentity.filter(member_id=member).limit(1), member="member_id"
)
_NAMED = {
    n: Prepared(
        Role, lambda **names: Role.filter(name__in=list(names.values())), **{f"name{i}": "name" for i in range(n)}
    )
    for n in (1, 2)
}


async def roles_of_members(members: list[tuple[uuid.UUID, MemberStatus]]) -> dict[uuid.UUID, list[RoleRecord]]:
    """The roles of several members (assigned and computed), in three statements whatever their number."""
    if not members:
        return {}
    ids = [member_id for member_id, _ in members]
    approved = [member_id for member_id, status in members if status is MemberStatus.APPROVED]
    if len(ids) == 1:
        links = await _LINKS_OF_ONE.all(member=ids[0])
        social = {ids[0]} if approved and await _SOCIAL_ONE.first(member=ids[0]) else set()
    else:
        links = await MemberRole.filter(member_id__in=ids).select_related("role")
        social = (
            set(await ExternalIdentity.filter(member_id__in=approved).distinct().values_list("member_id", flat=True))
            if approved
            else set()
        )
    computed_names = sorted(
        {name for member_id, status in members for name in computed_roles(status, member_id in social)}
    )
    if not computed_names:
        computed = []
    elif len(computed_names) in _NAMED:
        computed = await _NAMED[len(computed_names)].all(**{f"name{i}": name for i, name in enumerate(computed_names)})
    else:
        computed = await Role.filter(name__in=computed_names)
    computed_rows = {row.name: RoleRecord.of(row) for row in computed}
    result: dict[uuid.UUID, list[RoleRecord]] = {member_id: [] for member_id in ids}
    for link in links:
        result[link.member_id].append(RoleRecord.of(link.role))  # type: ignore[attr-defined]
    for member_id, status in members:
        result[member_id] += [
            computed_rows[name] for name in computed_roles(status, member_id in social) if name in computed_rows
        ]
        result[member_id].sort(key=lambda role: (not role.system, role.name.casefold()))
    return result


async def roles_by_ids(role_ids: list[uuid.UUID]) -> dict[uuid.UUID, RoleRecord]:
    return {row.id: RoleRecord.of(row) for row in await Role.filter(id__in=role_ids)}


async def ensure_built_in_roles() -> None:
    """The built-in roles exist (migration 0007 makes them; this puts back any a restore or a test lost)."""
    have = set(await Role.filter(system=True).values_list("name", flat=True))
    for role in BuiltInRole:
        if role.value not in have:
            now = datetime.now(timezone.utc)
            try:
                await Role.create(
                    name=role.value,
                    name_key=role.value.casefold(),
                    title=role.value,
                    description=role.description,
                    system=True,
                    created_at=now,
                    updated_at=now,
                )
            except IntegrityError:
                pass  # another process made it meanwhile
