"""Second factors: enrolling an authenticator app, recovery codes, finishing a sign-in with a
code (verifyMfa), step-up (reauthenticate), and the backend's resetMfa."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.member import Member
from gql.api.types.payloads import (
    ConfirmTotpPayload,
    DisableTotpPayload,
    EnrollTotpPayload,
    ReauthenticatePayload,
    RegenerateRecoveryCodesPayload,
    ResetMfaPayload,
    VerifyMfaPayload,
)
from gql.domain import mfa, totp
from gql.domain.errors import ErrorCode as C
from gql.domain.policy import RECENT_SECOND_FACTOR, spoken

Code = Annotated[
    str,
    strawberry.argument(description="A 6-digit code from the authenticator app (or, where said, a recovery code)."),
]

EnrollTotpResult = result_union(
    "EnrollTotpResult",
    "A pending secret, or why not.",
    EnrollTotpPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.RECENT_SECOND_FACTOR_REQUIRED,
    C.RATE_LIMITED,
)
ConfirmTotpResult = result_union(
    "ConfirmTotpResult",
    "TOTP on with its recovery codes, or why not.",
    ConfirmTotpPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.SECOND_FACTOR_INVALID,
    C.RATE_LIMITED,
)
RegenerateRecoveryCodesResult = result_union(
    "RegenerateRecoveryCodesResult",
    "New recovery codes, or why not.",
    RegenerateRecoveryCodesPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.SECOND_FACTOR_INVALID,
    C.RATE_LIMITED,
)
DisableTotpResult = result_union(
    "DisableTotpResult",
    "TOTP off, or why not.",
    DisableTotpPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.SECOND_FACTOR_INVALID,
    C.RATE_LIMITED,
)
ResetMfaResult = result_union(
    "ResetMfaResult",
    "The member without its factor, or why not.",
    ResetMfaPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
    C.FACTOR_STATE,
)
VerifyMfaResult = result_union(
    "VerifyMfaResult",
    "The session the sign-in waited for, or why not. Wrong codes count towards the lockout like wrong passwords.",
    VerifyMfaPayload,
    C.MFA_TOKEN_INVALID,
    C.SECOND_FACTOR_INVALID,
    C.PASSKEY_INVALID,
    C.ACCOUNT_LOCKED,
    C.LOGIN_DISABLED,
    C.EMAIL_NOT_CONFIRMED,
    C.RATE_LIMITED,
    C.TOO_MANY_SESSIONS,
)
ReauthenticateResult = result_union(
    "ReauthenticateResult",
    "The factor proved in this session, or why not.",
    ReauthenticatePayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.SECOND_FACTOR_INVALID,
    C.PASSKEY_INVALID,
    C.ACCOUNT_LOCKED,
    C.RATE_LIMITED,
)


@strawberry.type
class SecondFactorMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Start turning on an authenticator app (TOTP) for the signed-in member: a new secret, shown once. "
        "Nothing changes for sign-ins until confirmTotp. 3242 when TOTP is already on; a member with a passkey needs "
        f"a factor proved in this session within {spoken(RECENT_SECOND_FACTOR)} (3244: reauthenticate first).",
    )
    async def enroll_totp(self, info: Info[Context, None]) -> EnrollTotpResult:
        context = info.context
        return EnrollTotpPayload.from_domain(await totp.enroll(context.services, await context.caller()))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Turn TOTP on with a code from the app: every sign-in asks for a code from now on. Answers the "
        "recovery codes, once. This session counts as having proved the factor (the MFA policy's roles apply to it).",
    )
    async def confirm_totp(self, info: Info[Context, None], code: Code) -> ConfirmTotpResult:
        context = info.context
        member, codes = await totp.confirm(context.services, await context.caller(), code)
        return ConfirmTotpPayload(member=Member.from_domain(member), recovery_codes=codes)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Replace the recovery codes (the old ones stop working); needs a code from the app.",
    )
    async def regenerate_recovery_codes(self, info: Info[Context, None], code: Code) -> RegenerateRecoveryCodesResult:
        context = info.context
        codes = await totp.regenerate_recovery_codes(context.services, await context.caller(), code)
        return RegenerateRecoveryCodesPayload(recovery_codes=codes)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Turn TOTP off, proved by a code from the app or a recovery code.",
    )
    async def disable_totp(self, info: Info[Context, None], code: Code) -> DisableTotpResult:
        context = info.context
        return DisableTotpPayload.from_domain(await totp.disable(context.services, await context.caller(), code))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Turn a member's second factor off (backend, or MEMBERS_UPDATE): for a member that lost its app "
        "and its recovery codes. Audited; the member is mailed.",
    )
    async def reset_mfa(
        self,
        info: Info[Context, None],
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member.")],
    ) -> ResetMfaResult:
        context = info.context
        return ResetMfaPayload.from_domain(await totp.reset(context.services, await context.caller(), str(member_id)))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Finish a sign-in that answered MfaRequired: its mfaToken and either a code from the app (or a "
        "recovery code) or a passkey assertion (`credential`, for a startPasskeyMfa challenge) give the session. "
        "Exactly one of `code` and `credential` (3240 otherwise).",
    )
    async def verify_mfa(
        self,
        info: Info[Context, None],
        mfa_token: Annotated[str, strawberry.argument(description="The `mfaToken` of the MfaRequired answer.")],
        code: Annotated[
            str | None,
            strawberry.argument(description="A 6-digit code from the authenticator app, or a recovery code."),
        ] = None,
        credential: Annotated[
            str | None,
            strawberry.argument(
                description="Instead of a code: the PublicKeyCredential `navigator.credentials.get` answered for the "
                "startPasskeyMfa options, as JSON (`credential.toJSON()`)."
            ),
        ] = None,
    ) -> VerifyMfaResult:
        context = info.context
        grant = await mfa.verify_mfa(context.services, await context.caller(), mfa_token, code, credential)
        return VerifyMfaPayload.from_grant(grant)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Prove the second factor again in this session (a step-up): changing the password or the login "
        f"email of a member with a second factor needs one proved within {spoken(RECENT_SECOND_FACTOR)} (3244). "
        "A code, or a passkey assertion (`credential`) for startPasskeyReauthentication's options: exactly one "
        "(3240 otherwise).",
    )
    async def reauthenticate(
        self,
        info: Info[Context, None],
        code: Annotated[
            str | None,
            strawberry.argument(description="A 6-digit code from the authenticator app, or a recovery code."),
        ] = None,
        credential: Annotated[
            str | None,
            strawberry.argument(
                description="Instead of a code: the PublicKeyCredential `navigator.credentials.get` answered for the "
                "startPasskeyReauthentication options, as JSON (`credential.toJSON()`)."
            ),
        ] = None,
    ) -> ReauthenticateResult:
        context = info.context
        return ReauthenticatePayload.from_domain(
            await mfa.reauthenticate(context.services, await context.caller(), code, credential)
        )
