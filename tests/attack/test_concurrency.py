"""Races over real HTTP, on SQLite and PostgreSQL: one winner, no 5xx, nothing half-done."""

from __future__ import annotations

import asyncio

import httpx

from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_TOKEN,
    BACKEND,
    BLOCK_BY_EMAIL,
    CURRENT_MEMBER,
    LOGOUT,
    REGISTER,
    Client,
    StartServer,
    login,
    manual_approval,
    query_database,
    register,
)

# One address, many spellings: case, surrounding spaces, fullwidth letters (NFKC).
BASE = "racer@example.com"
FULLWIDTH = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in "racer") + "@example.com"
VARIANTS = [
    BASE,
    BASE.upper(),
    f"  {BASE}  ",
    "Racer@Example.COM",
    FULLWIDTH,
    f" {FULLWIDTH.upper()}",
    "rAcEr@eXaMpLe.cOm",
]


async def test_fifty_concurrent_registrations_of_one_email_make_one_member(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    # PostgreSQL: two processes race on one database. SQLite, the embedded single-process
    # default, serialises one process's writes; across processes, a transaction that read
    # before another process wrote gets "database is locked" (3208, retryable), not a 5xx.
    servers = [start_server(), start_server()] if BACKEND == "postgres" else [start_server()]

    async def attempt(i: int) -> httpx.Response:
        client = Client(http, servers[i % len(servers)].graphql_url)
        return await client.response(REGISTER, {"email": VARIANTS[i % len(VARIANTS)], "password": f"password-{i}"})

    responses = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert all(r.status_code == 200 for r in responses), [r.status_code for r in responses]
    bodies = [r.json() for r in responses]
    assert not [b for b in bodies if b.get("errors")], [b for b in bodies if b.get("errors")][:3]
    results = [b["data"]["register"] for b in bodies]
    kinds = [r["__typename"] for r in results]
    assert kinds.count("RegisterPayload") == 1, kinds
    assert {r["code"] for r in results if r["__typename"] != "RegisterPayload"} == {3033}

    members = query_database(attack_database, "SELECT id, contact_id FROM member")
    assert len(members) == 1
    # No contact was left behind by the 49 losers (each rolled back its transaction).
    assert query_database(attack_database, "SELECT COUNT(*) AS n FROM contact")[0]["n"] == 1
    assert (
        query_database(attack_database, "SELECT COUNT(*) AS n FROM member_event WHERE kind = 'REGISTERED'")[0]["n"] == 1
    )


async def test_ten_concurrent_approvals_with_one_token_make_one_session(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    servers = [start_server(), start_server()]
    client = Client(http, servers[0].graphql_url)
    await manual_approval(client)
    token = (await register(client, "pending@example.com", api_key=ADMIN_KEY))["approvalToken"]
    assert token

    results = await asyncio.gather(
        *(Client(http, servers[i % 2].graphql_url).field(APPROVE_BY_TOKEN, {"token": token}) for i in range(10))
    )
    kinds = sorted(r["__typename"] for r in results)
    assert kinds.count("ApproveByTokenPayload") == 1 and kinds.count("TokenUsedError") == 9, kinds
    assert (
        query_database(attack_database, "SELECT COUNT(*) AS n FROM member_event WHERE kind = 'APPROVED'")[0]["n"] == 1
    )
    # A replay later is refused too.
    assert (await client.field(APPROVE_BY_TOKEN, {"token": token}))["code"] == 3203


async def test_block_while_logged_in_refuses_the_very_next_request(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    first, second = start_server(), start_server()
    client = Client(http, first.graphql_url)
    session = (await register(client, "blocked@example.com"))["sessionToken"]
    other = Client(http, second.graphql_url)
    assert (await other.field(CURRENT_MEMBER, token=session))["loginEmail"] == "blocked@example.com"

    assert (await client.field(BLOCK_BY_EMAIL, {"email": "blocked@example.com"}, api_key=ADMIN_KEY))[
        "__typename"
    ] == "BlockByEmailPayload"
    # The next request, on either process, no longer knows the session.
    assert (await other.post(CURRENT_MEMBER, token=session))["data"]["currentMember"] is None
    assert (await client.field(LOGOUT, token=session))["code"] == 3028
    assert (await login(client, "blocked@example.com"))["code"] == 3000
