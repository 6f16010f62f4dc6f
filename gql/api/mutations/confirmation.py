"""Email confirmation (Backendless): confirm with the emailed token, or ask for a new link."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.payloads import ConfirmEmailPayload, ResendEmailConfirmationPayload
from gql.domain import confirmation
from gql.domain.errors import ErrorCode as C

ConfirmEmailResult = result_union(
    "ConfirmEmailResult",
    "The confirmed member, or why the link did not work.",
    ConfirmEmailPayload,
    C.TOKEN_INVALID,
    C.TOKEN_EXPIRED,
    C.TOKEN_USED,
    C.LOGIN_DISABLED,
    C.MEMBER_NOT_FOUND,
    C.RATE_LIMITED,
)
ResendEmailConfirmationResult = result_union(
    "ResendEmailConfirmationResult",
    "A new confirmation link is queued (older links stop working), or why not.",
    ResendEmailConfirmationPayload,
    C.EMAIL_ALREADY_CONFIRMED,
    C.EMAIL_CONFIRMATION_DISABLED,
    C.NO_ACCOUNT_WITH_EMAIL,
    C.RATE_LIMITED,
)


@strawberry.type
class ConfirmationMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()], description="Confirm an email with the token from the emailed link."
    )
    async def confirm_email(
        self,
        info: Info[Context, None],
        token: Annotated[str, strawberry.argument(description="The `token` parameter of the emailed link.")],
    ) -> ConfirmEmailResult:
        context = info.context
        member = await confirmation.confirm_email(context.services, await context.caller(), token)
        return ConfirmEmailPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Send a new confirmation link (3102 already confirmed, 3103 confirmation off, 3104 no account).",
    )
    async def resend_email_confirmation(
        self,
        info: Info[Context, None],
        email: Annotated[str, strawberry.argument(description="The member's login email.")],
    ) -> ResendEmailConfirmationResult:
        context = info.context
        await confirmation.resend_confirmation(context.services, await context.caller(), email)
        return ResendEmailConfirmationPayload(email=email)
