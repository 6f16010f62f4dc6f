"""Attacks on passwordless sign-in (issue 14 §4), against real server processes over HTTP with
mail to a real SMTP server: enumeration by answers and by the work done, guessing past the
attempt limit (also many guesses at once, over two processes), replaying a used code or link,
and the rate limits per client address and per mailbox."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gql.domain.policy import LOGIN_CODE_ATTEMPTS
from tests.attack.conftest import (
    ADMIN_KEY,
    UPDATE_SETTINGS,
    Client,
    Server,
    SharedServers,
    StartServer,
    query_database,
    register,
    unique_email,
)
from tests.mailbox import Mailbox
from tests.passwordless import REQUEST, WITH_CODE, WITH_LINK, from_mail


@pytest.fixture(scope="module")
def module_mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def servers(shared_servers: SharedServers, module_mailbox: Mailbox) -> list[Server]:
    """Two processes on one database, both mailing to the test SMTP server."""
    return shared_servers(
        "passwordless",
        2,
        MEMBERS_SMTP_URL=module_mailbox.url,
        MEMBERS_OUTBOX_POLL_SECONDS="0.2",
        MEMBERS_SETTINGS_CACHE_SECONDS="0",  # the other process sees passwordlessLogin turned on at once
    )


async def passwordless_on(client: Client, **more: Any) -> None:
    result = await client.field(UPDATE_SETTINGS, {"input": {"passwordlessLogin": True, **more}}, api_key=ADMIN_KEY)
    assert result["__typename"] == "UpdateRegistrationSettingsPayload", result


async def mailed(client: Client, mailbox: Mailbox, email: str, count: int = 1) -> tuple[str, str]:
    """Ask for a code and read the code and link token from the delivered mail."""
    asked = await client.field(REQUEST, {"email": email})
    assert asked["__typename"] == "RequestLoginCodePayload", asked
    return from_mail((await mailbox.wait_for(email, count, timeout=20))[-1])


def wrong(code: str, n: int = 1) -> str:
    return f"{(int(code) + n) % 1_000_000:06d}"


async def test_known_blocked_and_unknown_addresses_get_the_same_answer_and_the_same_rows(
    servers: list[Server], http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    server = servers[0]
    client = Client(http, server.graphql_url)
    await passwordless_on(client)
    known, blocked, unknown = unique_email("known"), unique_email("blocked"), unique_email("unknown")
    await register(client, known)
    await register(client, blocked)
    blocking = await client.field(
        "mutation ($e: String!) { blockByEmail(email: $e) { __typename } }", {"e": blocked}, api_key=ADMIN_KEY
    )
    assert blocking["__typename"] == "BlockByEmailPayload", blocking
    answers = {}
    for email in (known, blocked, unknown):
        response = await Client(http, server.graphql_url).response(REQUEST, {"email": email})
        answers[email] = (response.status_code, response.text.replace(email, "<email>"))
    assert len(set(answers.values())) == 1, answers
    # The same rows for each: one code row, one queued mail.
    for email in (known, blocked, unknown):
        rows = query_database(server.database_url, f"SELECT attempts_left FROM login_code WHERE email_key = '{email}'")
        assert rows == [{"attempts_left": LOGIN_CODE_ATTEMPTS}], (email, rows)
        mails = query_database(server.database_url, f"SELECT status FROM outbox WHERE recipient = '{email}'")
        assert len(mails) == 1, (email, mails)
    # Only the member that may sign in gets its code.
    await module_mailbox.wait_for(known, timeout=20)
    await asyncio.sleep(1.0)
    assert [m for m in module_mailbox.messages if m["To"] in (blocked, unknown)] == []
    # And a guessed code answers alike for all three.
    guesses = {}
    for email in (known, blocked, unknown):
        response = await Client(http, server.graphql_url).response(WITH_CODE, {"email": email, "code": "000000"})
        guesses[email] = response.text
    if len(set(guesses.values())) != 1:  # one in a million: 000000 was the known member's code
        pytest.skip("a guess was right")
    assert '"code":3230' in guesses[known]


async def test_guesses_past_the_attempt_limit_kill_the_code_even_when_sent_at_once(
    servers: list[Server], http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    client = Client(http, servers[0].graphql_url)
    await passwordless_on(client)
    email = unique_email("guessed")
    await register(client, email)
    code, token = await mailed(client, module_mailbox, email)
    # 30 wrong guesses at once, spread over both processes and many addresses.
    guesses = [
        Client(http, servers[n % 2].graphql_url).field(WITH_CODE, {"email": email, "code": wrong(code, n + 1)})
        for n in range(30)
    ]
    answers = await asyncio.gather(*guesses)
    assert {a["code"] for a in answers} == {3230}, answers
    (row,) = query_database(
        servers[0].database_url, f"SELECT attempts_left FROM login_code WHERE email_key = '{email}'"
    )
    assert row["attempts_left"] == 0  # never below: each guess took one attempt or none
    assert (await client.field(WITH_CODE, {"email": email, "code": code}))["code"] == 3230
    assert (await client.field(WITH_LINK, {"token": token}))["code"] == 3230


async def test_of_many_guesses_at_once_no_more_than_the_limit_are_compared(
    servers: list[Server], http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    """The right code among 30 wrong ones, all at once: it signs in only if it took one of the
    attempts, so with 30 racing the right one mostly loses — and never do more than the limit of
    tries get an attempt."""
    client = Client(http, servers[0].graphql_url)
    await passwordless_on(client)
    email = unique_email("raced")
    await register(client, email)
    code, _ = await mailed(client, module_mailbox, email)
    tries = [wrong(code, n + 1) for n in range(30)]
    tries.insert(15, code)
    answers = await asyncio.gather(
        *(
            Client(http, servers[n % 2].graphql_url).field(WITH_CODE, {"email": email, "code": guess})
            for n, guess in enumerate(tries)
        )
    )
    kinds = [a["__typename"] for a in answers]
    assert kinds.count("LoginPayload") <= 1
    assert set(kinds) <= {"LoginPayload", "LoginCodeInvalidError"}, answers
    rows = query_database(servers[0].database_url, f"SELECT attempts_left FROM login_code WHERE email_key = '{email}'")
    assert rows in ([], [{"attempts_left": 0}]), rows  # used (deleted), or out of attempts


async def test_a_used_code_or_link_cannot_be_replayed_even_at_once(
    servers: list[Server], http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    client = Client(http, servers[0].graphql_url)
    await passwordless_on(client)
    email = unique_email("replayed")
    await register(client, email)
    code, token = await mailed(client, module_mailbox, email)
    # The code five times and the link five times, at once, on both processes: one sign-in.
    calls = [
        Client(http, servers[n % 2].graphql_url).field(WITH_CODE, {"email": email, "code": code}) for n in range(5)
    ] + [Client(http, servers[n % 2].graphql_url).field(WITH_LINK, {"token": token}) for n in range(5)]
    answers = await asyncio.gather(*calls)
    kinds = [a["__typename"] for a in answers]
    assert kinds.count("LoginPayload") == 1, answers
    assert kinds.count("LoginCodeInvalidError") == 9, answers
    # And later, too.
    assert (await client.field(WITH_CODE, {"email": email, "code": code}))["code"] == 3230
    assert (await client.field(WITH_LINK, {"token": token}))["code"] == 3230


async def test_a_newer_request_kills_the_mailed_code_and_link(
    servers: list[Server], http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    client = Client(http, servers[0].graphql_url)
    await passwordless_on(client)
    email = unique_email("renewed")
    await register(client, email)
    old_code, old_token = await mailed(client, module_mailbox, email)
    new_code, new_token = await mailed(Client(http, servers[1].graphql_url), module_mailbox, email, count=2)
    assert (await client.field(WITH_LINK, {"token": old_token}))["code"] == 3230
    if old_code != new_code:
        assert (await client.field(WITH_CODE, {"email": email, "code": old_code}))["code"] == 3230
    assert (await client.field(WITH_LINK, {"token": new_token}))["__typename"] == "LoginPayload"


async def test_requests_are_limited_per_address_and_per_mailbox(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server(rate_limits="1")
    admin = Client(http, server.graphql_url)
    await passwordless_on(admin)
    victim = unique_email("flooded")
    # One client may ask twice an hour for one mailbox (the mailbox-address bucket) …
    attacker = Client(http, server.graphql_url)
    answers = [await attacker.field(REQUEST, {"email": victim}) for _ in range(3)]
    assert [a["__typename"] for a in answers] == ["RequestLoginCodePayload"] * 2 + ["RateLimitedError"], answers
    assert answers[-1]["retryAfter"] >= 1
    # … and many clients together at most ten times (the mailbox bucket).
    spread = [await Client(http, server.graphql_url).field(REQUEST, {"email": victim}) for _ in range(10)]
    kinds = [a["__typename"] for a in spread]
    assert kinds.count("RequestLoginCodePayload") == 8 and kinds[-1] == "RateLimitedError", kinds
    # One client asking for many mailboxes: ten an hour.
    asker = Client(http, server.graphql_url)
    many = [await asker.field(REQUEST, {"email": unique_email("many")}) for _ in range(11)]
    assert [a["__typename"] for a in many][-1] == "RateLimitedError"
    assert [a["__typename"] for a in many][:10] == ["RequestLoginCodePayload"] * 10


async def test_guessing_is_limited_per_address(start_server: StartServer, http: httpx.AsyncClient) -> None:
    server = start_server(rate_limits="0.1")  # 3 tries per 5 minutes per address
    admin = Client(http, server.graphql_url)
    await passwordless_on(admin)
    guesser = Client(http, server.graphql_url)
    email = unique_email("target")
    answers = [await guesser.field(WITH_CODE, {"email": email, "code": f"{n:06d}"}) for n in range(4)]
    assert [a["__typename"] for a in answers] == ["LoginCodeInvalidError"] * 3 + ["RateLimitedError"], answers
    # The link shares the bucket.
    assert (await guesser.field(WITH_LINK, {"token": "x" * 43}))["__typename"] == "RateLimitedError"
