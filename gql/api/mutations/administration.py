"""Profiles and administration (Wix members API)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.administration import CreateMemberInput, UpdateMemberInput
from gql.api.types.lifecycle import MemberCreated, MemberDeleted, MemberUpdated
from gql.domain import administration
from gql.domain.errors import ErrorCode as C

_PROPERTY_ERRORS = (
    C.RESERVED_PROPERTY,
    C.DUPLICATE_PROPERTY,
    C.UNKNOWN_PROPERTY,
    C.REQUIRED_PROPERTY_MISSING,
    C.REQUIRED_PROPERTY_EMPTY,
    C.MISSING_IDENTITY,
    C.VALUE_TOO_LONG,
    C.REGISTRATION_ERROR,
    C.INVALID_ARGUMENT,
)
UpdateMemberResult = result_union(
    "UpdateMemberResult",
    "The updated member, or why the update was refused.",
    MemberUpdated,
    C.NOT_ALLOWED,
    C.MEMBER_NOT_FOUND,
    C.SLUG_TAKEN,
    *_PROPERTY_ERRORS,
)
ChangeLoginEmailResult = result_union(
    "ChangeLoginEmailResult",
    "The member with its new login email, or why not.",
    MemberUpdated,
    C.NOT_ALLOWED,
    C.MEMBER_NOT_FOUND,
    C.EMAIL_FORMAT,
    C.IDENTITY_TAKEN,
)
DeleteMemberResult = result_union(
    "DeleteMemberResult", "The deleted member's id, or why not.", MemberDeleted, C.NOT_ALLOWED, C.MEMBER_NOT_FOUND
)
CreateMemberResult = result_union(
    "CreateMemberResult",
    "The invited member, or why it could not be created.",
    MemberCreated,
    C.NOT_ALLOWED,
    C.EMAIL_FORMAT,
    C.IDENTITY_TAKEN,
    *_PROPERTY_ERRORS,
)


@strawberry.type
class AdministrationMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="The member itself or the backend: contact details, nickname, title, photo, privacy, slug.",
    )
    async def update_member(
        self, info: Info[Context, None], id: strawberry.ID, input: UpdateMemberInput
    ) -> UpdateMemberResult:
        context = info.context
        view = await administration.update_member(context.services, await context.caller(), str(id), input.to_domain())
        return MemberUpdated.from_domain(view)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Unique (3033) and well-formed (3040); confirmation starts over when it is on.",
    )
    async def change_login_email(
        self, info: Info[Context, None], member_id: strawberry.ID, new_email: str
    ) -> ChangeLoginEmailResult:
        context = info.context
        view = await administration.change_login_email(
            context.services, await context.caller(), str(member_id), new_email
        )
        return MemberUpdated.from_domain(view)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Removes the member with its sessions and tokens; its contact stays.",
    )
    async def delete_member(self, info: Info[Context, None], id: strawberry.ID) -> DeleteMemberResult:
        context = info.context
        deleted = await administration.delete_member(context.services, await context.caller(), str(id))
        return MemberDeleted(id=strawberry.ID(str(deleted)))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. An invited member without a password, who gets a set-password email.",
    )
    async def create_member(self, info: Info[Context, None], input: CreateMemberInput) -> CreateMemberResult:
        context = info.context
        view = await administration.create_member(
            context.services, await context.caller(), input.email, input.contact(), input.privacy_status.value
        )
        return MemberCreated.from_domain(view)
