"""Email confirmation, passwords and guests."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.lifecycle import EmailConfirmed, EmailQueued, PasswordChanged
from gql.api.types.session import SessionResult
from gql.domain import confirmation, guests, password_reset
from gql.domain.errors import ErrorCode as C

ConfirmEmailResult = result_union(
    "ConfirmEmailResult",
    "The confirmed member, or why the link did not work.",
    EmailConfirmed,
    C.TOKEN_INVALID,
    C.TOKEN_EXPIRED,
    C.TOKEN_USED,
    C.LOGIN_DISABLED,
    C.MEMBER_NOT_FOUND,
    C.RATE_LIMITED,
)
ResendConfirmationResult = result_union(
    "ResendConfirmationResult",
    "A new confirmation link is queued (older links stop working), or why not.",
    EmailQueued,
    C.EMAIL_ALREADY_CONFIRMED,
    C.EMAIL_CONFIRMATION_DISABLED,
    C.NO_ACCOUNT_WITH_EMAIL,
    C.RATE_LIMITED,
)
SendSetPasswordEmailResult = result_union(
    "SendSetPasswordEmailResult",
    "A set-password link is queued, or why not.",
    EmailQueued,
    C.NOT_ALLOWED,
    C.MEMBER_NOT_FOUND,
)
RequestPasswordResetResult = result_union(
    "RequestPasswordResetResult",
    "Always EmailQueued when accepted: the answer does not tell whether the account exists.",
    EmailQueued,
    C.INVALID_ARGUMENT,
    C.RATE_LIMITED,
)
ResetPasswordResult = result_union(
    "ResetPasswordResult",
    "A new session (all others ended), or why the link or password was refused.",
    SessionResult,
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
    PasswordChanged,
    C.NOT_LOGGED_IN,
    C.WRONG_CURRENT_PASSWORD,
    C.MISSING_PASSWORD,
    C.PASSWORD_POLICY,
    C.RATE_LIMITED,
)
GuestLoginResult = result_union(
    "GuestLoginResult",
    "A session for a new guest member, or why guests are refused.",
    SessionResult,
    C.REGISTRATION_DISABLED,
    C.RATE_LIMITED,
)


@strawberry.type
class LifecycleMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Confirm an email with the token from the emailed link.",
    )
    async def confirm_email(self, info: Info[Context, None], token: str) -> ConfirmEmailResult:
        context = info.context
        return EmailConfirmed.from_domain(
            await confirmation.confirm_email(context.services, await context.caller(), token)
        )

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Send a new confirmation link (3102, 3103, 3104 otherwise).",
    )
    async def resend_email_confirmation(self, info: Info[Context, None], email: str) -> ResendConfirmationResult:
        context = info.context
        await confirmation.resend_confirmation(context.services, await context.caller(), email)
        return EmailQueued()

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Backend only. Email the member a link to set its password (3 hours, once).",
    )
    async def send_set_password_email(self, info: Info[Context, None], email: str) -> SendSetPasswordEmailResult:
        context = info.context
        await password_reset.send_set_password_email(context.services, await context.caller(), email)
        return EmailQueued()

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Email a password-reset link if the account exists; same answer either way.",
    )
    async def request_password_reset(self, info: Info[Context, None], email: str) -> RequestPasswordResetResult:
        context = info.context
        await password_reset.request_password_reset(context.services, await context.caller(), email)
        return EmailQueued()

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Set a new password with the emailed token; ends all other sessions.",
    )
    async def reset_password(self, info: Info[Context, None], token: str, new_password: str) -> ResetPasswordResult:
        context = info.context
        grant = await password_reset.reset_password(context.services, await context.caller(), token, new_password)
        return SessionResult.from_domain(grant)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Change the logged-in member's password. A wrong current password is WrongCurrentPasswordError (3055).",
    )
    async def change_password(
        self, info: Info[Context, None], current_password: str, new_password: str
    ) -> ChangePasswordResult:
        context = info.context
        view = await password_reset.change_password(
            context.services, await context.caller(), current_password, new_password
        )
        return PasswordChanged.from_domain(view)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Log in as a new guest (no email, no password); convert it later with register(options: {guestId}).",
    )
    async def login_as_guest(self, info: Info[Context, None]) -> GuestLoginResult:
        context = info.context
        return SessionResult.from_domain(await guests.login_as_guest(context.services, await context.caller()))
