"""Passkeys (WebAuthn): registering, signing in without a password, the options of a passkey as
the second factor (verifyMfa takes the assertion), renaming and deleting."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.member import Member
from gql.api.types.passkey import Passkey
from gql.api.types.payloads import (
    DeletePasskeyPayload,
    FinishPasskeyLoginPayload,
    FinishPasskeyRegistrationPayload,
    RenamePasskeyPayload,
    StartPasskeyLoginPayload,
    StartPasskeyMfaPayload,
    StartPasskeyReauthenticationPayload,
    StartPasskeyRegistrationPayload,
)
from gql.domain import passkeys
from gql.domain.errors import ErrorCode as C
from gql.domain.policy import PASSKEY_NAME_LENGTH, RECENT_SECOND_FACTOR, spoken

Credential = Annotated[
    str,
    strawberry.argument(
        description="The PublicKeyCredential the browser answered, as JSON (`credential.toJSON()`: binary values "
        "base64url-encoded)."
    ),
]
Name = Annotated[
    str, strawberry.argument(description=f"A name for the passkey, 1 to {PASSKEY_NAME_LENGTH} characters.")
]
PasskeyId = Annotated[strawberry.ID, strawberry.argument(description="The passkey's id.")]

StartPasskeyRegistrationResult = result_union(
    "StartPasskeyRegistrationResult",
    "Options for the browser, or why not.",
    StartPasskeyRegistrationPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.RECENT_SECOND_FACTOR_REQUIRED,
    C.RATE_LIMITED,
)
FinishPasskeyRegistrationResult = result_union(
    "FinishPasskeyRegistrationResult",
    "The new passkey, or why not.",
    FinishPasskeyRegistrationPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.INVALID_ARGUMENT,
    C.PASSKEY_INVALID,
    C.RATE_LIMITED,
)
StartPasskeyLoginResult = result_union(
    "StartPasskeyLoginResult",
    "Options for the browser, or why not.",
    StartPasskeyLoginPayload,
    C.RATE_LIMITED,
)
FinishPasskeyLoginResult = result_union(
    "FinishPasskeyLoginResult",
    "A session, or why not.",
    FinishPasskeyLoginPayload,
    C.PASSKEY_INVALID,
    C.LOGIN_DISABLED,
    C.PENDING_APPROVAL,
    C.EMAIL_NOT_CONFIRMED,
    C.RATE_LIMITED,
    C.TOO_MANY_SESSIONS,
)
StartPasskeyMfaResult = result_union(
    "StartPasskeyMfaResult",
    "Options for the browser, or why not.",
    StartPasskeyMfaPayload,
    C.MFA_TOKEN_INVALID,
    C.FACTOR_STATE,
    C.RATE_LIMITED,
)
StartPasskeyReauthenticationResult = result_union(
    "StartPasskeyReauthenticationResult",
    "Options for the browser, or why not.",
    StartPasskeyReauthenticationPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.RATE_LIMITED,
)
RenamePasskeyResult = result_union(
    "RenamePasskeyResult",
    "The renamed passkey, or why not.",
    RenamePasskeyPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.INVALID_ARGUMENT,
    C.PASSKEY_NOT_FOUND,
    C.RATE_LIMITED,
)
DeletePasskeyResult = result_union(
    "DeletePasskeyResult",
    "The member without the passkey, or why not.",
    DeletePasskeyPayload,
    C.NOT_LOGGED_IN,
    C.FACTOR_STATE,
    C.PASSKEY_NOT_FOUND,
    C.LAST_SIGN_IN_METHOD,
    C.RATE_LIMITED,
)


@strawberry.type
class PasskeyMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Start registering a passkey for the signed-in member: options for `navigator.credentials.create` "
        "(a discoverable credential; the member's passkeys are excluded). A member that already has a second factor "
        f"needs one proved in this session within {spoken(RECENT_SECOND_FACTOR)} (3244: reauthenticate first).",
    )
    async def start_passkey_registration(self, info: Info[Context, None]) -> StartPasskeyRegistrationResult:
        context = info.context
        options = await passkeys.start_registration(context.services, await context.caller())
        return StartPasskeyRegistrationPayload(options=options)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Store the passkey `navigator.credentials.create` made for a startPasskeyRegistration challenge. "
        "The member has a second factor from now on (sign-ins ask for it); this session proves it with "
        "startPasskeyReauthentication and reauthenticate (registering is no assertion). 3245 when it does not verify.",
    )
    async def finish_passkey_registration(
        self, info: Info[Context, None], credential: Credential, name: Name
    ) -> FinishPasskeyRegistrationResult:
        context = info.context
        record = await passkeys.finish_registration(context.services, await context.caller(), credential, name)
        return FinishPasskeyRegistrationPayload(passkey=Passkey.from_domain(record))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Start a sign-in with a passkey: options for `navigator.credentials.get` (user verification "
        "required). With an email, the passkeys of its member; without, any discoverable passkey the browser holds.",
    )
    async def start_passkey_login(
        self,
        info: Info[Context, None],
        email: Annotated[
            str | None,
            strawberry.argument(description="The member's email; leave out for discoverable credentials."),
        ] = None,
    ) -> StartPasskeyLoginResult:
        context = info.context
        start = await passkeys.start_login(context.services, await context.caller(), email)
        return StartPasskeyLoginPayload.from_domain(start)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Finish a passkey sign-in: the assertion `navigator.credentials.get` answered for the challenge. "
        "A passkey with user verification is multi-factor by itself: the session opens (method PASSKEY) without "
        "verifyMfa. 3245 when the assertion does not verify (wrong origin or challenge, no user verification, a "
        "signature counter that did not increase, an unknown passkey).",
    )
    async def finish_passkey_login(
        self,
        info: Info[Context, None],
        challenge_id: Annotated[
            strawberry.ID, strawberry.argument(description="The `challengeId` startPasskeyLogin answered.")
        ],
        credential: Credential,
    ) -> FinishPasskeyLoginResult:
        context = info.context
        grant = await passkeys.finish_login(context.services, await context.caller(), str(challenge_id), credential)
        return FinishPasskeyLoginPayload.from_grant(grant)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="A passkey as the second factor of a sign-in that answered MfaRequired (methods include PASSKEY): "
        "options for `navigator.credentials.get`; send the assertion to verifyMfa as `credential`.",
    )
    async def start_passkey_mfa(
        self,
        info: Info[Context, None],
        mfa_token: Annotated[str, strawberry.argument(description="The `mfaToken` of the MfaRequired answer.")],
    ) -> StartPasskeyMfaResult:
        context = info.context
        options = await passkeys.start_mfa(context.services, await context.caller(), mfa_token)
        return StartPasskeyMfaPayload(options=options)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="A passkey as a step-up in this session: options for `navigator.credentials.get`; send the "
        "assertion to reauthenticate as `credential`. 3242 for a member without a passkey.",
    )
    async def start_passkey_reauthentication(self, info: Info[Context, None]) -> StartPasskeyReauthenticationResult:
        context = info.context
        options = await passkeys.start_reauthentication(context.services, await context.caller())
        return StartPasskeyReauthenticationPayload(options=options)

    @strawberry.mutation(extensions=[ErrorsAsData()], description="Rename one of the signed-in member's passkeys.")
    async def rename_passkey(self, info: Info[Context, None], id: PasskeyId, name: Name) -> RenamePasskeyResult:
        context = info.context
        record = await passkeys.rename(context.services, await context.caller(), str(id), name)
        return RenamePasskeyPayload(passkey=Passkey.from_domain(record))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Delete one of the signed-in member's passkeys. 3224 when it is the member's last way in (no "
        "password, no external identity, no other passkey).",
    )
    async def delete_passkey(self, info: Info[Context, None], id: PasskeyId) -> DeletePasskeyResult:
        context = info.context
        return DeletePasskeyPayload(
            member=Member.from_domain(await passkeys.delete(context.services, await context.caller(), str(id)))
        )
