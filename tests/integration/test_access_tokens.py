"""Access tokens, their signing keys and validateSession (issue 13) — the app in-process, on SQLite and
PostgreSQL; time moved by a ManualClock. tests/e2e/test_access_tokens.py has a separate verifier process."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from gql.db.models import MemberEvent, Session, SigningKey
from gql.domain.signing_keys import CLOCK_LEEWAY, SigningKeys, thumbprint
from tests.integration.documents import BLOCK_BY_EMAIL, code
from tests.integration.session_harness import REVOKE, Harness, Start

ISSUE = """mutation ($audience: String) { issueAccessToken(audience: $audience) { __typename
  ... on IssueAccessTokenPayload { accessToken tokenType audience expiresDate sessionId }
  ... on Error { code reason message property } ... on RetryableError { retryAfter } } }"""
VALIDATE = """mutation ($token: String!) { validateSession(token: $token) { __typename
  ... on ValidateSessionPayload { valid memberId sessionId expiresDate }
  ... on Error { code } ... on RetryableError { retryAfter } } }"""
ISSUER = "https://members.example"


async def issue(h: Harness, token: str | None, audience: str | None = None) -> dict[str, Any]:
    variables = {"audience": audience}
    body = await (h.client.member(token, ISSUE, variables) if token else h.client.anonymous(ISSUE, variables))
    assert "errors" not in body, body
    return body["data"]["issueAccessToken"]


async def validate(h: Harness, token: str, *, backend: bool = False) -> dict[str, Any]:
    send = h.client.backend if backend else h.client.anonymous
    body = await send(VALIDATE, {"token": token})
    assert "errors" not in body, body
    return body["data"]["validateSession"]


async def jwks(h: Harness) -> dict[str, Any]:
    response = await h.client.http.get("/.well-known/jwks.json")
    assert response.status_code == 200
    return response.json()


async def verify(h: Harness, token: str, audience: str = ISSUER) -> dict[str, Any]:
    """As a service would: the key of the token's kid from the JWKS, the issuer, its own audience."""
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [k for k in (await jwks(h))["keys"] if k["kid"] == kid]
    return jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=[key["alg"]],
        audience=audience,
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},  # the test's clock runs ahead of PyJWT's
    )


async def test_an_access_token_carries_the_member_and_its_session(start: Start) -> None:
    h = await start(public_url=ISSUER)
    registered = await h.register("ada@example.com")
    issued = await issue(h, registered["sessionToken"])
    assert issued["__typename"] == "IssueAccessTokenPayload" and issued["tokenType"] == "Bearer"
    assert issued["audience"] == ISSUER and issued["sessionId"] == registered["session"]["id"]
    claims = await verify(h, issued["accessToken"])
    assert claims == {
        "iss": ISSUER,
        "sub": registered["member"]["id"],
        "aud": ISSUER,
        "iat": int(h.clock.time()),
        "exp": int(h.clock.time()) + 900,
        "jti": claims["jti"],
        "sid": registered["session"]["id"],
        "email": "ada@example.com",
        "email_verified": False,
        "status": "APPROVED",
        "amr": ["pwd"],
        # What the member may do: its roles (here only the computed one) and their permissions.
        "roles": ["AuthenticatedUser"],
        "permissions": [],
        "site_permissions": [],
    }
    assert datetime.fromisoformat(issued["expiresDate"]).timestamp() == claims["exp"]
    header = jwt.get_unverified_header(issued["accessToken"])
    assert header["alg"] == "ES256" and header["kid"]
    # Audited, with what identifies the token, never the token.
    [event] = await MemberEvent.filter(kind="ACCESS_TOKEN_ISSUED")
    assert event.data["jti"] == claims["jti"] and event.data["sessionId"] == registered["session"]["id"]
    assert issued["accessToken"] not in json.dumps(event.data)


async def test_audiences_and_how_the_session_was_obtained(start: Start) -> None:
    h = await start(public_url=ISSUER, access_token_audiences=("https://api.example", "https://shop.example"))
    await h.register("amr@example.com")
    login = await h.login("amr@example.com")
    issued = await issue(h, login["sessionToken"], "https://shop.example")
    assert (await verify(h, issued["accessToken"], "https://shop.example"))["aud"] == "https://shop.example"
    for refused in ("https://evil.example", ""):
        error = await issue(h, login["sessionToken"], refused)
        assert (error["code"], error["property"]) == (3209, "audience")
    # A guest's token says so; its email is absent.
    guest = (await h.client.anonymous("mutation { loginAsGuest { ... on LoginAsGuestPayload { sessionToken } } }"))[
        "data"
    ]["loginAsGuest"]["sessionToken"]
    claims = await verify(h, (await issue(h, guest))["accessToken"])
    assert claims["amr"] == ["guest"] and claims["status"] == "GUEST" and "email" not in claims


async def test_refused_without_a_live_session(start: Start) -> None:
    h = await start(public_url=ISSUER)
    member = await h.register("gone@example.com")
    assert code(await issue(h, None)) == 3028
    body = await h.client.backend(ISSUE, {"audience": None})
    assert code(body["data"]["issueAccessToken"]) == 3028  # the backend has no session to speak for
    await h.client.backend(BLOCK_BY_EMAIL, {"email": "gone@example.com"})
    assert code(await issue(h, member["sessionToken"])) == 3028  # blocked: its sessions ended
    other = await h.register("other@example.com")
    await h.client.backend(REVOKE, {"id": other["session"]["id"]})
    assert code(await issue(h, other["sessionToken"])) == 3028  # an ended session


async def test_validate_session_answers_without_extending(start: Start) -> None:
    h = await start(public_url=ISSUER, session_idle_seconds=600)
    registered = await h.register("valid@example.com")
    token = registered["sessionToken"]
    answer = await validate(h, token)
    assert answer == {
        "__typename": "ValidateSessionPayload",
        "valid": True,
        "memberId": registered["member"]["id"],
        "sessionId": registered["session"]["id"],
        "expiresDate": registered["session"]["expiresDate"],
    }
    # Asking five minutes later neither writes last-seen nor moves the expiry.
    h.clock.advance(300)
    assert (await validate(h, token))["expiresDate"] == registered["session"]["expiresDate"]
    [row] = await Session.all()
    assert row.last_seen_at == row.created_at
    h.clock.advance(301)
    assert await validate(h, token) == {
        "__typename": "ValidateSessionPayload",
        "valid": False,
        "memberId": None,
        "sessionId": None,
        "expiresDate": None,
    }
    for junk in ("", "x" * 43, "a.b.c", token.upper()):
        assert (await validate(h, junk))["valid"] is False


async def test_validate_session_with_an_access_token_sees_revocation(start: Start) -> None:
    h = await start(public_url=ISSUER, access_token_ttl_seconds=300)
    login = await h.register("svc@example.com")
    access = (await issue(h, login["sessionToken"]))["accessToken"]
    answer = await validate(h, access, backend=True)
    assert answer["valid"] is True and answer["sessionId"] == login["session"]["id"]
    assert answer["expiresDate"] < login["session"]["expiresDate"]  # the token's own end comes first
    # A tampered token (another sub, same signature) is no token.
    head, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone"}).encode()).decode().rstrip("=")
    assert (await validate(h, f"{head}.{forged}.{signature}"))["valid"] is False
    # The session revoked: the still unexpired token validates no more.
    await h.client.member(login["sessionToken"], REVOKE, {"id": login["session"]["id"]})
    assert (await validate(h, access))["valid"] is False
    # An expired token is refused even while its session lives.
    other = await h.login("svc@example.com")
    fresh = (await issue(h, other["sessionToken"]))["accessToken"]
    assert (await validate(h, fresh))["valid"] is True
    h.clock.advance(300)
    assert (await validate(h, fresh))["valid"] is False and (await validate(h, other["sessionToken"]))["valid"]


async def test_validate_and_issue_are_rate_limited(start: Start) -> None:
    h = await start(public_url=ISSUER, rate_limit_scale=0.01)  # 3 validations a minute, 1 token per 5 minutes
    login = await h.register("limit@example.com")
    answers = [await validate(h, login["sessionToken"]) for _ in range(4)]
    assert [a["__typename"] for a in answers] == ["ValidateSessionPayload"] * 3 + ["RateLimitedError"]
    assert answers[-1]["code"] == 3207 and answers[-1]["retryAfter"] >= 1
    assert (await validate(h, login["sessionToken"], backend=True))["valid"] is True  # the backend is not limited
    first, second = await issue(h, login["sessionToken"]), await issue(h, login["sessionToken"])
    assert first["__typename"] == "IssueAccessTokenPayload" and second["code"] == 3207


async def test_discovery_and_jwks_publish_public_keys_with_cache_headers(start: Start) -> None:
    h = await start(public_url=ISSUER, signing_key_refresh_seconds=30)
    discovery = await h.client.http.get("/.well-known/openid-configuration")
    assert discovery.status_code == 200 and discovery.headers["cache-control"] == "public, max-age=30"
    body = discovery.json()
    assert body["issuer"] == ISSUER and body["jwks_uri"] == ISSUER + "/.well-known/jwks.json"
    assert "ES256" in body["id_token_signing_alg_values_supported"]
    response = await h.client.http.get("/.well-known/jwks.json")
    assert response.headers["cache-control"] == "public, max-age=30"
    [key] = response.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "y", "kid", "use", "alg"}  # no private member ("d")
    assert key["kid"] == thumbprint({name: key[name] for name in ("kty", "crv", "x", "y")})
    # Stored encrypted: the row holds no PEM or DER a reader could use.
    [row] = await SigningKey.all()
    assert row.private_key and "PRIVATE KEY" not in row.private_key and row.private_key_file is None


async def test_eddsa_keys(start: Start) -> None:
    h = await start(public_url=ISSUER, access_token_algorithm="EdDSA")
    login = await h.register("ed@example.com")
    token = (await issue(h, login["sessionToken"]))["accessToken"]
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert (await verify(h, token))["sub"] == login["member"]["id"]
    [key] = (await jwks(h))["keys"]
    assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "EdDSA")


async def test_rotation_publishes_first_signs_later_and_retires_after_the_last_token(start: Start) -> None:
    h = await start(public_url=ISSUER, signing_key_refresh_seconds=10, access_token_ttl_seconds=60)
    login = await h.register("rot@example.com")
    old_token = (await issue(h, login["sessionToken"]))["accessToken"]
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    # Another process rotates (its own view of the table, the same clock).
    new = await SigningKeys(h.services.config).rotate(h.clock)
    assert new.signs_from == h.clock.now() + 2 * h.services.signing_keys.refresh
    h.clock.advance(10)  # this process re-reads the table
    assert {k["kid"] for k in (await jwks(h))["keys"]} == {old_kid, new.kid}  # published before it signs
    assert jwt.get_unverified_header((await issue(h, login["sessionToken"]))["accessToken"])["kid"] == old_kid
    h.clock.advance(10)  # its moment has come
    last_old = (await issue(h, login["sessionToken"]))["accessToken"]
    assert jwt.get_unverified_header(last_old)["kid"] == new.kid
    # The old key stays published while a token it signed can still be valid: signing switched 20 s after
    # the rotation; processes may sign with it a refresh longer; its tokens live 60 s; clocks differ.
    retire = 10 + 60 + CLOCK_LEEWAY.total_seconds()
    h.clock.advance(retire - 1)
    assert old_kid in {k["kid"] for k in (await jwks(h))["keys"]}
    assert (await verify(h, old_token))["sub"] == login["member"]["id"]
    h.clock.advance(1)
    assert {k["kid"] for k in (await jwks(h))["keys"]} == {new.kid}
    # The next rotation forgets it.
    await SigningKeys(h.services.config).rotate(h.clock)
    assert old_kid not in set(await SigningKey.all().values_list("kid", flat=True))


async def test_a_key_from_a_file(start: Start, tmp_path: Path) -> None:
    h = await start(public_url=ISSUER, signing_key_refresh_seconds=0)
    path = tmp_path / "signing.pem"
    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    login = await h.register("file@example.com")
    added = await SigningKeys(h.services.config).rotate(h.clock, private_key_file=str(path))
    row = await SigningKey.get(kid=added.kid)
    assert row.private_key is None and row.private_key_file == str(path.resolve()) and row.algorithm == "EdDSA"
    h.clock.advance(1)
    token = (await issue(h, login["sessionToken"]))["accessToken"]
    assert jwt.get_unverified_header(token)["kid"] == added.kid
    public = key.public_key()
    claims = jwt.decode(token, public, algorithms=["EdDSA"], audience=ISSUER, options={"verify_iat": False})
    assert claims["sub"] == login["member"]["id"]
    # The file gone: the key is still published (its tokens still verify), but signs nothing, and
    # no other key silently takes its place.
    path.unlink()
    assert added.kid in {k["kid"] for k in (await jwks(h))["keys"]}
    body = await h.client.member(login["sessionToken"], ISSUE, {"audience": None})
    assert body["data"] is None and body["errors"][0]["message"] == "Unexpected error."
    assert await SigningKey.all().count() == 2


async def test_a_key_another_secret_encrypted_is_replaced(start: Start) -> None:
    """MEMBERS_SECRET_KEY changed: the stored key cannot be decrypted, so a new generation replaces it."""
    h = await start(public_url=ISSUER)
    login = await h.register("secret@example.com")
    first = jwt.get_unverified_header((await issue(h, login["sessionToken"]))["accessToken"])["kid"]
    foreign = SigningKeys(replace(h.services.config, secret_key="another-secret-key-0123456789-0123456789"))
    replacement = await foreign.signer(h.clock)
    assert replacement.kid != first and replacement.private is not None
    assert sorted(await SigningKey.all().values_list("generation", flat=True)) == [1, 2]
