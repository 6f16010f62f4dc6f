"""Approving, blocking and unblocking: Wix's by-token and by-email calls, and the backend's by-id ones."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.payloads import (
    ApproveByEmailPayload,
    ApproveByTokenPayload,
    ApproveMemberPayload,
    BlockByEmailPayload,
    BlockMemberPayload,
    UnblockMemberPayload,
)
from gql.domain import approval
from gql.domain.errors import ErrorCode as C

MemberId = Annotated[strawberry.ID, strawberry.argument(description="The member's id.")]
Email = Annotated[str, strawberry.argument(description="The member's login email (any case, spaces trimmed).")]

ApproveByTokenResult = result_union(
    "ApproveByTokenResult",
    "A session for the approved member, or why approval failed.",
    ApproveByTokenPayload,
    C.TOKEN_INVALID,
    C.TOKEN_EXPIRED,
    C.TOKEN_USED,
    C.LOGIN_DISABLED,
    C.MEMBER_NOT_FOUND,
    C.EMAIL_NOT_CONFIRMED,
    C.RATE_LIMITED,
)
ApproveByEmailResult = result_union(
    "ApproveByEmailResult",
    "A session for the approved member, or why not.",
    ApproveByEmailPayload,
    C.MEMBER_NOT_FOUND,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.EMAIL_NOT_CONFIRMED,
)
BlockByEmailResult = result_union(
    "BlockByEmailResult",
    "The blocked member, or why it could not be blocked.",
    BlockByEmailPayload,
    C.MEMBER_NOT_FOUND,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
)
ApproveMemberResult = result_union(
    "ApproveMemberResult",
    "The approved member, or why not.",
    ApproveMemberPayload,
    C.MEMBER_NOT_FOUND,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.LOGIN_DISABLED,
)
BlockMemberResult = result_union(
    "BlockMemberResult",
    "The blocked member, or why not.",
    BlockMemberPayload,
    C.MEMBER_NOT_FOUND,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
)
UnblockMemberResult = result_union(
    "UnblockMemberResult",
    "The unblocked member, or why not.",
    UnblockMemberPayload,
    C.MEMBER_NOT_FOUND,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
)


@strawberry.type
class ApprovalMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Approve a pending member with its approval token (single use) and sign it in (Wix "
        "approveByToken). A member whose email still waits for confirmation is approved but gets no session yet: "
        "EmailNotConfirmedError (3087).",
    )
    async def approve_by_token(
        self,
        info: Info[Context, None],
        token: Annotated[str, strawberry.argument(description="The approval token from register (backend).")],
    ) -> ApproveByTokenResult:
        context = info.context
        grant = await approval.approve_by_token(context.services, await context.caller(), token)
        return ApproveByTokenPayload.from_grant(grant)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Approve a pending member, or unblock a blocked one, lift its lockout, and sign "
        "it in (Wix approveByEmail). A member whose email still waits for confirmation gets no session yet (3087).",
    )
    async def approve_by_email(self, info: Info[Context, None], email: Email) -> ApproveByEmailResult:
        context = info.context
        grant = await approval.approve_by_email(context.services, await context.caller(), email)
        return ApproveByEmailPayload.from_grant(grant)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Block login and end every session of the member (Wix blockByEmail).",
    )
    async def block_by_email(self, info: Info[Context, None], email: Email) -> BlockByEmailResult:
        context = info.context
        member = await approval.block_by_email(context.services, await context.caller(), email)
        return BlockByEmailPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Approve a pending member (no session is opened; the approval mail goes out). "
        "An approved member or a guest stays as it is; a blocked one is 3000 (unblock it instead).",
    )
    async def approve_member(self, info: Info[Context, None], id: MemberId) -> ApproveMemberResult:
        context = info.context
        member = await approval.approve_member(context.services, await context.caller(), str(id))
        return ApproveMemberPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()], description="Backend only. Block login and end every session of the member."
    )
    async def block_member(self, info: Info[Context, None], id: MemberId) -> BlockMemberResult:
        context = info.context
        member = await approval.block_member(context.services, await context.caller(), str(id))
        return BlockMemberPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Unblock a blocked member and lift its lockout (a member that is not blocked "
        "stays as it is).",
    )
    async def unblock_member(self, info: Info[Context, None], id: MemberId) -> UnblockMemberResult:
        context = info.context
        member = await approval.unblock_member(context.services, await context.caller(), str(id))
        return UnblockMemberPayload.from_domain(member)
