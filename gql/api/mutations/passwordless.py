"""Passwordless sign-in: an emailed one-time code or link (gql/domain/passwordless.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.mfa_required import MfaRequired
from gql.api.types.payloads import LoginPayload, RequestLoginCodePayload
from gql.domain import passwordless
from gql.domain.errors import ErrorCode as C
from gql.domain.policy import LOGIN_CODE_ATTEMPTS, LOGIN_CODE_DIGITS, LOGIN_CODE_LIFETIME, spoken
from gql.domain.sessions import MfaChallengeGrant

_VALIDITY = f"valid {spoken(LOGIN_CODE_LIFETIME)}, once, and dead after {LOGIN_CODE_ATTEMPTS} wrong codes"

RequestLoginCodeResult = result_union(
    "RequestLoginCodeResult",
    "Always the payload when accepted: the answer does not tell whether a member has the address.",
    RequestLoginCodePayload,
    C.PASSWORDLESS_DISABLED,
    C.EMAIL_FORMAT,
    C.RATE_LIMITED,
)
_SIGN_IN_CODES = (
    C.LOGIN_CODE_INVALID,
    C.PASSWORDLESS_DISABLED,
    C.LOGIN_DISABLED,
    C.PENDING_APPROVAL,
    C.RATE_LIMITED,
    C.TOO_MANY_SESSIONS,
)
LoginWithCodeResult = result_union(
    "LoginWithCodeResult",
    "A session (as login answers), or why not. A wrong, expired, used or replaced code, and an address that was "
    "never sent one, answer alike (3230).",
    (LoginPayload, MfaRequired),
    *_SIGN_IN_CODES,
)
LoginWithLinkTokenResult = result_union(
    "LoginWithLinkTokenResult",
    "A session (as login answers), or why not. A wrong, expired, used or replaced link answers 3230.",
    (LoginPayload, MfaRequired),
    *_SIGN_IN_CODES,
)


@strawberry.type
class PasswordlessMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description=f"Mail a {LOGIN_CODE_DIGITS}-digit sign-in code and a sign-in link ({_VALIDITY}) to the address, "
        "if a member has it (or, with passwordlessSignup, to become one); a new request replaces the older code. "
        "The answer is the same either way. 3231 unless passwordlessLogin is on; 3207 when this address or "
        "mailbox asks too often.",
    )
    async def request_login_code(
        self,
        info: Info[Context, None],
        email: Annotated[str, strawberry.argument(description="The email address to sign in with.")],
    ) -> RequestLoginCodeResult:
        context = info.context
        await passwordless.request_login_code(context.services, await context.caller(), email)
        return RequestLoginCodePayload(email=email)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Sign in with the emailed code: a session, as login gives, of method CODE; the code confirms "
        "the email (and, with passwordlessSignup, creates the member). 3230 for a wrong, expired or used code.",
    )
    async def login_with_code(
        self,
        info: Info[Context, None],
        email: Annotated[str, strawberry.argument(description="The address the code was sent to.")],
        code: Annotated[str, strawberry.argument(description=f"The {LOGIN_CODE_DIGITS} digits from the mail.")],
    ) -> LoginWithCodeResult:
        context = info.context
        grant = await passwordless.login_with_code(context.services, await context.caller(), email, code)
        if isinstance(grant, MfaChallengeGrant):
            return MfaRequired.from_domain(grant)
        return LoginPayload.from_grant(grant)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Sign in with the emailed link's token: the same as loginWithCode with the code of the same "
        "mail (either signs in once; the other dies with it).",
    )
    async def login_with_link_token(
        self,
        info: Info[Context, None],
        token: Annotated[str, strawberry.argument(description="The `token` parameter of the emailed sign-in link.")],
    ) -> LoginWithLinkTokenResult:
        context = info.context
        grant = await passwordless.login_with_link_token(context.services, await context.caller(), token)
        if isinstance(grant, MfaChallengeGrant):
            return MfaRequired.from_domain(grant)
        return LoginPayload.from_grant(grant)
