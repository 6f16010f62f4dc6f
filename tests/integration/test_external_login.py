"""External sign-in against a real OpenID Provider (node-oidc-provider, tests/oidc/): the browser's
redirect dance over HTTP, then completeExternalLogin over the server's GraphQL endpoint."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gql.db.models import AuditEvent, ExternalIdentity, ExternalLoginState, ExternalProvider, Member
from gql.domain.external_providers import JWKS_MIN_REFRESH, pkce_challenge
from gql.domain.policy import EXTERNAL_STATE_LIFETIME
from gql.domain.statuses import MemberStatus
from tests.integration import documents
from tests.integration.external_harness import (
    MEMBER_IDENTITIES,
    MY_IDENTITIES,
    PROVIDERS,
    UPSERT,
    External,
    Start,
    first,
    provider_input,
)
from tests.oidc.harness import (
    CLIENT_KEY_PEM,
    CLIENT_SECRET,
    JWT_CLIENT_ID,
    OTHER_REDIRECT_URI,
    POST_CLIENT_ID,
    Callback,
    OpenIdProvider,
    install,
)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def roles(payload: dict[str, Any]) -> set[str]:
    return {role["name"] for role in payload["member"]["roles"]}


async def test_a_new_member_signs_up_through_the_provider(external: Start) -> None:
    h = await external()
    result = await h.sign_in("alice")
    assert result["__typename"] == "CompleteExternalLoginPayload", result
    assert result["created"] is True and result["linked"] is True
    assert result["session"] == {"method": "EXTERNAL", "current": True}
    member = result["member"]
    assert member["loginEmail"] == "alice@example.com"
    assert member["loginEmailVerified"] is True
    assert member["status"] == "APPROVED"
    assert roles(result) == {"AuthenticatedUser", "SocialUser"}
    me = first(await h.client.member(result["sessionToken"], MY_IDENTITIES))
    assert me["id"] == member["id"]
    [identity] = me["identities"]
    assert identity["provider"] == "op" and identity["subject"] == "alice"
    assert identity["email"] == "alice@example.com"
    assert {role["name"] for role in me["roles"]} == {"AuthenticatedUser", "SocialUser"}


async def test_anyone_lists_the_providers_and_the_backend_sees_their_settings_without_the_secret(
    external: Start,
) -> None:
    h = await external()
    [public] = first(await h.client.anonymous(PROVIDERS))
    assert public == {"name": "op", "displayName": "The Test Provider", "settings": None}
    [full] = first(await h.client.backend(PROVIDERS))
    settings = full["settings"]
    assert settings["kind"] == "OIDC" and settings["issuer"] == h.provider.issuer
    assert settings["scopes"] == ["openid", "email", "profile"]
    assert settings["claimMapping"] == {
        "subject": "sub",
        "email": "email",
        "emailVerified": "email_verified",
        "name": "name",
    }
    stored = await ExternalProvider.get(name="op")
    assert CLIENT_SECRET not in stored.client_secret  # sealed, not in clear
    assert h.services.external.secrets.open("op", stored.client_secret) == CLIENT_SECRET
    audited = [event.data for event in await AuditEvent.all()]
    assert audited and all(CLIENT_SECRET not in json.dumps(data) for data in audited)
    # An update without a secret keeps the stored one; sign-in still works with it.
    await h.configure(clientSecret=None, displayName="Renamed")
    assert (await h.sign_in("alice"))["__typename"] == "CompleteExternalLoginPayload"


async def test_a_linked_member_signs_in_again(external: Start) -> None:
    h = await external()
    made = await h.sign_in("alice")
    again = await h.sign_in("alice")
    assert again["__typename"] == "CompleteExternalLoginPayload", again
    assert again["created"] is False and again["linked"] is False
    assert again["member"]["id"] == made["member"]["id"]
    assert again["sessionToken"] != made["sessionToken"]


async def test_a_verified_email_links_the_existing_member_when_the_provider_is_trusted(external: Start) -> None:
    h = await external()
    registered = await documents.register(h.client, "carol@example.com")
    result = await h.sign_in("carol")
    assert result["__typename"] == "CompleteExternalLoginPayload", result
    assert result["created"] is False and result["linked"] is True
    assert result["member"]["id"] == registered["member"]["id"]
    assert result["member"]["loginEmailVerified"] is True  # the trusted provider vouched for it


async def test_a_trusted_verified_email_confirms_a_member_still_waiting_for_its_link(external: Start) -> None:
    h = await external()
    await h.settings(emailConfirmation=True)
    registered = await documents.register(h.client, "carol@example.com")
    assert registered["status"] == "EMAIL_CONFIRMATION_PENDING", registered
    result = await h.sign_in("carol")
    assert result["__typename"] == "CompleteExternalLoginPayload", result
    assert result["member"]["loginEmailVerified"] is True


async def test_an_unverified_email_does_not_link_an_existing_member(external: Start) -> None:
    h = await external()
    await documents.register(h.client, "bob@example.com")
    result = await h.sign_in("bob")
    assert result["__typename"] == "ExternalLinkRequiredError" and result["code"] == 3223, result
    assert await ExternalIdentity.all().count() == 0


async def test_a_verified_email_does_not_link_when_the_provider_is_not_trusted(external: Start) -> None:
    h = await external()
    await h.configure(trustVerifiedEmail=False)
    await documents.register(h.client, "carol@example.com")
    result = await h.sign_in("carol")
    assert result["__typename"] == "ExternalLinkRequiredError", result


async def test_manual_approval_leaves_the_new_member_pending(external: Start) -> None:
    h = await external()
    await h.settings(approval="MANUAL")
    result = await h.sign_in("alice")
    assert result["__typename"] == "PendingApprovalError" and result["code"] == 3204, result
    member = await Member.get(email_key="alice@example.com")
    assert member.status == MemberStatus.PENDING
    assert await ExternalIdentity.filter(member_id=member.id).count() == 1
    # Signing in again answers the same until the member is approved.
    assert (await h.sign_in("alice"))["__typename"] == "PendingApprovalError"


async def test_a_blocked_member_is_refused(external: Start) -> None:
    h = await external()
    made = await h.sign_in("alice")
    await Member.filter(id=made["member"]["id"]).update(status=MemberStatus.BLOCKED)
    result = await h.sign_in("alice")
    assert result["__typename"] == "LoginDisabledError" and result["code"] == 3000, result


async def test_a_state_is_used_once(external: Start) -> None:
    h = await external()
    callback = await h.authorize("alice")
    assert (await h.complete(callback))["__typename"] == "CompleteExternalLoginPayload"
    replay = await h.complete(callback)
    assert replay["__typename"] == "ExternalStateInvalidError" and replay["code"] == 3221, replay


async def test_two_racing_completions_of_one_state_sign_in_once(external: Start) -> None:
    h = await external()
    callback = await h.authorize("alice")
    results = await asyncio.gather(h.complete(callback), h.complete(callback))
    assert sorted(r["__typename"] for r in results) == ["CompleteExternalLoginPayload", "ExternalStateInvalidError"]
    assert await Member.all().count() == 1


async def test_two_first_sign_ins_of_one_account_at_once_make_one_member(external: Start) -> None:
    """Two browsers finish alice's first sign-in together: one creates her, the other signs her in
    (it matches again after losing the race) — never an error."""
    h = await external()
    callbacks = [await h.authorize("alice") for _ in range(2)]
    results = await asyncio.gather(*(h.complete(callback) for callback in callbacks))
    assert [r["__typename"] for r in results] == ["CompleteExternalLoginPayload"] * 2, results
    assert len({r["member"]["id"] for r in results}) == 1 and sorted(r["created"] for r in results) == [False, True]
    assert await Member.all().count() == 1 and await ExternalIdentity.all().count() == 1


async def test_an_unknown_state_is_refused(external: Start) -> None:
    h = await external()
    callback = await h.authorize("alice")
    result = await h.complete(callback, state="not-the-state")
    assert result["__typename"] == "ExternalStateInvalidError", result


async def test_a_redirect_uri_not_allowed_is_refused(external: Start) -> None:
    h = await external()
    result = await h.start(redirect_uri=OTHER_REDIRECT_URI)
    assert result["__typename"] == "RedirectUriNotAllowedError" and result["code"] == 3225, result
    assert await ExternalLoginState.all().count() == 0


async def test_an_expired_state_is_refused(external: Start) -> None:
    h = await external()
    callback = await h.authorize("alice")
    h.clock.advance(EXTERNAL_STATE_LIFETIME.total_seconds() + 1)
    result = await h.complete(callback)
    assert result["__typename"] == "ExternalStateInvalidError", result


class TamperedIdToken(httpx.AsyncBaseTransport):
    """The network, except that the token endpoint's ID token comes back with one signature byte changed."""

    def __init__(self) -> None:
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.network.handle_async_request(request)
        if not request.url.path.endswith("/token"):
            return response
        body = json.loads(await response.aread())
        header, payload, signature = body["id_token"].split(".")
        changed = ("A" if signature[5] != "A" else "B") + signature[6:]
        body["id_token"] = ".".join((header, payload, signature[:5] + changed))
        return httpx.Response(200, json=body)


async def test_a_tampered_id_token_is_refused(external: Start) -> None:
    h = await external()
    h.services.external.transport = TamperedIdToken()
    result = await h.sign_in("alice")
    assert result["__typename"] == "ExternalAnswerInvalidError" and result["code"] == 3222, result
    assert await Member.all().count() == 0


async def test_an_id_token_for_another_nonce_is_refused(external: Start) -> None:
    h = await external()
    callback = await h.authorize("alice")
    await ExternalLoginState.all().update(nonce="another-nonce")
    result = await h.complete(callback)
    assert result["__typename"] == "ExternalAnswerInvalidError", result


async def test_a_wrong_code_is_refused(external: Start) -> None:
    h = await external()
    callback = await h.authorize("alice")
    result = await h.complete(replace(callback, code="not-the-code"))
    assert result["__typename"] == "ExternalAnswerInvalidError", result


async def test_a_guest_becomes_the_member_keeping_its_id(external: Start) -> None:
    h = await external()
    guest = await h.guest()
    guest_id = guest["member"]["id"]
    result = await h.sign_in("alice", token=guest["sessionToken"], guest_id=guest_id)
    assert result["__typename"] == "CompleteExternalLoginPayload", result
    assert result["created"] is True
    assert result["member"]["id"] == guest_id
    assert result["member"]["loginEmail"] == "alice@example.com"
    converted = await Member.get(id=guest_id)
    assert converted.is_guest is False and converted.status == MemberStatus.APPROVED


async def test_another_callers_guest_cannot_be_named(external: Start) -> None:
    h = await external()
    guest = await h.guest()
    result = await h.start(guest_id=guest["member"]["id"])
    assert result["__typename"] == "NotConvertibleError", result


async def test_a_member_links_and_unlinks_a_provider(external: Start) -> None:
    h = await external()
    registered = await documents.register(h.client, "dave@other.example")
    token = registered["sessionToken"]
    callback = await h.authorize("dave", token=token)
    linked = await h.link(token, callback)
    assert linked["__typename"] == "LinkExternalIdentityPayload", linked
    assert linked["identity"]["provider"] == "op" and linked["identity"]["subject"] == "dave"
    # The provider now signs that member in.
    signed_in = await h.sign_in("dave")
    assert signed_in["member"]["id"] == registered["member"]["id"]
    # The backend sees the member's identities; another member does not.
    seen = first(await h.client.backend(MEMBER_IDENTITIES, {"id": registered["member"]["id"]}))
    assert seen["identities"] == [{"provider": "op", "subject": "dave"}]
    other = await documents.register(h.client, "eve@example.com")
    body = await h.client.member(other["sessionToken"], MEMBER_IDENTITIES, {"id": registered["member"]["id"]})
    assert body.get("errors") or body["data"]["member"] is None or body["data"]["member"].get("identities") is None
    unlinked = await h.unlink(token)
    assert unlinked["__typename"] == "UnlinkExternalIdentityPayload", unlinked
    assert await ExternalIdentity.all().count() == 0


async def test_the_last_way_to_sign_in_cannot_be_unlinked(external: Start) -> None:
    h = await external()
    made = await h.sign_in("alice")
    result = await h.unlink(made["sessionToken"])
    assert result["__typename"] == "LastSignInMethodError" and result["code"] == 3224, result


async def test_an_identity_linked_to_another_member_is_refused(external: Start) -> None:
    h = await external()
    await h.sign_in("alice")
    registered = await documents.register(h.client, "someone@example.com")
    token = registered["sessionToken"]
    result = await h.link(token, await h.authorize("alice", token=token))
    assert result["__typename"] == "IdentityLinkedElsewhereError" and result["code"] == 3226, result


async def test_a_state_started_by_someone_else_links_nothing(external: Start) -> None:
    h = await external()
    registered = await documents.register(h.client, "victim@example.com")
    callback = await h.authorize("dave")  # started anonymously (by an attacker)
    result = await h.link(registered["sessionToken"], callback)
    assert result["__typename"] == "ExternalStateInvalidError", result
    assert await ExternalIdentity.all().count() == 0


async def test_a_key_rotation_at_the_provider_is_followed(external: Start) -> None:
    provider = OpenIdProvider(install()).start(kid="old-key")
    try:
        h = await external(provider=provider)
        assert (await h.sign_in("alice"))["__typename"] == "CompleteExternalLoginPayload"
        provider.restart(kid="new-key")  # the cached JWKS knows only old-key
        h.clock.advance(JWKS_MIN_REFRESH)  # an unknown key id refetches the JWKS at most this often
        again = await h.sign_in("alice")
        assert again["__typename"] == "CompleteExternalLoginPayload", again
    finally:
        provider.stop()


def plain_oauth2_provider(client_auth: str = "basic") -> Starlette:
    """A tiny OAuth 2.0 provider (no OpenID Connect): authorize, token (PKCE S256; the client authenticated by
    ``client_auth``: "basic" the Authorization header only, "post" the form only), userinfo with claims under
    names of its own."""
    codes: dict[str, dict[str, str]] = {}
    tokens: dict[str, str] = {}

    async def authorize(request: Request) -> Response:
        params = request.query_params
        assert params["response_type"] == "code" and params["code_challenge_method"] == "S256"
        assert "nonce" not in params  # no OpenID Connect here
        code = secrets.token_urlsafe(16)
        codes[code] = {"challenge": params["code_challenge"], "redirect_uri": params["redirect_uri"]}
        return RedirectResponse(f"{params['redirect_uri']}?code={code}&state={params['state']}", status_code=302)

    async def token(request: Request) -> Response:
        form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
        basic = "Basic " + base64.b64encode(b"plain-client:plain-secret").decode()
        if client_auth == "basic":
            authenticated = request.headers.get("authorization") == basic and "client_secret" not in form
        else:
            authenticated = "authorization" not in request.headers and (
                form.get("client_id"),
                form.get("client_secret"),
            ) == ("plain-client", "plain-secret")
        grant = codes.pop(form["code"], None)
        if not authenticated or grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if pkce_challenge(form["code_verifier"]) != grant["challenge"] or form["redirect_uri"] != grant["redirect_uri"]:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access = secrets.token_urlsafe(16)
        tokens[access] = "octo"
        return JSONResponse({"access_token": access, "token_type": "Bearer"})

    async def userinfo(request: Request) -> Response:
        access = request.headers.get("authorization", "").removeprefix("Bearer ")
        if tokens.get(access) != "octo":
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"id": 4242, "mail": "octo@example.com", "verified": True, "display": "Octo Cat"})

    return Starlette(
        routes=[
            Route("/authorize", authorize),
            Route("/token", token, methods=["POST"]),
            Route("/userinfo", userinfo),
        ]
    )


PLAIN: dict[str, Any] = {
    "name": "plain",
    "kind": "OAUTH2",
    "issuer": None,
    "authorizationUrl": "http://oauth.test/authorize",
    "tokenUrl": "http://oauth.test/token",
    "userinfoUrl": "http://oauth.test/userinfo",
    "clientId": "plain-client",
    "clientSecret": "plain-secret",
    "scopes": ["read:user"],
    "claimMapping": {"subject": "id", "email": "mail", "emailVerified": "verified", "name": "display"},
}


async def plain_sign_in(h: External) -> dict[str, Any]:
    """startExternalLogin at the "plain" provider, its redirect followed, then completeExternalLogin."""
    started = await h.start(provider="plain")
    assert started["__typename"] == "StartExternalLoginPayload", started
    assert h.services.external.transport is not None
    async with httpx.AsyncClient(transport=h.services.external.transport) as browser:
        redirect = await browser.get(started["authorizationUrl"])
    assert redirect.status_code == 302
    query = {key: values[0] for key, values in parse_qs(urlsplit(redirect.headers["location"]).query).items()}
    assert query["state"] == started["state"]
    return await h.complete(Callback(redirect.headers["location"], query["code"], query["state"], None))


async def test_a_plain_oauth2_provider_signs_a_member_up_through_userinfo(external: Start) -> None:
    h = await external(configure=False)
    h.services.external.transport = httpx.ASGITransport(app=plain_oauth2_provider())
    saved = await h.configure(**PLAIN)
    assert saved["settings"]["kind"] == "OAUTH2" and saved["settings"]["scopes"] == ["read:user"]
    result = await plain_sign_in(h)
    assert result["__typename"] == "CompleteExternalLoginPayload", result
    assert result["member"]["loginEmail"] == "octo@example.com" and result["created"] is True
    identity = await ExternalIdentity.get(provider="plain")
    assert identity.subject == "4242"


async def test_a_member_with_a_second_factor_is_asked_for_it_after_the_provider(external: Start) -> None:
    """The provider is the first factor: a member with TOTP gets MfaRequired, then its session."""
    h = await external()
    session = (await documents.register(h.client, "carol@example.com"))["sessionToken"]
    enrolled = first(await h.client.member(session, "mutation { enrollTotp { ... on EnrollTotpPayload { secret } } }"))
    app = pyotp.TOTP(enrolled["secret"])
    confirm = "mutation ($code: String!) { confirmTotp(code: $code) { __typename } }"
    assert first(await h.client.member(session, confirm, {"code": app.at(h.clock.time())}))["__typename"] == (
        "ConfirmTotpPayload"
    )
    h.clock.advance(30)
    step = await h.sign_in("carol")
    assert step["__typename"] == "MfaRequired", step
    verify = """mutation ($t: String!, $c: String!) { verifyMfa(mfaToken: $t, code: $c) { __typename
      ... on VerifyMfaPayload { session { method secondFactor } } } }"""
    verified = first(await h.client.anonymous(verify, {"t": step["mfaToken"], "c": app.at(h.clock.time())}))
    assert verified["session"] == {"method": "EXTERNAL", "secondFactor": "TOTP"}


CUSTOM_FIELDS = "{ currentMember { contact { customFields } } }"


async def test_a_sign_up_fills_the_custom_fields_its_provider_maps_from_claims(external: Start) -> None:
    h = await external()
    saved = await h.configure(
        customFieldClaims=[{"field": "employer", "claim": "company"}, {"field": "x", "claim": "none"}]
    )
    assert saved["settings"]["customFieldClaims"] == [
        {"field": "employer", "claim": "company"},
        {"field": "x", "claim": "none"},
    ]
    await h.settings(declaredProperties=[{"name": "employer", "required": True}])
    result = await h.sign_in("erin")
    assert result["__typename"] == "CompleteExternalLoginPayload", result
    me = first(await h.client.member(result["sessionToken"], CUSTOM_FIELDS))
    # A claim the answer lacks ("none") sets nothing.
    assert me["contact"]["customFields"] == {"employer": "Acme"}
    # An update that does not name them keeps the mapped fields.
    kept = await h.configure(displayName="Renamed")
    assert kept["settings"]["customFieldClaims"] == saved["settings"]["customFieldClaims"]


@pytest.mark.parametrize("field", ["id", "firstName", "not a name"])
async def test_a_mapping_to_a_reserved_built_in_or_malformed_field_is_refused(external: Start, field: str) -> None:
    h = await external()
    result = first(
        await h.client.backend(
            UPSERT, {"input": provider_input(h.provider, customFieldClaims=[{"field": field, "claim": "company"}])}
        )
    )
    assert result["__typename"] == "InvalidArgumentError" and result["property"] == "customFieldClaims", result


async def test_client_secret_post_at_the_openid_provider(external: Start) -> None:
    h = await external()
    saved = await h.configure(clientId=POST_CLIENT_ID, tokenEndpointAuthMethod="CLIENT_SECRET_POST")
    assert saved["settings"]["tokenEndpointAuthMethod"] == "CLIENT_SECRET_POST"
    result = await h.sign_in("alice")
    assert result["__typename"] == "CompleteExternalLoginPayload", result


@pytest.mark.parametrize(
    ("provider_takes", "configured"), [("post", "CLIENT_SECRET_POST"), ("basic", "CLIENT_SECRET_BASIC")]
)
async def test_the_secret_goes_where_the_provider_takes_it_and_nowhere_else(
    external: Start, provider_takes: str, configured: str
) -> None:
    # oidc-provider accepts either way for a secret client, so a provider of the tests that takes one way only.
    h = await external(configure=False)
    h.services.external.transport = httpx.ASGITransport(app=plain_oauth2_provider(provider_takes))
    other = "CLIENT_SECRET_BASIC" if configured == "CLIENT_SECRET_POST" else "CLIENT_SECRET_POST"
    for method, outcome in ((other, "ExternalAnswerInvalidError"), (configured, "CompleteExternalLoginPayload")):
        await h.configure(**PLAIN, tokenEndpointAuthMethod=method)
        assert (await plain_sign_in(h))["__typename"] == outcome, method


async def test_private_key_jwt_signs_a_client_assertion_with_the_servers_key(external: Start, tmp_path: Path) -> None:
    h = await external(configure=False)
    # No secret is needed, nor stored.
    saved = await h.configure(clientId=JWT_CLIENT_ID, clientSecret=None, tokenEndpointAuthMethod="PRIVATE_KEY_JWT")
    assert saved["settings"]["tokenEndpointAuthMethod"] == "PRIVATE_KEY_JWT"
    assert (await ExternalProvider.get(name="op")).client_secret is None
    # The server's own generated key is not the one registered at the provider: refused.
    refused = await h.sign_in("alice")
    assert refused["__typename"] == "ExternalAnswerInvalidError", refused
    # The registered key becomes the server's signing key (published in its JWKS): accepted.
    key_file = tmp_path / "site-key.pem"
    key_file.write_bytes(CLIENT_KEY_PEM)
    assert await h.services.signing_keys.add(h.clock, private_key_file=str(key_file)) is not None
    result = await h.sign_in("alice")
    assert result["__typename"] == "CompleteExternalLoginPayload", (result, h.provider.log)
    # Back to a secret method, the secret is required again.
    missing = first(
        await h.client.backend(
            UPSERT,
            {"input": provider_input(h.provider, clientId=JWT_CLIENT_ID, clientSecret=None)},
        )
    )
    assert missing["__typename"] == "InvalidArgumentError" and missing["property"] == "clientSecret", missing
