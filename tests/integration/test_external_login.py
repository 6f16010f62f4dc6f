"""External sign-in against a real OpenID Provider (node-oidc-provider, tests/oidc/): the browser's
redirect dance over HTTP, then completeExternalLogin over the server's GraphQL endpoint."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from dataclasses import replace
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
    Start,
    first,
)
from tests.oidc.harness import CLIENT_SECRET, OTHER_REDIRECT_URI, Callback, OpenIdProvider, install

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


def plain_oauth2_provider() -> Starlette:
    """A tiny OAuth 2.0 provider (no OpenID Connect): authorize, token (client_secret_basic, PKCE S256), userinfo
    with claims under names of its own."""
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
        expected = "Basic " + base64.b64encode(b"plain-client:plain-secret").decode()
        grant = codes.pop(form["code"], None)
        if request.headers.get("authorization") != expected or grant is None:
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


async def test_a_plain_oauth2_provider_signs_a_member_up_through_userinfo(external: Start) -> None:
    h = await external(configure=False)
    fake = plain_oauth2_provider()
    h.services.external.transport = httpx.ASGITransport(app=fake)
    saved = await h.configure(
        name="plain",
        kind="OAUTH2",
        issuer=None,
        authorizationUrl="http://oauth.test/authorize",
        tokenUrl="http://oauth.test/token",
        userinfoUrl="http://oauth.test/userinfo",
        clientId="plain-client",
        clientSecret="plain-secret",
        scopes=["read:user"],
        claimMapping={"subject": "id", "email": "mail", "emailVerified": "verified", "name": "display"},
    )
    assert saved["settings"]["kind"] == "OAUTH2" and saved["settings"]["scopes"] == ["read:user"]
    started = await h.start(provider="plain")
    assert started["__typename"] == "StartExternalLoginPayload", started
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as browser:
        redirect = await browser.get(started["authorizationUrl"])
    assert redirect.status_code == 302
    query = {key: values[0] for key, values in parse_qs(urlsplit(redirect.headers["location"]).query).items()}
    assert query["state"] == started["state"]
    result = await h.complete(Callback(redirect.headers["location"], query["code"], query["state"], None))
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
