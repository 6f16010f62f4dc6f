from __future__ import annotations

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.block import MemberBlocked
from gql.api.types.session import SessionResult
from gql.domain import approval
from gql.domain.errors import ErrorCode as C

ApproveResult = result_union(
    "ApproveResult",
    "A session for the approved member, or why approval failed.",
    SessionResult,
    C.TOKEN_INVALID,
    C.TOKEN_EXPIRED,
    C.TOKEN_USED,
    C.LOGIN_DISABLED,
    C.MEMBER_NOT_FOUND,
    C.NOT_ALLOWED,
    C.EMAIL_NOT_CONFIRMED,
    C.RATE_LIMITED,
)
BlockResult = result_union(
    "BlockResult",
    "The blocked member, or why it could not be blocked.",
    MemberBlocked,
    C.MEMBER_NOT_FOUND,
    C.NOT_ALLOWED,
)


@strawberry.type
class ApprovalMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Approve a pending member with its approval token (single use). A member whose email "
        "still waits for confirmation is approved but gets no session yet: EmailNotConfirmedError (3087).",
    )
    async def approve_by_token(self, info: Info[Context, None], token: str) -> ApproveResult:
        context = info.context
        return SessionResult.from_domain(
            await approval.approve_by_token(context.services, await context.caller(), token)
        )

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Approve a pending member, or unblock a blocked one, and lift its lockout. "
        "A member whose email still waits for confirmation gets no session yet: EmailNotConfirmedError (3087).",
    )
    async def approve_by_email(self, info: Info[Context, None], email: str) -> ApproveResult:
        context = info.context
        return SessionResult.from_domain(
            await approval.approve_by_email(context.services, await context.caller(), email)
        )

    @strawberry.mutation(
        extensions=[ErrorsAsData()], description="Backend only. Block login and end every session of the member."
    )
    async def block_by_email(self, info: Info[Context, None], email: str) -> BlockResult:
        context = info.context
        return MemberBlocked.from_domain(await approval.block_by_email(context.services, await context.caller(), email))
