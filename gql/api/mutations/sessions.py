"""Signing in and out, ending sessions, validating them, and access tokens for other services."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.member import Member
from gql.api.types.mfa_required import MfaRequired
from gql.api.types.payloads import (
    IssueAccessTokenPayload,
    LoginAsGuestPayload,
    LoginPayload,
    LogoutPayload,
    RevokeAllSessionsPayload,
    RevokeOtherSessionsPayload,
    RevokeSessionPayload,
    ValidateSessionPayload,
)
from gql.domain import access_tokens, guests, introspection, sessions
from gql.domain.errors import ErrorCode as C

LoginResult = result_union(
    "LoginResult",
    "A session, or why login failed. Unknown identity and wrong password answer alike (3003).",
    (LoginPayload, MfaRequired),
    C.EMPTY_CREDENTIALS,
    C.INVALID_CREDENTIALS,
    C.LOGIN_DISABLED,
    C.PENDING_APPROVAL,
    C.EMAIL_NOT_CONFIRMED,
    C.ACCOUNT_LOCKED,
    C.RATE_LIMITED,
    C.TOO_MANY_SESSIONS,
)
LogoutResult = result_union("LogoutResult", "Logged out, or why not.", LogoutPayload, C.NOT_LOGGED_IN)
LoginAsGuestResult = result_union(
    "LoginAsGuestResult",
    "A session for a new guest, or why guests are refused.",
    LoginAsGuestPayload,
    C.REGISTRATION_DISABLED,
    C.RATE_LIMITED,
)
RevokeSessionResult = result_union(
    "RevokeSessionResult",
    "The ended session, or why not.",
    RevokeSessionPayload,
    C.NOT_LOGGED_IN,
    C.SESSION_NOT_FOUND,
)
RevokeOtherSessionsResult = result_union(
    "RevokeOtherSessionsResult", "How many sessions ended, or why not.", RevokeOtherSessionsPayload, C.NOT_LOGGED_IN
)
RevokeAllSessionsResult = result_union(
    "RevokeAllSessionsResult",
    "How many sessions ended, or why not.",
    RevokeAllSessionsPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
)
ValidateSessionResult = result_union(
    "ValidateSessionResult",
    "Whether the token is good now, or why the question was refused.",
    ValidateSessionPayload,
    C.RATE_LIMITED,
)
IssueAccessTokenResult = result_union(
    "IssueAccessTokenResult",
    "An access token, or why not.",
    IssueAccessTokenPayload,
    C.NOT_LOGGED_IN,
    C.INVALID_ARGUMENT,
    C.RATE_LIMITED,
)


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Log in with the identity (email by default) and password. 3036 after too many failed logins, "
        "3207 when this address sends too many requests, 3217 when the member holds as many sessions as allowed "
        "and the policy refuses new ones.",
    )
    async def login(
        self,
        info: Info[Context, None],
        identity: Annotated[
            str,
            strawberry.argument(description="The identity property's value: the email unless the site chose another."),
        ],
        password: Annotated[str, strawberry.argument(description="The member's password.")],
        stay_logged_in: Annotated[
            bool | None,
            strawberry.argument(
                description="Keep the session for the whole session lifetime (30 days by default). Otherwise "
                "(the default) it also ends after the idle timeout without a request (2 hours by default)."
            ),
        ] = None,
    ) -> LoginResult:
        context = info.context
        grant = await sessions.login(
            context.services, await context.caller(), identity, password, stay_logged_in=bool(stay_logged_in)
        )
        if isinstance(grant, sessions.MfaChallengeGrant):
            return MfaRequired.from_domain(grant)
        return LoginPayload.from_grant(grant)

    @strawberry.mutation(extensions=[ErrorsAsData()], description="End the caller's session (Authorization: Bearer).")
    async def logout(self, info: Info[Context, None]) -> LogoutResult:
        context = info.context
        return LogoutPayload.from_domain(await sessions.logout(context.services, await context.caller()))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Sign in as a new guest (no email, no password); convert it later with "
        "register(options: {guestId}).",
    )
    async def login_as_guest(self, info: Info[Context, None]) -> LoginAsGuestResult:
        context = info.context
        return LoginAsGuestPayload.from_grant(await guests.login_as_guest(context.services, await context.caller()))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="End one session: one of the caller's member's own (a member caller), or any (the backend). "
        "Its token stops working at once. 3216 for a session that does not exist, already ended, or is not the "
        "caller's (alike).",
    )
    async def revoke_session(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The session's id (`Session.id`).")],
    ) -> RevokeSessionResult:
        context = info.context
        caller = await context.caller()
        ended = await sessions.revoke_session(context.services, caller, str(id))
        return RevokeSessionPayload.from_domain(ended, caller.session_id)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="End every session of the caller's member except the one making this request (sign out "
        "everywhere else).",
    )
    async def revoke_other_sessions(self, info: Info[Context, None]) -> RevokeOtherSessionsResult:
        context = info.context
        member, count = await sessions.revoke_other_sessions(context.services, await context.caller())
        return RevokeOtherSessionsPayload(member=Member.from_domain(member), revoked_count=count)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="End every session of a member (the backend, or the member itself: its current one too).",
    )
    async def revoke_all_sessions(
        self,
        info: Info[Context, None],
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member whose sessions end.")],
    ) -> RevokeAllSessionsResult:
        context = info.context
        member, count = await sessions.revoke_all_sessions(context.services, await context.caller(), str(member_id))
        return RevokeAllSessionsPayload(member=Member.from_domain(member), revoked_count=count)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Is this token good now? A session token, or an access token from issueAccessToken (then "
        "for its session: a service learns whether the session ended since). Does not extend the session. "
        "Anyone holding the token may ask; callers without the backend key are rate limited (3207). An "
        "invalid token is `valid: false`, not an error.",
    )
    async def validate_session(
        self,
        info: Info[Context, None],
        token: Annotated[str, strawberry.argument(description="A session token or an access token.")],
    ) -> ValidateSessionResult:
        context = info.context
        validity = await introspection.validate_session(context.services, await context.caller(), token)
        return ValidateSessionPayload.from_domain(validity)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="A short-lived access token (a JWT, ES256 or EdDSA) for the caller's session, which other "
        "services verify with the keys at /.well-known/jwks.json. 3028 without a live session; 3207 when this "
        "address asks too often.",
    )
    async def issue_access_token(
        self,
        info: Info[Context, None],
        audience: Annotated[
            str | None,
            strawberry.argument(
                description="The service it is for (its `aud` claim); default: this server's public URL, the "
                "issuer. MEMBERS_ACCESS_TOKEN_AUDIENCES may restrict the choice (3209 otherwise)."
            ),
        ] = None,
    ) -> IssueAccessTokenResult:
        context = info.context
        token = await access_tokens.issue_access_token(context.services, await context.caller(), audience)
        return IssueAccessTokenPayload.from_domain(token)
