"""Sessions and access tokens between real processes (issue 13):

- a separate service (tests/e2e/jwt_verifier.py: PyJWT's PyJWKClient and the published JWKS, no
  import of gql) accepts this server's access tokens, refuses tampered, foreign, misdirected and
  expired ones, and keeps accepting a token of the old key after ``rotate-signing-key`` until it
  expires;
- two server processes on one database: a session revoked through one is refused by the other
  on the very next request.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.conftest import Databases, Server, StartServer, run_cli, unique_email
from tests.processes import clean_env
from tests.waiting import eventually

VERIFIER = Path(__file__).with_name("jwt_verifier.py")
AUDIENCE = "https://orders.example"
DEADLINE = 60.0
PASSWORD = "correct horse"
REGISTER = """mutation ($email: String!, $password: String!) { register(email: $email, password: $password) {
  ... on RegisterPayload { sessionToken member { id } session { id } } } }"""
ISSUE = """mutation ($audience: String) { issueAccessToken(audience: $audience) {
  __typename ... on IssueAccessTokenPayload { accessToken expiresDate } ... on Error { code } } }"""
REVOKE = """mutation ($id: ID!) { revokeSession(id: $id) { __typename ... on Error { code } } }"""
VALIDATE = (
    """mutation ($token: String!) { validateSession(token: $token) { ... on ValidateSessionPayload { valid } } }"""
)
ME = "{ currentMember { id } }"

T = TypeVar("T")


class Verifier:
    """The verifier service as a child process."""

    def __init__(self, server: Server) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-I",  # no PYTHONPATH, no current directory on sys.path: it cannot reach the repo's gql
                str(VERIFIER),
                "--jwks-url",
                server.base_url + "/.well-known/jwks.json",
                "--issuer",
                server.base_url,
                "--audience",
                AUDIENCE,
            ],
            env={k: v for k, v in clean_env().items() if k != "PYTHONPATH"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "listening on <port>" once it serves
        assert line.startswith("listening on "), line
        self.url = f"http://127.0.0.1:{int(line.split()[-1])}"

    def check(self, token: str) -> tuple[int, dict[str, Any]]:
        response = httpx.get(self.url + "/orders", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        return response.status_code, response.json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


@pytest.fixture
def verified_server(start_server: StartServer) -> Iterator[tuple[Server, Verifier]]:
    # Keys are re-read every second (a rotated key signs 2 s after it was made); tokens live 20 s.
    server = start_server(MEMBERS_SIGNING_KEY_REFRESH_SECONDS="1", MEMBERS_ACCESS_TOKEN_TTL_SECONDS="20")
    verifier = Verifier(server)
    try:
        yield server, verifier
    finally:
        verifier.stop()


def _register(server: Server) -> dict[str, Any]:
    body = server.graphql(REGISTER, {"email": unique_email("tok"), "password": PASSWORD})
    return body["data"]["register"]


def _issue(server: Server, session_token: str, audience: str | None = AUDIENCE) -> str:
    result = server.graphql(ISSUE, {"audience": audience}, token=session_token)["data"]["issueAccessToken"]
    assert result["__typename"] == "IssueAccessTokenPayload", result
    return result["accessToken"]


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_another_service_verifies_access_tokens_with_the_published_keys(
    verified_server: tuple[Server, Verifier],
) -> None:
    server, verifier = verified_server
    assert httpx.get(verifier.url + "/health", timeout=10).json() == {"gql_imported": False}
    member = _register(server)
    token = _issue(server, member["sessionToken"])
    assert verifier.check(token) == (
        200,
        {"sub": member["member"]["id"], "sid": member["session"]["id"], "kid": _kid(token)},
    )

    # Tampered: the payload names another member under the same signature.
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    other = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone-else"}).encode()).decode().rstrip("=")
    assert verifier.check(f"{head}.{other}.{signature}") == (401, {"error": "InvalidSignatureError"})
    # Signed by a key the server never published, under the server's own kid.
    foreign = jwt.encode(
        claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": _kid(token)}
    )
    assert verifier.check(foreign) == (401, {"error": "InvalidSignatureError"})
    # Meant for another service (the default audience is the issuer itself).
    assert verifier.check(_issue(server, member["sessionToken"], None)) == (401, {"error": "InvalidAudienceError"})

    # The operator rotates the key while the token is out.
    rotated = run_cli(
        "rotate-signing-key",
        database_url=server.database_url,
        cwd=server.workdir,
        MEMBERS_SIGNING_KEY_REFRESH_SECONDS="1",  # as the servers: the new key signs 2 s from now
    )
    assert rotated.returncode == 0, rotated.stderr
    assert "BEGIN" not in rotated.stdout + rotated.stderr  # no key material is printed
    new_kid = rotated.stdout.split()[3]

    def signed_by_the_new_key() -> str | None:
        fresh = _issue(server, member["sessionToken"])
        return fresh if _kid(fresh) == new_kid else None

    fresh = eventually(signed_by_the_new_key, "the server to sign with the rotated key", DEADLINE, every=0.1)
    assert verifier.check(fresh)[0] == 200
    # The old key's token is still accepted, as long as it has not expired...
    status, body = verifier.check(token)
    assert (status, body["kid"]) == (200, _kid(token)) and _kid(token) != new_kid

    # ...and refused once it has.
    def expired() -> bool | None:
        return True if verifier.check(token) == (401, {"error": "ExpiredSignatureError"}) else None

    eventually(expired, "the old token to expire", DEADLINE, every=0.1)
    keys = {key["kid"] for key in httpx.get(server.base_url + "/.well-known/jwks.json", timeout=10).json()["keys"]}
    assert new_kid in keys


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two server processes on one database, one public URL (the access tokens' issuer) for both."""
    databases = Databases()
    url = databases.new(tmp_path)
    servers = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            servers.append(Server(workdir, url, MEMBERS_PUBLIC_URL="https://members.example").start())
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()
        databases.drop()


def test_a_session_revoked_through_one_process_is_refused_by_the_other_at_once(
    two_servers: tuple[Server, Server],
) -> None:
    a, b = two_servers
    member = _register(a)
    token = member["sessionToken"]
    assert b.graphql(ME, token=token)["data"]["currentMember"]["id"] == member["member"]["id"]
    access = _issue(a, token)
    assert b.graphql(VALIDATE, {"token": access})["data"]["validateSession"]["valid"] is True
    revoked = b.graphql(REVOKE, {"id": member["session"]["id"]}, token=token)["data"]["revokeSession"]
    assert revoked["__typename"] == "RevokeSessionPayload"
    # The very next request, on the other process: no session, no access token's session.
    assert a.graphql(ME, token=token)["data"]["currentMember"] is None
    assert a.graphql(VALIDATE, {"token": access})["data"]["validateSession"]["valid"] is False
    assert a.graphql(ISSUE, {"audience": None}, token=token)["data"]["issueAccessToken"]["code"] == 3028
    # A logout through one ends the session for both as well.
    second = a.graphql(
        """mutation ($identity: String!, $password: String!) { login(identity: $identity, password: $password) {
      ... on LoginPayload { sessionToken } } }""",
        {"identity": _email_of(a, member), "password": PASSWORD},
    )
    again = second["data"]["login"]["sessionToken"]
    assert b.graphql(ME, token=again)["data"]["currentMember"] is not None
    assert (
        a.graphql("mutation { logout { __typename } }", token=again)["data"]["logout"]["__typename"] == "LogoutPayload"
    )
    assert b.graphql(ME, token=again)["data"]["currentMember"] is None


def _email_of(server: Server, member: dict[str, Any]) -> str:
    body = server.backend(
        "query ($id: ID!) { member(id: $id) { ... on Member { loginEmail } } }", {"id": member["member"]["id"]}
    )
    return body["data"]["member"]["loginEmail"]
