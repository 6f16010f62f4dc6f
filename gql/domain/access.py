"""Who may do what: the one place a permission is checked.

Every rule that needs more than "anybody" asks ``await require(caller, Permission.X)`` (or
``can``), whoever the caller is: the env's ``MEMBERS_ADMIN_API_KEY`` holds every permission, a
scoped API key holds its own set, and a member holds what its roles grant (delegated
administration). A member's grants are read once per request, when first asked for, and kept
on the caller.
"""

from __future__ import annotations

import json
import uuid

from gql.db.grants import roles_held
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import EVERYTHING, NOTHING, BuiltInRole, Grants, Permission, grants_of_role


def _listed(value: object) -> list[str]:
    """A JSON list column as a raw query returns it (text on SQLite)."""
    return json.loads(value) if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]


async def grants_of(caller: Caller) -> Grants:
    """Everything ``caller`` holds (read once per request)."""
    cached = caller.grants.value
    if cached is not None:
        return cached
    if caller.kind is CallerKind.BACKEND:
        grants = EVERYTHING  # MEMBERS_ADMIN_API_KEY (a scoped key arrives with its grants filled in)
    elif caller.kind is CallerKind.MEMBER and caller.member_id is not None:
        grants = await member_grants(caller.member_id)
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


async def require(caller: Caller, *permissions: Permission) -> None:
    """3029 unless ``caller`` holds every one of ``permissions``."""
    held = (await grants_of(caller)).permissions
    missing = [p for p in permissions if p not in held]
    if missing:
        raise DomainError(
            ErrorCode.NOT_ALLOWED,
            f"This needs the permission {', '.join(p.value for p in missing)} (a backend key, or a role that grants it).",
        )


async def member_grants(member_id: uuid.UUID) -> Grants:
    """What a member holds through its roles: assigned, computed, and its badges' (one SELECT)."""
    grants = NOTHING
    for role in await roles_held(
        member_id, BuiltInRole.AUTHENTICATED_USER.value, BuiltInRole.GUEST_USER.value, BuiltInRole.SOCIAL_USER.value
    ):
        grants |= grants_of_role(role["name"], _listed(role["permissions"]), _listed(role["site_permissions"]))
    return grants
