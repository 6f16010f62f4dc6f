"""Faults: the server killed mid-load, the database gone mid-traffic."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from tests.attack.conftest import (
    BACKEND,
    CURRENT_MEMBER,
    REGISTER,
    Client,
    StartServer,
    login,
    query_database,
    register,
    unique_email,
)
from tests.attack.tcp_proxy import server_behind_a_proxy


async def test_sigkill_during_a_registration_load_leaves_nothing_half_written(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    env = {"MEMBERS_EMAIL_CONFIRMATION": "true"}  # every registration also queues a mail (outbox)
    server = start_server(**env)
    acknowledged: list[str] = []
    stop = asyncio.Event()

    async def registrant(n: int) -> None:
        client = Client(http, server.graphql_url)
        while not stop.is_set():
            email = unique_email(f"load{n}")
            try:
                response = await client.response(
                    REGISTER,
                    {
                        "email": email,
                        "password": "load password",
                        "options": {
                            "contactInfo": {
                                "firstName": "Load",
                                "phones": [{"phone": "1"}, {"phone": "2", "tag": "MOBILE"}],
                            }
                        },
                    },
                )
            except httpx.TransportError:
                return  # the server died under us
            result = response.json()["data"]["register"]
            if result["__typename"] == "RegisterPayload":
                acknowledged.append(email)

    workers = [asyncio.create_task(registrant(n)) for n in range(12)]
    deadline = time.monotonic() + 20
    while len(acknowledged) < 25 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    server.kill()  # SIGKILL while requests are in flight
    stop.set()
    await asyncio.gather(*workers)
    assert len(acknowledged) >= 25

    restarted = start_server(**env)  # same database; SQLite recovers its WAL at open
    assert httpx.get(f"{restarted.url}/ready").status_code == 200

    def count(sql: str) -> int:
        return int(query_database(attack_database, sql)[0]["n"])

    members = count("SELECT COUNT(*) AS n FROM member")
    assert members >= len(acknowledged)
    # Every acknowledged registration survived the crash...
    found = {row["login_email"] for row in query_database(attack_database, "SELECT login_email FROM member")}
    assert set(acknowledged) <= found
    # ...and nothing is half-written: no member without its contact, no contact without its
    # member, no member without its queued confirmation mail.
    assert (
        count("SELECT COUNT(*) AS n FROM member m LEFT JOIN contact c ON c.id = m.contact_id WHERE c.id IS NULL") == 0
    )
    assert (
        count("SELECT COUNT(*) AS n FROM contact c WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.contact_id = c.id)")
        == 0
    )
    assert (
        count(
            "SELECT COUNT(*) AS n FROM member m WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.recipient = m.login_email)"
        )
        == 0
    )
    if BACKEND != "postgres":
        assert query_database(attack_database, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    # The restarted server works.
    client = Client(http, restarted.graphql_url)
    assert (await register(client, unique_email("after")))["__typename"] == "RegisterPayload"


@pytest.mark.skipif(BACKEND != "postgres", reason="a database server to lose: PostgreSQL only")
async def test_database_outage_answers_3208_and_the_server_recovers(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    with server_behind_a_proxy(start_server, attack_database) as (proxy, server):
        client = Client(http, server.graphql_url)
        email = unique_email("outage")
        session = (await register(client, email))["sessionToken"]
        assert (await login(client, email))["__typename"] == "LoginPayload"

        proxy.cut()
        requests: list[tuple[str, dict[str, Any] | None, dict[str, str]]] = [
            (
                'mutation ($i: String!) { login(identity: $i, password: "correct horse") { __typename } }',
                {"i": email},
                {},
            ),
            (REGISTER, {"email": unique_email(), "password": "pass word"}, {}),
            (CURRENT_MEMBER, None, {"token": session}),
            ("{ members { edges { node { id } } } }", None, {}),
        ]
        for _round in range(3):
            for query, variables, auth in requests:
                response = await client.response(query, variables, **auth)
                assert response.status_code == 200, response.text
                body = response.json()
                codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
                assert codes == [3208], body
                assert "Unexpected error" not in response.text
        assert httpx.get(f"{server.url}/health").status_code == 200  # the process is up...
        assert httpx.get(f"{server.url}/ready").status_code == 503  # ...and says the database is not
        assert server.alive()

        proxy.restore()
        deadline = time.monotonic() + 30
        while True:
            body = await client.post(CURRENT_MEMBER, token=session)
            if not body.get("errors"):
                break
            assert time.monotonic() < deadline, f"no recovery: {body}"
            await asyncio.sleep(0.2)
        assert body["data"]["currentMember"]["loginEmail"] == email
        assert (await login(client, email))["__typename"] == "LoginPayload"
        assert httpx.get(f"{server.url}/ready").status_code == 200
