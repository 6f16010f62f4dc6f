from __future__ import annotations

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.session import LoggedOut, SessionResult
from gql.domain import sessions
from gql.domain.errors import ErrorCode as C

LoginResult = result_union(
    "LoginResult",
    "A session, or why login failed. Unknown identity and wrong password answer alike (3003).",
    SessionResult,
    C.EMPTY_CREDENTIALS,
    C.INVALID_CREDENTIALS,
    C.LOGIN_DISABLED,
    C.PENDING_APPROVAL,
    C.EMAIL_NOT_CONFIRMED,
    C.ACCOUNT_LOCKED,
    C.RATE_LIMITED,
)
LogoutResult = result_union("LogoutResult", "Logout, or why it failed.", LoggedOut, C.NOT_LOGGED_IN)


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Log in with the identity (email by default) and password. "
        "3036 after too many failed logins, 3207 when this address sends too many.",
    )
    async def login(self, info: Info[Context, None], identity: str, password: str) -> LoginResult:
        context = info.context
        return SessionResult.from_domain(
            await sessions.login(context.services, await context.caller(), identity, password)
        )

    @strawberry.mutation(extensions=[ErrorsAsData()], description="End the caller's session (Authorization: Bearer).")
    async def logout(self, info: Info[Context, None]) -> LogoutResult:
        await sessions.logout(await info.context.caller())
        return LoggedOut()
