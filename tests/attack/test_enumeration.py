"""Account enumeration by answers, hash counts and time.

The app runs in-process here (``gql`` fixture: HTTP requests through the ASGI app) so
the test can count the password hashes the server computes (``PasswordHasher.computations``):
over a socket only time would show them, and time is noisy.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import pytest

from gql.config import Settings
from gql.domain.services import Services
from tests.conftest import GraphQLClient

LOGIN = """mutation ($identity: String!, $password: String!) {
  login(identity: $identity, password: $password) {
    __typename ... on SessionResult { sessionToken } ... on Error { code message } ... on AccountLockedError { retryAfter }
  } }"""
REGISTER = """mutation ($email: String!, $password: String!) {
  register(email: $email, password: $password) { __typename ... on RegistrationResult { status } ... on Error { code } } }"""
SETTINGS = (
    """mutation ($input: RegistrationSettingsInput!) { updateRegistrationSettings(input: $input) { __typename } }"""
)
BLOCK = """mutation ($email: String!) { blockByEmail(email: $email) { __typename } }"""
RESET = """mutation ($email: String!) { requestPasswordReset(email: $email) { __typename ... on Error { code message } } }"""
PASSWORD = "correct horse"


async def login(gql: GraphQLClient, identity: str, password: str) -> dict:
    body = await gql.anonymous(LOGIN, {"identity": identity, "password": password})
    assert "errors" not in body, body
    return body["data"]["login"]


async def hashes_for(services: Services, gql: GraphQLClient, identity: str, password: str) -> tuple[dict, int]:
    before = services.hasher.computations
    answer = await login(gql, identity, password)
    return answer, services.hasher.computations - before


async def make_member(gql: GraphQLClient, email: str, *, backend: bool = False) -> None:
    send = gql.backend if backend else gql.anonymous
    body = await send(REGISTER, {"email": email, "password": PASSWORD})
    assert body["data"]["register"]["__typename"] == "RegistrationResult", body


async def test_unknown_identity_and_wrong_password_answer_alike_with_one_hash_each(
    gql: GraphQLClient, services: Services
) -> None:
    await make_member(gql, "known@example.com")
    unknown, unknown_hashes = await hashes_for(services, gql, "nobody@example.com", "wrong password")
    wrong, wrong_hashes = await hashes_for(services, gql, "known@example.com", "wrong password")
    assert (
        unknown
        == wrong
        == {"__typename": "InvalidCredentialsError", "code": 3003, "message": "Invalid login or password."}
    )
    assert unknown_hashes == wrong_hashes == 1
    right, right_hashes = await hashes_for(services, gql, "known@example.com", PASSWORD)
    assert right["__typename"] == "SessionResult" and right_hashes == 1


async def test_blocked_pending_and_locked_accounts_cost_one_hash_too(gql: GraphQLClient, services: Services) -> None:
    await make_member(gql, "blocked@example.com")
    await gql.backend(BLOCK, {"email": "blocked@example.com"})
    await gql.backend(SETTINGS, {"input": {"approval": "MANUAL"}})
    await make_member(gql, "pending@example.com", backend=True)
    for identity, password in (
        ("blocked@example.com", "wrong password"),
        ("blocked@example.com", PASSWORD),
        ("pending@example.com", "wrong password"),
        ("pending@example.com", PASSWORD),
    ):
        _, hashes = await hashes_for(services, gql, identity, password)
        assert hashes == 1, identity
    # Wrong passwords on blocked or pending accounts say nothing about their status.
    assert (await login(gql, "blocked@example.com", "wrong password"))["code"] == 3003
    assert (await login(gql, "pending@example.com", "wrong password"))["code"] == 3003

    for i in range(10):
        await login(gql, "pending@example.com", f"guess {i}")
    locked, hashes = await hashes_for(services, gql, "pending@example.com", PASSWORD)
    assert locked["code"] == 3036 and hashes == 1
    ghost_answers = [await hashes_for(services, gql, "ghost@example.com", f"guess {i}") for i in range(11)]
    assert ghost_answers[-1][0]["code"] == 3036 and {h for _, h in ghost_answers} == {1}


async def test_empty_credentials_cost_no_hash_for_anyone(gql: GraphQLClient, services: Services) -> None:
    await make_member(gql, "known@example.com")
    for identity in ("known@example.com", "nobody@example.com", " "):
        answer, hashes = await hashes_for(services, gql, identity, "")
        assert answer["code"] == 3006 and hashes == 0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, bcrypt_cost=8)  # enough work for time to tell, if it could


async def test_unknown_and_known_identities_take_the_same_time(gql: GraphQLClient, services: Services) -> None:
    await make_member(gql, "known@example.com")

    async def timed(identity: str) -> float:
        start = time.perf_counter()
        await login(gql, identity, "wrong password")
        return time.perf_counter() - start

    await timed("warm-up@example.com")
    known, unknown = [], []
    for i in range(8):
        known.append(await timed("known@example.com"))
        unknown.append(await timed(f"nobody{i}@example.com"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.6 < ratio < 1.6, (known, unknown)


async def test_password_reset_requests_answer_the_same_either_way(gql: GraphQLClient) -> None:
    await make_member(gql, "known@example.com")
    known = await gql.anonymous(RESET, {"email": "known@example.com"})
    unknown = await gql.anonymous(RESET, {"email": "nobody@example.com"})
    assert known == unknown == {"data": {"requestPasswordReset": {"__typename": "EmailQueued"}}}
