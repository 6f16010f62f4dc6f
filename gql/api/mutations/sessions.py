from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.payloads import LoginAsGuestPayload, LoginPayload, LogoutPayload
from gql.domain import guests, sessions
from gql.domain.errors import ErrorCode as C

LoginResult = result_union(
    "LoginResult",
    "A session, or why login failed. Unknown identity and wrong password answer alike (3003).",
    LoginPayload,
    C.EMPTY_CREDENTIALS,
    C.INVALID_CREDENTIALS,
    C.LOGIN_DISABLED,
    C.PENDING_APPROVAL,
    C.EMAIL_NOT_CONFIRMED,
    C.ACCOUNT_LOCKED,
    C.RATE_LIMITED,
)
LogoutResult = result_union("LogoutResult", "Logged out, or why not.", LogoutPayload, C.NOT_LOGGED_IN)
LoginAsGuestResult = result_union(
    "LoginAsGuestResult",
    "A session for a new guest, or why guests are refused.",
    LoginAsGuestPayload,
    C.REGISTRATION_DISABLED,
    C.RATE_LIMITED,
)


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Log in with the identity (email by default) and password. 3036 after too many failed logins, "
        "3207 when this address sends too many requests.",
    )
    async def login(
        self,
        info: Info[Context, None],
        identity: Annotated[
            str,
            strawberry.argument(description="The identity property's value: the email unless the site chose another."),
        ],
        password: Annotated[str, strawberry.argument(description="The member's password.")],
    ) -> LoginResult:
        context = info.context
        return LoginPayload.from_grant(
            await sessions.login(context.services, await context.caller(), identity, password)
        )

    @strawberry.mutation(extensions=[ErrorsAsData()], description="End the caller's session (Authorization: Bearer).")
    async def logout(self, info: Info[Context, None]) -> LogoutResult:
        return LogoutPayload.from_domain(await sessions.logout(await info.context.caller()))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Sign in as a new guest (no email, no password); convert it later with "
        "register(options: {guestId}).",
    )
    async def login_as_guest(self, info: Info[Context, None]) -> LoginAsGuestResult:
        context = info.context
        return LoginAsGuestPayload.from_grant(await guests.login_as_guest(context.services, await context.caller()))
