"""verifyPassword is a password guess like any login, over HTTP against a real server: a stolen
session is worth no more guesses than the login form. Wrong passwords count in the lockout per
account and client address, a locked address gets 3036 whatever the password (by verifyPassword
and by login alike), the owner elsewhere is not affected, a burst cannot slip past the lock, and
the calls spend the login rate limit. (The lock's length to the second: the integration tests'
clock, tests/integration/test_verify_password.py.)"""

from __future__ import annotations

import asyncio

import httpx

from tests.attack.conftest import PASSWORD, Client, Server, SharedServers, StartServer, login, register, unique_email

VERIFY = """mutation ($password: String!) { verifyPassword(password: $password) {
  __typename ... on VerifyPasswordPayload { verifiedDate member { id } }
  ... on Error { code message } ... on RetryableError { retryAfter } } }"""


def three(shared_servers: SharedServers) -> Server:
    """3 failures lock an address for 60 s; 3 locked addresses lock the account."""
    return shared_servers("verify-three", lockout_threshold="3", lockout_addresses="3")[0]


async def verify(client: Client, token: str, password: str) -> dict:
    return await client.field(VERIFY, {"password": password}, token=token)


async def signed_in(client: Client, email: str) -> str:
    assert (await register(client, email))["__typename"] == "RegisterPayload"
    session = await login(client, email)
    assert session["__typename"] == "LoginPayload", session
    return session["sessionToken"]


async def test_wrong_passwords_lock_the_address_for_verify_and_login_alike(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = three(shared_servers)
    thief, owner = Client(http, server.graphql_url), Client(http, server.graphql_url)
    email = unique_email("stepup")
    stolen = await signed_in(thief, email)  # the session the thief holds
    answers = [await verify(thief, stolen, f"guess-{i}") for i in range(3)]
    assert [a["code"] for a in answers] == [3003] * 3, answers

    locked = await verify(thief, stolen, PASSWORD)
    assert locked["__typename"] == "AccountLockedError" and 55 <= locked["retryAfter"] <= 60, locked
    assert (await login(thief, email))["code"] == 3036  # the login form is closed to that address too

    # The owner, from its own address, logs in and verifies, even with the same session.
    own = await login(owner, email)
    assert own["__typename"] == "LoginPayload", own
    assert (await verify(owner, own["sessionToken"], PASSWORD))["__typename"] == "VerifyPasswordPayload"
    assert (await verify(owner, stolen, PASSWORD))["__typename"] == "VerifyPasswordPayload"
    # ...which does not lift the thief's lock.
    assert (await verify(thief, stolen, PASSWORD))["code"] == 3036


async def test_a_burst_of_concurrent_guesses_cannot_slip_past_the_lock(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = three(shared_servers)
    attacker = Client(http, server.graphql_url)
    email = unique_email("burst")
    token = await signed_in(attacker, email)
    answers = await asyncio.gather(*(verify(attacker, token, f"burst-{i}") for i in range(20)))
    codes = [a["code"] for a in answers]
    assert set(codes) <= {3003, 3036} and codes.count(3003) == 3, codes  # each counted once, never more
    assert (await verify(attacker, token, PASSWORD))["code"] == 3036


async def test_verifications_spend_the_login_rate_limit(start_server: StartServer, http: httpx.AsyncClient) -> None:
    server = start_server(rate_limits="0.1")  # 3 logins per 5 minutes per address
    client = Client(http, server.graphql_url)
    email = unique_email("limited")
    token = await signed_in(client, email)  # one login
    for _ in range(2):
        assert (await verify(client, token, PASSWORD))["__typename"] == "VerifyPasswordPayload"
    response = await client.response(VERIFY, {"password": PASSWORD}, token=token)
    refused = response.json()["data"]["verifyPassword"]
    assert refused["code"] == 3207 and int(response.headers["Retry-After"]) == refused["retryAfter"] >= 1
    assert (await login(client, email))["code"] == 3207  # the same bucket
