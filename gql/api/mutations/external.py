"""External sign-in: configuring providers, the authorization code flow, linking and unlinking."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.external import ExternalIdentity, ExternalProvider, ExternalProviderInput, StartExternalLoginPayload
from gql.api.types.mfa_required import MfaRequired
from gql.api.types.payloads import (
    CompleteExternalLoginPayload,
    DeleteExternalProviderPayload,
    LinkExternalIdentityPayload,
    UnlinkExternalIdentityPayload,
    UpsertExternalProviderPayload,
)
from gql.domain import external_login, external_providers
from gql.domain.errors import ErrorCode as C
from gql.domain.sessions import MfaChallengeGrant

UpsertExternalProviderResult = result_union(
    "UpsertExternalProviderResult",
    "The provider as saved, or why not.",
    UpsertExternalProviderPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.INVALID_ARGUMENT,
)
DeleteExternalProviderResult = result_union(
    "DeleteExternalProviderResult",
    "The deleted provider, or why not.",
    DeleteExternalProviderPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.UNKNOWN_PROVIDER,
)
StartExternalLoginResult = result_union(
    "StartExternalLoginResult",
    "Where to send the browser, or why not.",
    StartExternalLoginPayload,
    C.UNKNOWN_PROVIDER,
    C.REDIRECT_URI_NOT_ALLOWED,
    C.NOT_CONVERTIBLE,
    C.EXTERNAL_ANSWER_INVALID,
    C.RATE_LIMITED,
)
CompleteExternalLoginResult = result_union(
    "CompleteExternalLoginResult",
    "A session (or the second-factor step), or why the external sign-in failed (as login's: pending approval, "
    "blocked, …).",
    (CompleteExternalLoginPayload, MfaRequired),
    C.EXTERNAL_STATE_INVALID,
    C.EXTERNAL_ANSWER_INVALID,
    C.EXTERNAL_LINK_REQUIRED,
    C.UNKNOWN_PROVIDER,
    C.REGISTRATION_DISABLED,
    C.EMAIL_REQUIRED,
    C.REGISTRATION_ERROR,
    C.NOT_CONVERTIBLE,
    C.PENDING_APPROVAL,
    C.LOGIN_DISABLED,
    C.EMAIL_NOT_CONFIRMED,
    C.UNKNOWN_PROPERTY,
    C.REQUIRED_PROPERTY_MISSING,
    C.REQUIRED_PROPERTY_EMPTY,
    C.VALUE_TOO_LONG,
    C.RATE_LIMITED,
)
LinkExternalIdentityResult = result_union(
    "LinkExternalIdentityResult",
    "The link, or why not.",
    LinkExternalIdentityPayload,
    C.NOT_LOGGED_IN,
    C.EXTERNAL_STATE_INVALID,
    C.EXTERNAL_ANSWER_INVALID,
    C.UNKNOWN_PROVIDER,
    C.IDENTITY_LINKED_ELSEWHERE,
    C.RATE_LIMITED,
)
UnlinkExternalIdentityResult = result_union(
    "UnlinkExternalIdentityResult",
    "The member without that link, or why not.",
    UnlinkExternalIdentityPayload,
    C.NOT_LOGGED_IN,
    C.UNKNOWN_PROVIDER,
    C.LAST_SIGN_IN_METHOD,
)

_STATE = strawberry.argument(description="The `state` the provider handed back (from startExternalLogin).")
_CODE = strawberry.argument(description="The `code` the provider handed back.")


@strawberry.type
class ExternalMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Add or change an external sign-in provider (by name). For holders of SETTINGS_MANAGE "
        "(the backend). The client secret is stored encrypted and never returned.",
    )
    async def upsert_external_provider(
        self,
        info: Info[Context, None],
        input: Annotated[ExternalProviderInput, strawberry.argument(description="The provider.")],
    ) -> UpsertExternalProviderResult:
        context = info.context
        record = await external_providers.upsert_provider(context.services, await context.caller(), input.to_domain())
        return UpsertExternalProviderPayload(provider=ExternalProvider.from_domain(record, full=True))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Delete an external provider. For holders of SETTINGS_MANAGE (the backend).",
    )
    async def delete_external_provider(
        self,
        info: Info[Context, None],
        name: Annotated[str, strawberry.argument(description="The provider's name.")],
    ) -> DeleteExternalProviderResult:
        context = info.context
        record = await external_providers.delete_provider(context.services, await context.caller(), name)
        return DeleteExternalProviderPayload(provider=ExternalProvider.from_domain(record, full=True))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Start signing in (or, with a member's session, linking) through an external provider: "
        "answers the provider's authorization URL (PKCE S256, state, nonce) and the state. 3225 for a redirect "
        "URI MEMBERS_EXTERNAL_REDIRECT_URIS does not list.",
    )
    async def start_external_login(
        self,
        info: Info[Context, None],
        provider: Annotated[str, strawberry.argument(description="The provider's name (externalProviders).")],
        redirect_uri: Annotated[
            str, strawberry.argument(description="Where the provider sends the browser back: an allowed URI, exactly.")
        ],
        guest_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The caller's guest to turn into the new member (keeping its id) if the sign-in creates one."
            ),
        ] = None,
    ) -> StartExternalLoginResult:
        context = info.context
        start = await external_login.start_external_login(
            context.services,
            await context.caller(),
            provider,
            redirect_uri,
            str(guest_id) if guest_id is not None else None,
        )
        return StartExternalLoginPayload.from_domain(start)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Finish an external sign-in: the code is exchanged and the provider's answer verified (the ID "
        "token's signature, issuer, audience, expiry and nonce). A linked identity signs its member in; a member "
        "with the same email is linked only if the provider asserts it verified and is trusted to (3223 "
        "otherwise); else a new member, if the provider allows sign-up (registration settings apply).",
    )
    async def complete_external_login(
        self,
        info: Info[Context, None],
        state: Annotated[str, _STATE],
        code: Annotated[str, _CODE],
    ) -> CompleteExternalLoginResult:
        context = info.context
        result = await external_login.complete_external_login(context.services, await context.caller(), state, code)
        if isinstance(result.grant, MfaChallengeGrant):
            return MfaRequired.from_domain(result.grant)
        return CompleteExternalLoginPayload.from_sign_in(result)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Link the provider account to the signed-in member: the state must come from "
        "startExternalLogin called with this member's session. 3226 when that account is linked to another member.",
    )
    async def link_external_identity(
        self,
        info: Info[Context, None],
        state: Annotated[str, _STATE],
        code: Annotated[str, _CODE],
    ) -> LinkExternalIdentityResult:
        context = info.context
        identity = await external_login.link_external_identity(context.services, await context.caller(), state, code)
        return LinkExternalIdentityPayload(identity=ExternalIdentity.from_domain(identity))

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Unlink the signed-in member's identity at a provider. 3224 when it is the last way to sign in "
        "(no password and no other provider).",
    )
    async def unlink_external_identity(
        self,
        info: Info[Context, None],
        provider: Annotated[str, strawberry.argument(description="The provider's name.")],
    ) -> UnlinkExternalIdentityResult:
        context = info.context
        member = await external_login.unlink_external_identity(context.services, await context.caller(), provider)
        return UnlinkExternalIdentityPayload.from_domain(member)
