"""Who may do what: the one place a permission is checked.

Every rule that needs more than "anybody" asks ``await require(caller, Permission.X)`` (or
``can``), whoever the caller is: the env's ``MEMBERS_ADMIN_API_KEY`` holds every permission, a
scoped API key holds its own set, and a member holds what its roles grant (delegated
administration). A member's grants are read once per request, when first asked for, and kept
on the caller.

A role that requires MFA grants nothing to a session that has not proved a second factor
(gql/domain/mfa_policy.py): what it would grant is kept aside as the caller's *withheld* grants,
and a refusal they would have lifted is 3243 (``MFA_REQUIRED``: enrol, or prove the factor)
instead of 3029, so the client knows what to do. Use ``refusal`` for any "not allowed" answer
about a permission.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from gql.db.grants import roles_held
from gql.domain import mfa_policy
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import EVERYTHING, NOTHING, BuiltInRole, Grants, Permission, grants_of_role


def _listed(value: object) -> list[str]:
    """A JSON list column as a raw query returns it (text on SQLite)."""
    return json.loads(value) if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]


@dataclass(frozen=True)
class HeldRole:
    """A role a member holds (assigned, through a badge, or computed), as far as grants go."""

    name: str
    grants: Grants
    require_mfa: bool


async def held_roles(member_id: uuid.UUID) -> list[HeldRole]:
    """Every role the member holds: assigned, computed, and its badges' (one SELECT)."""
    rows = await roles_held(
        member_id, BuiltInRole.AUTHENTICATED_USER.value, BuiltInRole.GUEST_USER.value, BuiltInRole.SOCIAL_USER.value
    )
    return [
        HeldRole(
            row["name"],
            grants_of_role(row["name"], _listed(row["permissions"]), _listed(row["site_permissions"])),
            bool(row["require_mfa"]),
        )
        for row in rows
    ]


async def grants_of(caller: Caller) -> Grants:
    """Everything ``caller`` holds (read once per request)."""
    cached = caller.grants.value
    if cached is not None:
        return cached
    if caller.kind is CallerKind.BACKEND:
        grants = EVERYTHING  # MEMBERS_ADMIN_API_KEY (a scoped key arrives with its grants filled in)
    elif caller.kind is CallerKind.MEMBER and caller.member_id is not None:
        grants, withheld = NOTHING, NOTHING
        for role in await held_roles(caller.member_id):
            if mfa_policy.role_in_force(role.require_mfa, caller):
                grants |= role.grants
            else:
                withheld |= role.grants
        caller.grants.withheld = withheld
    else:
        grants = NOTHING
    caller.grants.value = grants
    return grants


def holds(caller: Caller, permission: Permission) -> bool:
    """Whether ``caller`` holds ``permission``, once ``grants_of`` has read its grants."""
    grants = caller.grants.value
    if grants is None:
        raise RuntimeError("grants_of(caller) must run before holds(caller, …)")
    return permission in grants.permissions


async def can(caller: Caller, permission: Permission) -> bool:
    return permission in (await grants_of(caller)).permissions


def refusal(caller: Caller, missing: Iterable[Permission], message: str, **details: object) -> DomainError:
    """Why ``caller`` may not do what needs ``missing`` (once ``grants_of`` has read its grants): 3243 when
    roles that require MFA would grant all of it to a session with a second factor, else 3029."""
    needed = frozenset(missing)
    if caller.kind is CallerKind.MEMBER and needed and needed <= caller.grants.withheld.permissions:
        return mfa_policy.role_error(caller, sorted(needed, key=lambda p: p.value))
    return DomainError(ErrorCode.NOT_ALLOWED, message, **details)


async def require(caller: Caller, *permissions: Permission) -> None:
    """3029 unless ``caller`` holds every one of ``permissions`` (3243 when only MFA stands in the way)."""
    held = (await grants_of(caller)).permissions
    missing = [p for p in permissions if p not in held]
    if missing:
        raise refusal(
            caller,
            missing,
            f"This needs the permission {', '.join(p.value for p in missing)} (a backend key, or a role that grants it).",
        )


async def member_grants(member_id: uuid.UUID) -> Grants:
    """What a member's roles grant (assigned, computed, and its badges'), whatever the session: what it
    may do with a session that proved a second factor."""
    grants = NOTHING
    for role in await held_roles(member_id):
        grants |= role.grants
    return grants


async def grants_in_force(member_id: uuid.UUID, caller: Caller) -> Grants:
    """What the member's roles grant to requests made like ``caller``'s (its session's second factor
    and enrolment state), whoever ``caller`` names."""
    grants = NOTHING
    for role in await held_roles(member_id):
        if mfa_policy.role_in_force(role.require_mfa, caller):
            grants |= role.grants
    return grants
