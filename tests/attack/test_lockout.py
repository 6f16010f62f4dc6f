"""Password guessing against one account, over HTTP: the lockout holds (3036)."""

from __future__ import annotations

import asyncio

import httpx

from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_EMAIL,
    PASSWORD,
    Client,
    Server,
    SharedServers,
    login,
    register,
    unique_email,
)


def defaults(shared_servers: SharedServers) -> Server:
    """The default lockout (10 failures, 60 s) with rate limits off: the lockout stays on."""
    return shared_servers("defaults")[0]


def quick(shared_servers: SharedServers) -> Server:
    """3 failures lock for 1 s, doubling up to 2 s."""
    return shared_servers("quick", lockout_threshold="3", lockout_seconds="1", lockout_max_seconds="2")[0]


async def test_ten_failures_lock_the_account_even_for_the_right_password(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = defaults(shared_servers)
    client = Client(http, server.graphql_url)
    email = unique_email("victim")
    assert (await register(client, email))["__typename"] == "RegistrationResult"

    answers = [await login(client, email, f"guess-{i}") for i in range(10)]
    assert {a["code"] for a in answers} == {3003}

    locked = await login(client, email, PASSWORD)
    assert locked["__typename"] == "AccountLockedError" and locked["code"] == 3036, locked
    assert 55 <= locked["retryAfter"] <= 60
    # From another address too: the lock is the account's, not the address's.
    assert (await login(Client(http, server.graphql_url), email, PASSWORD))["code"] == 3036

    # The backend unlocks with approveByEmail; the right password then works at once.
    unlocked = await client.field(APPROVE_BY_EMAIL, {"email": email}, api_key=ADMIN_KEY)
    assert unlocked["__typename"] == "SessionResult"
    assert (await login(client, email, PASSWORD))["__typename"] == "SessionResult"


async def test_success_resets_the_count(shared_servers: SharedServers, http: httpx.AsyncClient) -> None:
    server = quick(shared_servers)
    client = Client(http, server.graphql_url)
    email = unique_email()
    await register(client, email)
    for _round in range(3):
        for i in range(2):
            assert (await login(client, email, f"wrong{i}"))["code"] == 3003
        assert (await login(client, email))["__typename"] == "SessionResult"


async def test_the_wait_doubles_up_to_the_maximum(shared_servers: SharedServers, http: httpx.AsyncClient) -> None:
    server = quick(shared_servers)
    client = Client(http, server.graphql_url)
    email = unique_email()
    await register(client, email)
    for i in range(3):
        assert (await login(client, email, f"wrong{i}"))["code"] == 3003
    first = await login(client, email)
    assert first["code"] == 3036 and first["retryAfter"] == 1
    await asyncio.sleep(1.1)
    # One more failure after the lock ran out: locked again, twice as long.
    assert (await login(client, email, "wrong again"))["code"] == 3003
    second = await login(client, email)
    assert second["code"] == 3036 and second["retryAfter"] == 2, second
    await asyncio.sleep(2.1)
    assert (await login(client, email, "and again"))["code"] == 3003
    third = await login(client, email)
    assert third["code"] == 3036 and third["retryAfter"] == 2, third  # capped at the maximum
    await asyncio.sleep(2.1)
    assert (await login(client, email))["__typename"] == "SessionResult"
    # ...and the success reset the count: three more failures before the next lock.
    for i in range(2):
        assert (await login(client, email, f"w{i}"))["code"] == 3003
    assert (await login(client, email))["__typename"] == "SessionResult"


async def test_each_aliased_login_in_one_document_counts(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = defaults(shared_servers)
    client = Client(http, server.graphql_url)
    email = unique_email()
    await register(client, email)
    # 15 guesses in one request (the alias limit): the first 10 are judged, then the lock
    # answers, and the right password in the last alias does not get through.
    fields = " ".join(
        f'g{i}: login(identity: "{email}", password: "{"guess" + str(i) if i < 14 else PASSWORD}") '
        "{ __typename ... on Error { code } }"
        for i in range(15)
    )
    body = await client.post(f"mutation {{ {fields} }}")
    codes = [body["data"][f"g{i}"]["code"] for i in range(15)]
    assert codes == [3003] * 10 + [3036] * 5, codes

    # 16 aliases are refused before anything runs: no 16 free guesses either.
    other = unique_email()
    await register(client, other)
    sixteen = " ".join(f'g{i}: login(identity: "{other}", password: "x{i}xx") {{ __typename }}' for i in range(16))
    refused = await client.post(f"mutation {{ {sixteen} }}")
    assert refused["data"] is None and "aliases" in refused["errors"][0]["message"].lower()
    assert (await login(client, other))["__typename"] == "SessionResult"  # nothing was counted


async def test_a_burst_of_concurrent_guesses_cannot_slip_past_the_lock(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = defaults(shared_servers)
    email = unique_email()
    await register(Client(http, server.graphql_url), email)
    guesses = [login(Client(http, server.graphql_url), email, f"burst-{i}") for i in range(40)]
    answers = await asyncio.gather(*guesses)
    assert {a["code"] for a in answers} <= {3003, 3036}
    # However the 40 raced, the account ended up locked: the right password is refused.
    assert (await login(Client(http, server.graphql_url), email))["code"] == 3036


async def test_unknown_accounts_lock_alike_so_locks_do_not_reveal_accounts(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = quick(shared_servers)
    client = Client(http, server.graphql_url)
    real = unique_email("real")
    await register(client, real)
    ghost = unique_email("ghost")

    def shape(answer: dict) -> tuple:
        return (answer["__typename"], answer.get("code"), answer.get("message"), answer.get("retryAfter"))

    for attempt in range(5):
        known = await login(client, real, f"wrong-{attempt}")
        unknown = await login(client, ghost, f"wrong-{attempt}")
        assert shape(known) == shape(unknown), (attempt, known, unknown)
    assert shape(known)[1] == 3036
