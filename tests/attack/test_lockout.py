"""Password guessing against one account, over HTTP: the lockout holds (3036) and nobody can
hold it against the account's owner. Failures count per account and client address; the
account locks for everyone only while several addresses are locked out of it at once.

Every lock here lasts a minute or more, so no answer depends on how fast the machine is; how
long locks last, double and end is checked to the second with a clock the test moves, in
tests/integration/test_lockout_clock.py."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_EMAIL,
    PASSWORD,
    Client,
    Server,
    SharedServers,
    login,
    query_database,
    register,
    unique_email,
)
from tests.mailbox import Mailbox, link_in
from tests.waiting import until


def defaults(shared_servers: SharedServers) -> Server:
    """The default lockout (10 failures, 60 s) with rate limits off: the lockout stays on."""
    return shared_servers("defaults")[0]


def three(shared_servers: SharedServers) -> Server:
    """3 failures lock an address for 60 s (doubling up to 15 minutes); 3 addresses lock the account."""
    return shared_servers("three", lockout_threshold="3", lockout_addresses="3")[0]


async def test_ten_failures_lock_the_account_even_for_the_right_password(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = defaults(shared_servers)
    client = Client(http, server.graphql_url)
    email = unique_email("victim")
    assert (await register(client, email))["__typename"] == "RegisterPayload"

    answers = [await login(client, email, f"guess-{i}") for i in range(10)]
    assert {a["code"] for a in answers} == {3003}

    locked = await login(client, email, PASSWORD)
    assert locked["__typename"] == "AccountLockedError" and locked["code"] == 3036, locked
    assert 55 <= locked["retryAfter"] <= 60
    # The lock is this address's: the owner, from elsewhere, logs in with the right password.
    assert (await login(Client(http, server.graphql_url), email, PASSWORD))["__typename"] == "LoginPayload"

    # The backend unlocks with approveByEmail; the right password then works at once.
    unlocked = await client.field(APPROVE_BY_EMAIL, {"email": email}, api_key=ADMIN_KEY)
    assert unlocked["__typename"] == "ApproveByEmailPayload"
    assert (await login(client, email, PASSWORD))["__typename"] == "LoginPayload"


async def test_success_resets_the_count(shared_servers: SharedServers, http: httpx.AsyncClient) -> None:
    server = three(shared_servers)
    client = Client(http, server.graphql_url)
    email = unique_email()
    await register(client, email)
    for _round in range(3):
        for i in range(2):
            assert (await login(client, email, f"wrong{i}"))["code"] == 3003
        assert (await login(client, email))["__typename"] == "LoginPayload"


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
    assert (await login(client, other))["__typename"] == "LoginPayload"  # nothing was counted


async def test_a_burst_of_concurrent_guesses_cannot_slip_past_the_lock(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = defaults(shared_servers)
    email = unique_email()
    await register(Client(http, server.graphql_url), email)
    # 40 concurrent guesses from one address, the right password among the last ones.
    attacker = Client(http, server.graphql_url)
    guesses = [login(attacker, email, f"burst-{i}") for i in range(40)]
    answers = await asyncio.gather(*guesses)
    assert {a["code"] for a in answers} <= {3003, 3036}
    assert [a["code"] for a in answers].count(3003) == 10, answers  # counted once each, never more
    # However the 40 raced, that address ended up locked out: the right password is refused.
    assert (await login(attacker, email))["code"] == 3036


async def test_one_address_cannot_keep_the_owner_out(shared_servers: SharedServers, http: httpx.AsyncClient) -> None:
    """The review's attack: keep guessing from one address. The owner, from its own address, is
    never locked out by it (the guesser's relocking after each lock runs out, twice as long
    each time: tests/integration/test_lockout_clock.py)."""
    server = three(shared_servers)
    email = unique_email("owner")
    await register(Client(http, server.graphql_url), email)
    attacker, owner = Client(http, server.graphql_url), Client(http, server.graphql_url)
    for i in range(3):
        assert (await login(attacker, email, f"wrong-{i}"))["code"] == 3003
    for round_ in range(3):
        locked = await login(attacker, email, "still guessing")
        assert locked["code"] == 3036 and locked["retryAfter"] > 30, locked
        assert (await login(attacker, email))["code"] == 3036, round_  # the right password too
        assert (await login(owner, email))["__typename"] == "LoginPayload", round_


async def test_many_addresses_lock_the_account_and_a_reset_lets_the_owner_back_in(
    shared_servers: SharedServers, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    server = shared_servers("reset-unlocks", lockout_threshold="3", lockout_addresses="3", smtp_url=mailbox.url)[0]
    email = unique_email("victim")
    owner = Client(http, server.graphql_url)
    await register(owner, email)
    attackers = [Client(http, server.graphql_url) for _ in range(3)]
    for n, attacker in enumerate(attackers):
        for i in range(3):
            assert (await login(attacker, email, f"wrong-{n}-{i}"))["code"] == 3003
        if n < 2:  # one or two addresses locked out: the account is still open to every other
            assert (await login(Client(http, server.graphql_url), email))["__typename"] == "LoginPayload"
    # Three addresses locked out at once: now the account locks for everyone, the owner too.
    locked = await login(owner, email)
    assert locked["code"] == 3036, locked
    assert (await login(Client(http, server.graphql_url), email))["code"] == 3036

    # The attackers ask for resets of the victim's mailbox first; the owner's own request still gets through.
    for attacker in attackers[:2]:
        for _ in range(2):
            await attacker.field(RESET, {"e": email})
    assert (await owner.field(RESET, {"e": email}))["__typename"] == "RequestPasswordResetPayload"
    # Links replaced before their mail went out are not mailed: wait until the queue is empty.
    pending = "SELECT id FROM outbox WHERE status = 'PENDING'"
    await until(lambda: not query_database(server.database_url, pending), "the outbox to drain", timeout=15)
    token = link_in((await mailbox.wait_for(email))[-1]).split("token=", 1)[1]
    reset = await owner.field(RESET_PASSWORD, {"t": token, "p": "the-owners-new-password"})
    assert reset["__typename"] == "ResetPasswordPayload", reset
    # The reset cleared every lock: the owner logs in, and the attackers start from nothing.
    assert (await login(owner, email, "the-owners-new-password"))["__typename"] == "LoginPayload"
    assert (await login(attackers[0], email, "wrong"))["code"] == 3003


def shape(answer: dict[str, Any]) -> tuple[Any, ...]:
    """An answer as an attacker compares it, up to the second the clock ticked between two requests:
    its type, code and message with the number of seconds blanked."""
    return answer["__typename"], answer.get("code"), re.sub(r"\d+", "N", answer.get("message", ""))


def alike(known: dict[str, Any], unknown: dict[str, Any]) -> bool:
    waits = (known.get("retryAfter"), unknown.get("retryAfter"))
    same_wait = waits[0] == waits[1] or (None not in waits and abs(waits[0] - waits[1]) <= 1)
    return shape(known) == shape(unknown) and same_wait


async def test_unknown_accounts_lock_alike_so_locks_do_not_reveal_accounts(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = three(shared_servers)
    client = Client(http, server.graphql_url)
    real = unique_email("real")
    await register(client, real)
    ghost = unique_email("ghost")

    for attempt in range(5):
        known = await login(client, real, f"wrong-{attempt}")
        unknown = await login(client, ghost, f"wrong-{attempt}")
        assert alike(known, unknown), (attempt, known, unknown)
    assert known["code"] == 3036
    # …and account-wide, once three addresses are locked out of each.
    for _ in range(2):
        other = Client(http, server.graphql_url)
        for attempt in range(3):
            known, unknown = await login(other, real, f"w{attempt}"), await login(other, ghost, f"w{attempt}")
            assert alike(known, unknown), (attempt, known, unknown)
    bystander = Client(http, server.graphql_url)
    known, unknown = await login(bystander, real, "x"), await login(bystander, ghost, "x")
    assert alike(known, unknown) and known["code"] == 3036, (known, unknown)


RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename ... on Error { code } } }"
RESET_PASSWORD = """mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) {
  __typename ... on Error { code message } } }"""
