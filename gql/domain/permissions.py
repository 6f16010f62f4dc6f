"""What a caller may do: the permissions over this server's own operations (a closed set, in
the schema as ``enum Permission``) and the site's own, free-form permissions (strings a site
checks in its own code and finds in access tokens)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.statuses import Described

SITE_PERMISSION = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")


class Permission(Described):
    """A permission over one of this server's operations."""

    MEMBERS_READ = "MEMBERS_READ", "Read every field of any member, list and filter all members (emailPrefix too)."
    MEMBERS_APPROVE = (
        "MEMBERS_APPROVE",
        "Approve pending members (approveMember, approveByEmail) and see approval tokens.",
    )
    MEMBERS_BLOCK = "MEMBERS_BLOCK", "Block and unblock members (blockMember, blockByEmail, unblockMember)."
    MEMBERS_UPDATE = "MEMBERS_UPDATE", "Change any member: profile, contact, login email, activity, password links."
    MEMBERS_DELETE = "MEMBERS_DELETE", "Delete members."
    MEMBERS_CREATE = "MEMBERS_CREATE", "Create members (createMember, backend registrations, trusted sign-in)."
    SETTINGS_MANAGE = "SETTINGS_MANAGE", "Read and change the registration settings."
    ROLES_MANAGE = "ROLES_MANAGE", "Create, change and delete roles; assign and remove them."
    BADGES_MANAGE = "BADGES_MANAGE", "Create, change and delete badges; assign and remove them."
    EVENTS_READ = "EVENTS_READ", "Read audit trails (memberEvents, the events subscription)."
    SESSIONS_MANAGE = (
        "SESSIONS_MANAGE",
        "List and end any member's sessions; open sessions for members (trusted sign-in).",
    )
    API_KEYS_MANAGE = "API_KEYS_MANAGE", "Create, list and revoke API keys."


EVERY_PERMISSION = frozenset(Permission)


@dataclass(frozen=True)
class Grants:
    """What one caller holds: permissions over this server, and the site's own permissions."""

    permissions: frozenset[Permission] = frozenset()
    site_permissions: frozenset[str] = frozenset()
    # Every site permission, whatever its name (the backend key and admin): a site's own names
    # are open-ended, so "all of them" cannot be a list.
    every_site_permission: bool = False

    def __or__(self, other: Grants) -> Grants:
        return Grants(
            self.permissions | other.permissions,
            self.site_permissions | other.site_permissions,
            self.every_site_permission or other.every_site_permission,
        )

    def covers(self, other: Grants) -> bool:
        sites = self.every_site_permission or (
            not other.every_site_permission and other.site_permissions <= self.site_permissions
        )
        return other.permissions <= self.permissions and sites


EVERYTHING = Grants(EVERY_PERMISSION, every_site_permission=True)
NOTHING = Grants()


def checked_site_permissions(values: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Site permissions as given, each a short lowercase name such as ``shop:orders.read`` (3209 otherwise)."""
    for value in values:
        if not SITE_PERMISSION.match(value):
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                f'Site permission "{value}" must be a lowercase letter, then up to 63 of a-z, 0-9, "_", ".", ":" or "-".',
                property="sitePermissions",
            )
    return frozenset(values)


class BuiltInRole(Described):
    """The roles every site has (Backendless's system roles, and an administrator)."""

    ADMIN = "admin", "Every permission of this server; cannot be changed or deleted."
    AUTHENTICATED_USER = "AuthenticatedUser", "Held by every signed-in approved member, without assignment."
    GUEST_USER = "GuestUser", "Held by every guest, without assignment."
    SOCIAL_USER = "SocialUser", "Held by every member signed in through an external provider, without assignment."


def grants_of_role(name: str, permissions: Iterable[str], site_permissions: Iterable[str]) -> Grants:
    """What a role grants; ``admin`` grants every permission whatever its row says."""
    if name == BuiltInRole.ADMIN:
        return Grants(EVERY_PERMISSION, frozenset(site_permissions), every_site_permission=True)
    known = {p.value for p in Permission}
    return Grants(frozenset(Permission(p) for p in permissions if p in known), frozenset(site_permissions))
