"""Roles, badges and scoped API keys (Wix authorization and badges, Backendless roles)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.access_inputs import ApiKeyInput, BadgeInput, RoleInput
from gql.api.types.api_key import ApiKey
from gql.api.types.badge import Badge
from gql.api.types.member import Member
from gql.api.types.payloads import (
    AssignBadgePayload,
    AssignRolePayload,
    CreateApiKeyPayload,
    CreateBadgePayload,
    CreateRolePayload,
    DeleteBadgePayload,
    DeleteRolePayload,
    RemoveBadgePayload,
    RemoveRolePayload,
    RevokeApiKeyPayload,
    UpdateBadgePayload,
    UpdateRolePayload,
)
from gql.api.types.role import Role
from gql.domain import api_keys, badges, roles
from gql.domain.errors import ErrorCode as C
from gql.domain.records import MemberRecord

RoleId = Annotated[strawberry.ID, strawberry.argument(description="The role's id.")]
BadgeId = Annotated[strawberry.ID, strawberry.argument(description="The badge's id.")]
MemberId = Annotated[strawberry.ID, strawberry.argument(description="The member's id.")]
MemberIds = Annotated[
    list[strawberry.ID], strawberry.argument(description=f"1 to {badges.MAX_MEMBERS_PER_CALL} members' ids.")
]

CreateRoleResult = result_union(
    "CreateRoleResult",
    "The new role, or why not.",
    CreateRolePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.ROLE_NAME_TAKEN,
    C.CANNOT_GRANT,
    C.INVALID_ARGUMENT,
)
UpdateRoleResult = result_union(
    "UpdateRoleResult",
    "The changed role, or why not.",
    UpdateRolePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.ROLE_NOT_FOUND,
    C.ROLE_NAME_TAKEN,
    C.BUILT_IN_ROLE,
    C.CANNOT_GRANT,
    C.INVALID_ARGUMENT,
)
DeleteRoleResult = result_union(
    "DeleteRoleResult",
    "The deleted role, or why not.",
    DeleteRolePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.ROLE_NOT_FOUND,
    C.BUILT_IN_ROLE,
    C.CANNOT_GRANT,
)
AssignRoleResult = result_union(
    "AssignRoleResult",
    "The member with the role, or why not.",
    AssignRolePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.ROLE_NOT_FOUND,
    C.MEMBER_NOT_FOUND,
    C.BUILT_IN_ROLE,
    C.CANNOT_GRANT,
)
RemoveRoleResult = result_union(
    "RemoveRoleResult",
    "The member without the role, or why not.",
    RemoveRolePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.ROLE_NOT_FOUND,
    C.MEMBER_NOT_FOUND,
    C.BUILT_IN_ROLE,
    C.CANNOT_GRANT,
)
CreateBadgeResult = result_union(
    "CreateBadgeResult",
    "The new badge, or why not.",
    CreateBadgePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.ROLE_NOT_FOUND,
    C.SLUG_TAKEN,
    C.CANNOT_GRANT,
    C.INVALID_ARGUMENT,
)
UpdateBadgeResult = result_union(
    "UpdateBadgeResult",
    "The changed badge, or why not.",
    UpdateBadgePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.BADGE_NOT_FOUND,
    C.ROLE_NOT_FOUND,
    C.SLUG_TAKEN,
    C.CANNOT_GRANT,
    C.INVALID_ARGUMENT,
)
DeleteBadgeResult = result_union(
    "DeleteBadgeResult",
    "The deleted badge, or why not.",
    DeleteBadgePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.BADGE_NOT_FOUND,
    C.CANNOT_GRANT,
)
AssignBadgeResult = result_union(
    "AssignBadgeResult",
    "The members holding the badge now, or why not.",
    AssignBadgePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.BADGE_NOT_FOUND,
    C.CANNOT_GRANT,
    C.INVALID_ARGUMENT,
)
RemoveBadgeResult = result_union(
    "RemoveBadgeResult",
    "The members without the badge now, or why not.",
    RemoveBadgePayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.BADGE_NOT_FOUND,
    C.CANNOT_GRANT,
    C.INVALID_ARGUMENT,
)
CreateApiKeyResult = result_union(
    "CreateApiKeyResult",
    "The new key (shown once), or why not.",
    CreateApiKeyPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.CANNOT_GRANT,
    C.INVALID_ARGUMENT,
)
RevokeApiKeyResult = result_union(
    "RevokeApiKeyResult",
    "The revoked key, or why not.",
    RevokeApiKeyPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.API_KEY_NOT_FOUND,
    C.CANNOT_GRANT,
)


def _member(record: MemberRecord) -> Member:
    return Member.from_domain(record)


@strawberry.type
class AccessMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="ROLES_MANAGE. A new role; the caller must hold every permission it gives (3214).",
    )
    async def create_role(
        self, info: Info[Context, None], input: Annotated[RoleInput, strawberry.argument(description="The role.")]
    ) -> CreateRoleResult:
        context = info.context
        role = await roles.create_role(context.services, await context.caller(), input.to_domain())
        return CreateRolePayload(role=Role.from_domain(role))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="ROLES_MANAGE. Change a role (not admin: 3213; a computed role keeps its name); the caller must "
        "hold every permission the role gives, before and after (3214).",
    )
    async def update_role(
        self,
        info: Info[Context, None],
        id: RoleId,
        input: Annotated[RoleInput, strawberry.argument(description="What to change; omitted fields stay.")],
    ) -> UpdateRoleResult:
        context = info.context
        role = await roles.update_role(context.services, await context.caller(), str(id), input.to_domain())
        return UpdateRolePayload(role=Role.from_domain(role))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="ROLES_MANAGE. Delete a role and its assignments (not a built-in one: 3213).",
    )
    async def delete_role(self, info: Info[Context, None], id: RoleId) -> DeleteRoleResult:
        context = info.context
        role = await roles.delete_role(context.services, await context.caller(), str(id))
        return DeleteRolePayload(role=Role.from_domain(role))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="ROLES_MANAGE (Wix assignRole). The caller must hold every permission of the role (3214); "
        "computed roles are held without assignment (3213).",
    )
    async def assign_role(self, info: Info[Context, None], role_id: RoleId, member_id: MemberId) -> AssignRoleResult:
        context = info.context
        role, member = await roles.assign_role(context.services, await context.caller(), str(role_id), str(member_id))
        return AssignRolePayload(role=Role.from_domain(role), member=_member(MemberRecord.of(member)))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="ROLES_MANAGE (Wix removeRole). The caller must hold every permission of the role (3214); the "
        "last admin keeps admin unless a backend key could still administer the site (3213).",
    )
    async def remove_role(self, info: Info[Context, None], role_id: RoleId, member_id: MemberId) -> RemoveRoleResult:
        context = info.context
        role, member = await roles.remove_role(context.services, await context.caller(), str(role_id), str(member_id))
        return RemoveRolePayload(role=Role.from_domain(role), member=_member(MemberRecord.of(member)))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="BADGES_MANAGE. A new badge; with a role, the caller must hold that role's permissions (3214).",
    )
    async def create_badge(
        self, info: Info[Context, None], input: Annotated[BadgeInput, strawberry.argument(description="The badge.")]
    ) -> CreateBadgeResult:
        context = info.context
        badge = await badges.create_badge(context.services, await context.caller(), input.to_domain())
        return CreateBadgePayload(badge=Badge.from_domain(badge))

    @strawberry.mutation(extensions=[ErrorsAsData()], description="BADGES_MANAGE. Change a badge.")
    async def update_badge(
        self,
        info: Info[Context, None],
        id: BadgeId,
        input: Annotated[BadgeInput, strawberry.argument(description="What to change; omitted fields stay.")],
    ) -> UpdateBadgeResult:
        context = info.context
        badge = await badges.update_badge(context.services, await context.caller(), str(id), input.to_domain())
        return UpdateBadgePayload(badge=Badge.from_domain(badge))

    @strawberry.mutation(extensions=[ErrorsAsData()], description="BADGES_MANAGE. Delete a badge and its assignments.")
    async def delete_badge(self, info: Info[Context, None], id: BadgeId) -> DeleteBadgeResult:
        context = info.context
        badge = await badges.delete_badge(context.services, await context.caller(), str(id))
        return DeleteBadgePayload(badge=Badge.from_domain(badge))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description=f"BADGES_MANAGE (Wix assignBadge). Award a badge to up to {badges.MAX_MEMBERS_PER_CALL} members "
        "at once; idempotent.",
    )
    async def assign_badge(
        self, info: Info[Context, None], badge_id: BadgeId, member_ids: MemberIds
    ) -> AssignBadgeResult:
        context = info.context
        caller = await context.caller()
        held = await badges.assign_badge(context.services, caller, str(badge_id), [str(i) for i in member_ids])
        badge = await badges.get_badge(str(badge_id))
        assert badge is not None
        return AssignBadgePayload(badge=Badge.from_domain(badge), member_ids=[strawberry.ID(str(i)) for i in held])

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description=f"BADGES_MANAGE (Wix removeBadge). Take a badge back from up to {badges.MAX_MEMBERS_PER_CALL} "
        "members at once; idempotent.",
    )
    async def remove_badge(
        self, info: Info[Context, None], badge_id: BadgeId, member_ids: MemberIds
    ) -> RemoveBadgeResult:
        context = info.context
        caller = await context.caller()
        gone = await badges.remove_badge(context.services, caller, str(badge_id), [str(i) for i in member_ids])
        badge = await badges.get_badge(str(badge_id))
        assert badge is not None
        return RemoveBadgePayload(badge=Badge.from_domain(badge), member_ids=[strawberry.ID(str(i)) for i in gone])

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="API_KEYS_MANAGE. A new scoped key holding at most what the caller holds (3214); the key is "
        "returned once.",
    )
    async def create_api_key(
        self, info: Info[Context, None], input: Annotated[ApiKeyInput, strawberry.argument(description="The key.")]
    ) -> CreateApiKeyResult:
        context = info.context
        made = await api_keys.create_api_key(
            context.services,
            await context.caller(),
            input.name,
            input.permission_list(),
            list(input.site_permissions or []),
        )
        return CreateApiKeyPayload(api_key=ApiKey.from_domain(made.record), key=made.key)

    @strawberry.mutation(extensions=[ErrorsAsData()], description="API_KEYS_MANAGE. The key stops working at once.")
    async def revoke_api_key(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The key's id.")],
    ) -> RevokeApiKeyResult:
        context = info.context
        key = await api_keys.revoke_api_key(context.services, await context.caller(), str(id))
        return RevokeApiKeyPayload(api_key=ApiKey.from_domain(key))
