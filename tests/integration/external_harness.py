"""The app in-process with a real OpenID Provider configured (tests/oidc/harness.py), a ManualClock,
and the documents of the external sign-in tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from typing import Any

import pytest_asyncio

from gql.config import Config
from gql.domain.services import Services
from tests.clock import ManualClock
from tests.conftest import GraphQLClient
from tests.integration import documents
from tests.integration.session_harness import launch
from tests.oidc.harness import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Browser, Callback, OpenIdProvider

ERROR = "... on Error { code reason message property }"
RETRY = "... on RetryableError { retryAfter }"
SESSION = "sessionToken session { method current } member { id loginEmail loginEmailVerified status roles { name } }"
PROVIDER_FIELDS = """name displayName settings { kind issuer authorizationUrl tokenUrl userinfoUrl clientId scopes
  claimMapping { subject email emailVerified name } customFieldClaims { field claim } tokenEndpointAuthMethod
  allowSignup trustVerifiedEmail createdDate updatedDate }"""
UPSERT = f"""mutation ($input: ExternalProviderInput!) {{ upsertExternalProvider(input: $input) {{
  __typename ... on UpsertExternalProviderPayload {{ provider {{ {PROVIDER_FIELDS} }} }} {ERROR} }} }}"""
DELETE = f"""mutation ($name: String!) {{ deleteExternalProvider(name: $name) {{
  __typename ... on DeleteExternalProviderPayload {{ provider {{ name }} }} {ERROR} }} }}"""
PROVIDERS = f"{{ externalProviders {{ {PROVIDER_FIELDS} }} }}"
START = f"""mutation ($provider: String!, $redirectUri: String!, $guestId: ID) {{
  startExternalLogin(provider: $provider, redirectUri: $redirectUri, guestId: $guestId) {{
    __typename ... on StartExternalLoginPayload {{ authorizationUrl state expiresDate }} {ERROR} {RETRY} }} }}"""
COMPLETE = f"""mutation ($state: String!, $code: String!) {{ completeExternalLogin(state: $state, code: $code) {{
  __typename ... on CompleteExternalLoginPayload {{ created linked {SESSION} }} ... on MfaRequired {{ mfaToken }}
  {ERROR} {RETRY} }} }}"""
LINK = f"""mutation ($state: String!, $code: String!) {{ linkExternalIdentity(state: $state, code: $code) {{
  __typename ... on LinkExternalIdentityPayload {{ identity {{ provider subject email linkedDate }} }} {ERROR} {RETRY} }} }}"""
UNLINK = f"""mutation ($provider: String!) {{ unlinkExternalIdentity(provider: $provider) {{
  __typename ... on UnlinkExternalIdentityPayload {{ member {{ id }} }} {ERROR} }} }}"""
MY_IDENTITIES = "{ currentMember { id identities { provider subject email linkedDate } roles { name } } }"
MEMBER_IDENTITIES = (
    "query ($id: ID!) { member(id: $id) { __typename ... on Member { identities { provider subject } } } }"
)
GUEST = "mutation { loginAsGuest { __typename ... on LoginAsGuestPayload { sessionToken member { id } } } }"

PROVIDER = "op"


def provider_input(provider: OpenIdProvider, **changes: Any) -> dict[str, Any]:
    return {
        "name": PROVIDER,
        "displayName": "The Test Provider",
        "kind": "OIDC",
        "issuer": provider.issuer,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "allowSignup": True,
        "trustVerifiedEmail": True,
        **changes,
    }


def first(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value


@dataclass
class External:
    """The app, its services and clock, and the provider it is configured with."""

    client: GraphQLClient
    services: Services
    clock: ManualClock
    provider: OpenIdProvider

    async def configure(self, **changes: Any) -> dict[str, Any]:
        result = first(await self.client.backend(UPSERT, {"input": provider_input(self.provider, **changes)}))
        assert result["__typename"] == "UpsertExternalProviderPayload", result
        return result["provider"]

    async def settings(self, **changes: Any) -> None:
        await documents.settings(self.client, **changes)

    async def start(
        self,
        *,
        token: str | None = None,
        provider: str = PROVIDER,
        redirect_uri: str = REDIRECT_URI,
        guest_id: str | None = None,
    ) -> dict[str, Any]:
        variables = {"provider": provider, "redirectUri": redirect_uri, "guestId": guest_id}
        send = self.client.anonymous if token is None else (lambda q, v: self.client.member(token, q, v))
        return first(await send(START, variables))

    async def authorize(self, account: str, *, token: str | None = None, guest_id: str | None = None) -> Callback:
        """startExternalLogin, then the provider's pages as ``account``: the callback with code and state."""
        started = await self.start(token=token, guest_id=guest_id)
        assert started["__typename"] == "StartExternalLoginPayload", started
        browser = Browser()
        try:
            callback = await browser.sign_in(started["authorizationUrl"], account)
        finally:
            await browser.close()
        assert callback.error is None and callback.code, callback
        assert callback.state == started["state"], callback
        return callback

    async def complete(self, callback: Callback, *, state: str | None = None) -> dict[str, Any]:
        assert callback.code is not None
        variables = {"state": state if state is not None else callback.state, "code": callback.code}
        return first(await self.client.anonymous(COMPLETE, variables))

    async def sign_in(self, account: str, **options: Any) -> dict[str, Any]:
        return await self.complete(await self.authorize(account, **options))

    async def link(self, token: str, callback: Callback) -> dict[str, Any]:
        return first(await self.client.member(token, LINK, {"state": callback.state, "code": callback.code}))

    async def unlink(self, token: str, provider: str = PROVIDER) -> dict[str, Any]:
        return first(await self.client.member(token, UNLINK, {"provider": provider}))

    async def guest(self) -> dict[str, Any]:
        return first(await self.client.anonymous(GUEST))


Start = Callable[..., Awaitable[External]]


@pytest_asyncio.fixture
async def external(settings: Config, openid_provider: OpenIdProvider) -> AsyncIterator[Start]:
    """``await external(provider=…, **config_changes)``: the app on an emptied database, the provider configured."""
    async with AsyncExitStack() as stack:

        async def make(provider: OpenIdProvider | None = None, configure: bool = True, **changes: Any) -> External:
            configured = replace(settings, external_redirect_uris=(REDIRECT_URI,), **changes)
            client, services, clock = await launch(stack, configured)
            harness = External(client, services, clock, provider or openid_provider)
            if configure:
                await harness.configure()
            return harness

        yield make
