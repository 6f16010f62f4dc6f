"""Profiles and administration (Wix members API): update, change login email, delete, create."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.member_inputs import CreateMemberInput, UpdateMemberInput
from gql.api.types.payloads import (
    ChangeLoginEmailPayload,
    CreateMemberPayload,
    DeleteMemberPayload,
    UpdateMemberPayload,
)
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
    UpdateMemberPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
    C.SLUG_TAKEN,
    *_PROPERTY_ERRORS,
)
ChangeLoginEmailResult = result_union(
    "ChangeLoginEmailResult",
    "The member with its new login email, or why not.",
    ChangeLoginEmailPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
    C.EMAIL_FORMAT,
    C.IDENTITY_TAKEN,
    C.RECENT_SECOND_FACTOR_REQUIRED,
)
DeleteMemberResult = result_union(
    "DeleteMemberResult",
    "The deleted member, or why not.",
    DeleteMemberPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
)
CreateMemberResult = result_union(
    "CreateMemberResult",
    "The invited member, or why it could not be created.",
    CreateMemberPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.EMAIL_FORMAT,
    C.IDENTITY_TAKEN,
    *_PROPERTY_ERRORS,
)


@strawberry.type
class MemberMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="The member itself or the backend: contact details, nickname, title, photo, privacy, slug "
        "(Wix updateMember, makeProfilePublic/Private, updateSlug). A member the caller may not see is 3030.",
    )
    async def update_member(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The member to update.")],
        input: Annotated[UpdateMemberInput, strawberry.argument(description="What to change.")],
    ) -> UpdateMemberResult:
        context = info.context
        member = await administration.update_member(
            context.services, await context.caller(), str(id), input.to_domain()
        )
        return UpdateMemberPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only (Wix changeLoginEmail). Unique (3033) and well-formed (3040); confirmation starts "
        "over when it is on; every emailed link of the member stops working.",
    )
    async def change_login_email(
        self,
        info: Info[Context, None],
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member whose login email changes.")],
        new_email: Annotated[str, strawberry.argument(description="The new login email.")],
    ) -> ChangeLoginEmailResult:
        context = info.context
        member = await administration.change_login_email(
            context.services, await context.caller(), str(member_id), new_email
        )
        return ChangeLoginEmailPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Removes the member with its sessions and tokens; its contact stays for the site.",
    )
    async def delete_member(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The member to delete.")],
    ) -> DeleteMemberResult:
        context = info.context
        member = await administration.delete_member(context.services, await context.caller(), str(id))
        return DeleteMemberPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. An invited member without a password, who gets a set-password email.",
    )
    async def create_member(
        self,
        info: Info[Context, None],
        input: Annotated[CreateMemberInput, strawberry.argument(description="The new member.")],
    ) -> CreateMemberResult:
        context = info.context
        member = await administration.create_member(
            context.services, await context.caller(), input.email, input.contact(), input.privacy()
        )
        return CreateMemberPayload.from_domain(member)
