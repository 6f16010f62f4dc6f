"""Setting, resetting and changing passwords."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.mfa_required import MfaRequired
from gql.api.types.payloads import (
    ChangePasswordPayload,
    RequestPasswordResetPayload,
    ResetPasswordPayload,
    SendSetPasswordEmailPayload,
)
from gql.domain import password_reset
from gql.domain.errors import ErrorCode as C
from gql.domain.passwords import MAX_LENGTH, MIN_LENGTH
from gql.domain.policy import PASSWORD_LINK_LIFETIME, spoken
from gql.domain.sessions import MfaChallengeGrant

NewPassword = Annotated[
    str, strawberry.argument(description=f"{MIN_LENGTH} to {MAX_LENGTH} printable ASCII characters.")
]
Email = Annotated[str, strawberry.argument(description="The member's login email.")]

SendSetPasswordEmailResult = result_union(
    "SendSetPasswordEmailResult",
    "A set-password link is queued, or why not.",
    SendSetPasswordEmailPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
)
RequestPasswordResetResult = result_union(
    "RequestPasswordResetResult",
    "Always the payload when accepted: the answer does not tell whether the account exists.",
    RequestPasswordResetPayload,
    C.RATE_LIMITED,
)
ResetPasswordResult = result_union(
    "ResetPasswordResult",
    "A new session (all others ended), or why the link or password was refused.",
    (ResetPasswordPayload, MfaRequired),
    C.TOKEN_INVALID,
    C.TOKEN_EXPIRED,
    C.TOKEN_USED,
    C.LOGIN_DISABLED,
    C.MEMBER_NOT_FOUND,
    C.MISSING_PASSWORD,
    C.PASSWORD_POLICY,
    C.PENDING_APPROVAL,
    C.RATE_LIMITED,
)
ChangePasswordResult = result_union(
    "ChangePasswordResult",
    "The member after the change, or why it was refused.",
    ChangePasswordPayload,
    C.NOT_LOGGED_IN,
    C.WRONG_CURRENT_PASSWORD,
    C.MISSING_PASSWORD,
    C.PASSWORD_POLICY,
    C.RATE_LIMITED,
    C.RECENT_SECOND_FACTOR_REQUIRED,
)


@strawberry.type
class PasswordMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description=f"Backend only. Email the member a link to set its password ({spoken(PASSWORD_LINK_LIFETIME)}, once).",
    )
    async def send_set_password_email(self, info: Info[Context, None], email: Email) -> SendSetPasswordEmailResult:
        context = info.context
        await password_reset.send_set_password_email(context.services, await context.caller(), email)
        return SendSetPasswordEmailPayload(email=email)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Email a password-reset link if an account has this address; same answer either way.",
    )
    async def request_password_reset(self, info: Info[Context, None], email: Email) -> RequestPasswordResetResult:
        context = info.context
        await password_reset.request_password_reset(context.services, await context.caller(), email)
        return RequestPasswordResetPayload(email=email)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Set a new password with the emailed token; ends every other session and opens one.",
    )
    async def reset_password(
        self,
        info: Info[Context, None],
        token: Annotated[str, strawberry.argument(description="The `token` parameter of the emailed link.")],
        new_password: NewPassword,
    ) -> ResetPasswordResult:
        context = info.context
        grant = await password_reset.reset_password(context.services, await context.caller(), token, new_password)
        if isinstance(grant, MfaChallengeGrant):
            return MfaRequired.from_domain(grant)
        return ResetPasswordPayload.from_grant(grant)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Change the signed-in member's password; its other sessions end. A wrong current password is "
        "WrongCurrentPasswordError (3055).",
    )
    async def change_password(
        self,
        info: Info[Context, None],
        current_password: Annotated[str, strawberry.argument(description="The password in use now.")],
        new_password: NewPassword,
    ) -> ChangePasswordResult:
        context = info.context
        member = await password_reset.change_password(
            context.services, await context.caller(), current_password, new_password
        )
        return ChangePasswordPayload.from_domain(member)
