"""Subscriptions over WebSocket against real server processes: ``memberEvents`` live.

Real ``python -m gql serve`` processes, real WebSockets (tests/graphql_ws.py speaks
graphql-transport-ws), changes made over HTTP. Every wait has a deadline; the client's ping is
answered only once the subscriptions sent before it listen (gql/api/websocket.py), so a change
made after ``synced()`` must arrive. Delivery between processes goes through PostgreSQL
LISTEN/NOTIFY (``MEMBERS_TEST_DATABASE=postgres``), the SQLite table (``sqlite``) or Redis (the
tests named ``…redis…``: skipped without Redis, failed with ``MEMBERS_REQUIRE_REDIS=1``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_TOKEN,
    BACKEND,
    BLOCK_BY_EMAIL,
    REDIS_URL,
    REGISTER,
    Client,
    Server,
    StartServer,
    manual_approval,
    new_address,
    register,
    unique_email,
)
from tests.attack.tcp_proxy import server_behind_a_proxy
from tests.graphql_ws import Closed, Socket, open_socket
from tests.waiting import until

MEMBER_EVENTS = """subscription ($memberId: ID, $kinds: [MemberEventKind!]) {
  memberEvents(memberId: $memberId, kinds: $kinds) { id kind memberId actor data }
}"""
BLOCK_MEMBER = "mutation ($id: ID!) { blockMember(id: $id) { __typename ... on Error { code message } } }"
UNBLOCK_MEMBER = "mutation ($id: ID!) { unblockMember(id: $id) { __typename ... on Error { code message } } }"
EVERY_FIELD = """subscription ($memberId: ID) {
  memberEvents(memberId: $memberId) { __typename id kind memberId actor actorMemberId data createdDate }
}"""
SLOW_SUBSCRIPTIONS = 400
BACKEND_PARAMS = {"X-Api-Key": ADMIN_KEY}
DEADLINE = 30.0


def redis_reachable() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def channel_env(kind: str) -> dict[str, str]:
    """``database``: the channel the database gives (NOTIFY or the table); ``redis``: Redis pub/sub."""
    if kind != "redis":
        return {}
    if not redis_reachable():
        if os.environ.get("MEMBERS_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis not reachable at {REDIS_URL} and MEMBERS_REQUIRE_REDIS=1")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return {"redis_url": REDIS_URL, "redis_prefix": f"members-test-{uuid.uuid4().hex[:8]}:"}


CHANNELS = pytest.mark.parametrize("kind", ["database", "redis"])


async def registered(client: Client, email: str | None = None, **auth: str | None) -> dict[str, Any]:
    result = await register(client, email or unique_email(), **auth)
    assert result["__typename"] == "RegisterPayload", result
    return result


async def member_change(client: Client, document: str, member_id: str) -> None:
    result = await client.field(document, {"id": member_id}, api_key=ADMIN_KEY)
    assert not result["__typename"].endswith("Error"), result


async def wait_for_log(server: Server, text: str, timeout: float = DEADLINE) -> str:
    await until(
        lambda: text in server.output(), lambda: f"{text!r} logged; the server's output:\n{server.output()}", timeout
    )
    return server.output()


async def backend_socket_subscribed(socket: Socket, variables: dict[str, Any] | None = None) -> str:
    ack = await socket.init(BACKEND_PARAMS)
    assert ack == {"type": "connection_ack"}, ack
    operation = await socket.subscribe(MEMBER_EVENTS, variables)
    await socket.synced()
    return operation


# --- what arrives ----------------------------------------------------------------------------


async def test_backend_receives_registered_approved_and_blocked_for_changes_made_over_http(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server()
    client = Client(http, server.graphql_url)
    await manual_approval(client)
    async with open_socket(server.graphql_url) as socket:
        operation = await backend_socket_subscribed(socket)
        email = unique_email("live")
        pending = await registered(client, email, api_key=ADMIN_KEY)
        member_id = pending["member"]["id"]
        approved = await client.field(APPROVE_BY_TOKEN, {"token": pending["approvalToken"]})
        assert approved["__typename"] == "ApproveByTokenPayload", approved
        blocked = await client.field(BLOCK_BY_EMAIL, {"email": email}, api_key=ADMIN_KEY)
        assert blocked["__typename"] == "BlockByEmailPayload", blocked

        received = [await socket.event(operation) for _ in range(3)]
    assert [(e["kind"], e["memberId"]) for e in received] == [
        ("REGISTERED", member_id),
        ("APPROVED", member_id),
        ("BLOCKED", member_id),
    ]
    assert [e["actor"] for e in received] == ["BACKEND", "ANONYMOUS", "BACKEND"]
    assert received[1]["data"] == {"by": "token"}
    assert len({e["id"] for e in received}) == 3
    # The same events, as the audit trail lists them.
    listed = await client.field(
        "query ($id: ID!) { memberEvents(memberId: $id) { edges { node { id } } } }",
        {"id": member_id},
        api_key=ADMIN_KEY,
    )
    assert [edge["node"]["id"] for edge in listed["edges"]] == [e["id"] for e in received]


async def test_subscriptions_filter_by_member_and_by_kinds(start_server: StartServer, http: httpx.AsyncClient) -> None:
    server = start_server()
    client = Client(http, server.graphql_url)
    first = await registered(client)
    second = await registered(client)
    a, b = first["member"]["id"], second["member"]["id"]
    async with open_socket(server.graphql_url) as socket:
        assert await socket.init(BACKEND_PARAMS) == {"type": "connection_ack"}
        every = await socket.subscribe(MEMBER_EVENTS)
        of_a = await socket.subscribe(MEMBER_EVENTS, {"memberId": a})
        blocks = await socket.subscribe(MEMBER_EVENTS, {"kinds": ["BLOCKED"]})
        a_unblocked = await socket.subscribe(MEMBER_EVENTS, {"memberId": a, "kinds": ["UNBLOCKED", "DELETED"]})
        await socket.synced()

        await member_change(client, BLOCK_MEMBER, b)
        await member_change(client, BLOCK_MEMBER, a)
        await member_change(client, UNBLOCK_MEMBER, b)
        await member_change(client, UNBLOCK_MEMBER, a)

        async def kinds(operation: str, count: int) -> list[tuple[str, str]]:
            events = [await socket.event(operation) for _ in range(count)]
            return [(e["kind"], "a" if e["memberId"] == a else "b") for e in events]

        assert await kinds(every, 4) == [("BLOCKED", "b"), ("BLOCKED", "a"), ("UNBLOCKED", "b"), ("UNBLOCKED", "a")]
        assert await kinds(of_a, 2) == [("BLOCKED", "a"), ("UNBLOCKED", "a")]
        assert await kinds(blocks, 2) == [("BLOCKED", "b"), ("BLOCKED", "a")]
        assert await kinds(a_unblocked, 1) == [("UNBLOCKED", "a")]
        # Nothing else came for the filtered ones: the unfiltered subscription has all four by now,
        # and one more event for b only reaches the subscriptions that take it.
        await member_change(client, BLOCK_MEMBER, b)
        assert await kinds(blocks, 1) == [("BLOCKED", "b")]
        assert await kinds(every, 1) == [("BLOCKED", "b")]
        await socket.synced()
        assert socket.pending(of_a) == [] and socket.pending(a_unblocked) == []

        refused = await socket.subscribe(MEMBER_EVENTS, {"memberId": "not-a-uuid"})
        error = await socket.next_for(refused)
    assert error["type"] == "error"
    assert error["payload"][0]["extensions"]["code"] == 3209


@CHANNELS
async def test_an_event_committed_through_one_process_reaches_subscribers_of_another(
    kind: str, start_server: StartServer, http: httpx.AsyncClient
) -> None:
    env = channel_env(kind)
    writer, reader = start_server(**env), start_server(**env)  # two processes, one database
    client = Client(http, writer.graphql_url)
    async with open_socket(reader.graphql_url) as far, open_socket(writer.graphql_url) as near:
        on_reader = await backend_socket_subscribed(far)
        on_writer = await backend_socket_subscribed(near)
        member = await registered(client)
        member_id = member["member"]["id"]
        await member_change(client, BLOCK_MEMBER, member_id)
        for socket, operation in ((far, on_reader), (near, on_writer)):
            events = [await socket.event(operation) for _ in range(2)]
            assert [(e["kind"], e["memberId"]) for e in events] == [("REGISTERED", member_id), ("BLOCKED", member_id)]
        # And the other way round: a change made through the reader reaches the writer's subscriber.
        await member_change(Client(http, reader.graphql_url), UNBLOCK_MEMBER, member_id)
        assert (await near.event(on_writer))["kind"] == "UNBLOCKED"
        assert (await far.event(on_reader))["kind"] == "UNBLOCKED"


# --- who may --------------------------------------------------------------------------------


async def test_a_wrong_key_or_session_closes_with_4403_and_only_the_backend_may_subscribe(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server()
    client = Client(http, server.graphql_url)
    session = (await registered(client))["sessionToken"]
    refused = {
        "wrong key": {"X-Api-Key": "not-the-key"},
        "wrong key, lower case": {"x-api-key": "not-the-key"},
        "key not a string": {"X-Api-Key": 12345},
        "invalid token": {"Authorization": "Bearer not-a-session"},
    }
    for what, params in refused.items():
        async with open_socket(server.graphql_url) as socket:
            assert await socket.init(params) == Closed(4403, "Forbidden"), what

    for what, params in {"anonymous": None, "member": {"authorization": f"Bearer {session}"}}.items():
        async with open_socket(server.graphql_url) as socket:
            assert await socket.init(params) == {"type": "connection_ack"}, what
            operation = await socket.subscribe(MEMBER_EVENTS)
            error = await socket.next_for(operation)
            assert error["type"] == "error", (what, error)
            assert error["payload"][0]["extensions"] == {"code": 3029, "reason": "NOT_ALLOWED"}, (what, error)
            # The socket stays open: a later subscription of what the caller may see is possible.
            await socket.synced()

    # Header names in any case; the handshake's own headers do not sign in.
    async with open_socket(server.graphql_url, headers={"X-Api-Key": ADMIN_KEY}) as socket:
        assert await socket.init({"x-API-key": ADMIN_KEY}) == {"type": "connection_ack"}
        await socket.synced()
    async with open_socket(server.graphql_url, headers={"X-Api-Key": ADMIN_KEY}) as socket:
        assert await socket.init() == {"type": "connection_ack"}
        operation = await socket.subscribe(MEMBER_EVENTS)
        assert (await socket.next_for(operation))["payload"][0]["extensions"]["code"] == 3029


async def test_a_session_the_mfa_policy_leaves_enrolment_only_may_not_subscribe(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    """``MEMBERS_MFA_POLICY=REQUIRED`` seeds the server's settings: a member signed in without a second
    factor may subscribe to nothing (3243, before any other check; the socket stays open), as its HTTP
    requests beyond enrolling are refused; the backend's subscriptions go on."""
    server = start_server(MEMBERS_MFA_POLICY="REQUIRED")
    client = Client(http, server.graphql_url)
    member = await registered(client)
    session, member_id = member["sessionToken"], member["member"]["id"]
    refused = await client.response("{ members(first: 1) { totalCount } }", token=session)
    assert refused.status_code == 200 and refused.json()["errors"][0]["extensions"]["code"] == 3243
    async with open_socket(server.graphql_url) as socket:
        assert await socket.init({"Authorization": f"Bearer {session}"}) == {"type": "connection_ack"}
        operation = await socket.subscribe(MEMBER_EVENTS, {"memberId": member_id})
        # Refused before it subscribes (the enrolment guard): one result carrying the error, then the end.
        refusal = await socket.next_for(operation)
        assert refusal["type"] == "next" and refusal["payload"]["data"] is None, refusal
        assert refusal["payload"]["errors"][0]["extensions"] == {"code": 3243, "reason": "MFA_REQUIRED"}, refusal
        assert (await socket.next_for(operation))["type"] == "complete"
        await socket.synced()
    async with open_socket(server.graphql_url) as socket:
        await backend_socket_subscribed(socket, {"memberId": member_id})


async def test_subscribing_needs_the_legacy_protocol_off_and_is_refused_over_http(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server()
    async with open_socket(server.graphql_url, subprotocols=["graphql-ws"]) as socket:
        assert await socket.drain() == Closed(4406, "Subprotocol not acceptable")
    response = await http.post(
        server.graphql_url,
        json={"query": "subscription { memberEvents { id } }"},
        headers={"X-Api-Key": ADMIN_KEY, "Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == 3259


async def test_document_limits_apply_to_subscriptions(start_server: StartServer) -> None:
    server = start_server(max_aliases="1", max_tokens="60")
    async with open_socket(server.graphql_url) as socket:
        assert await socket.init(BACKEND_PARAMS) == {"type": "connection_ack"}
        aliased = await socket.subscribe("subscription { e: memberEvents { i: id k: kind } }")
        error = await socket.next_for(aliased)
        assert error["type"] == "error" and error["payload"][0]["extensions"]["code"] == 3254, error
        unknown = await socket.subscribe("subscription { memberEvents { nope } }")
        assert (await socket.next_for(unknown))["payload"][0]["extensions"]["code"] == 3251
        too_long = await socket.subscribe("subscription { memberEvents { " + "id " * 80 + "} }")
        assert (await socket.next_for(too_long))["payload"][0]["extensions"]["code"] == 3255
        broken = await socket.subscribe("subscription { memberEvents { id ")
        assert (await socket.next_for(broken))["payload"][0]["extensions"]["code"] == 3250
        # None of them ended the socket.
        await socket.synced()


# --- limits ---------------------------------------------------------------------------------


async def test_connections_per_address_and_subscriptions_per_connection_are_limited(start_server: StartServer) -> None:
    server = start_server(subscription_connections_per_address="2", subscriptions_per_connection="2")
    crowded, other = new_address(), new_address()

    def as_from(address: str) -> Any:
        return open_socket(server.graphql_url, headers={"X-Forwarded-For": address})

    async with as_from(crowded) as one, as_from(crowded) as two:
        for socket in (one, two):
            assert await socket.init(BACKEND_PARAMS) == {"type": "connection_ack"}
        async with as_from(crowded) as third:
            closed = await third.drain()
        assert closed.code == 4429 and closed.reason.startswith("3207 "), closed
        assert "at most 2" in closed.reason
        async with as_from(other) as elsewhere:  # another address is not affected
            assert await elsewhere.init(BACKEND_PARAMS) == {"type": "connection_ack"}

        first = await one.subscribe(MEMBER_EVENTS)
        await one.subscribe(MEMBER_EVENTS)
        over = await one.subscribe(MEMBER_EVENTS)
        error = await one.next_for(over)
        assert error["type"] == "error", error
        assert error["payload"][0]["extensions"] == {"code": 3207, "reason": "RATE_LIMITED", "limit": 2}
        assert "at most 2" in error["payload"][0]["message"]
        # Completing one makes room for another.
        await one.complete(first)
        again = await one.subscribe(MEMBER_EVENTS)
        await one.synced()
        assert one.pending(again) == []

    # Both sockets closed: the address may connect again (once the server has seen them go).
    deadline = time.monotonic() + DEADLINE
    while True:
        async with as_from(crowded) as socket:
            answer = await socket.init(BACKEND_PARAMS)
        if answer == {"type": "connection_ack"}:
            break
        assert time.monotonic() < deadline, answer
        await asyncio.sleep(0.05)


async def test_connection_init_must_come_in_time(start_server: StartServer) -> None:
    server = start_server(subscription_init_timeout_seconds="1")
    async with open_socket(server.graphql_url) as socket:
        started = time.monotonic()
        closed = await socket.drain(timeout=DEADLINE)
    assert closed == Closed(4408, "Connection initialisation timeout")
    assert time.monotonic() - started < 10


async def test_wrong_keys_over_websocket_spend_the_api_key_limit(start_server: StartServer) -> None:
    server = start_server(rate_limits="0.2")  # the api-key bucket holds 2 wrong keys
    address = new_address()
    answers = []
    for params in [{"X-Api-Key": "wrong"}] * 3 + [BACKEND_PARAMS]:
        async with open_socket(server.graphql_url, headers={"X-Forwarded-For": address}) as socket:
            answers.append(await socket.init(params))
    assert answers[:2] == [Closed(4403, "Forbidden")] * 2, answers
    for refused in answers[2:]:  # the right key too, once the address has guessed too often
        assert isinstance(refused, Closed) and refused.code == 4429, answers
        assert refused.reason.startswith("3207 Too many requests with a wrong X-Api-Key"), answers


async def test_a_slow_subscriber_is_closed_and_the_others_keep_receiving(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server(subscription_queue_size="4", subscriptions_per_connection=str(SLOW_SUBSCRIPTIONS))
    client = Client(http, server.graphql_url)
    member_id = (await registered(client))["member"]["id"]
    async with open_socket(server.graphql_url) as fast, open_socket(server.graphql_url, receive_buffer=4096) as slow:
        watching = await backend_socket_subscribed(fast, {"memberId": member_id})
        assert await slow.init(BACKEND_PARAMS) == {"type": "connection_ack"}
        # Many subscriptions on the slow socket: each event goes out hundreds of times over it, so
        # the buffers between (the kernel's grow to megabytes) fill after a few dozen events, and
        # then each subscription's queue of 4.
        slow_operations = [
            await slow.subscribe(EVERY_FIELD, {"memberId": member_id}) for _ in range(SLOW_SUBSCRIPTIONS)
        ]
        await slow.synced()

        changes = 0
        while "closing a WebSocket" not in server.output():
            assert changes < 300, f"no subscriber was closed after {changes} events:\n{server.output()}"
            await member_change(client, UNBLOCK_MEMBER if changes % 2 else BLOCK_MEMBER, member_id)
            changes += 1
            assert (await fast.event(watching))["kind"] == ("UNBLOCKED" if (changes - 1) % 2 else "BLOCKED")
        # The fast one keeps receiving after the slow one was dropped.
        for _ in range(3):
            await member_change(client, UNBLOCK_MEMBER if changes % 2 else BLOCK_MEMBER, member_id)
            changes += 1
            await fast.event(watching)

        # The slow one reads again: what was already on its way, then the close.
        closed = await slow.drain()
        assert closed.code == 1013 and closed.reason.startswith("Too slow: 4 events waited unread"), closed
        delivered = sum(1 for op in slow_operations for m in slow.pending(op) if m["type"] == "next")
        assert delivered < changes * len(slow_operations)
        # The fast subscriber's socket is untouched.
        await fast.synced()


# --- outages and persisted documents ------------------------------------------------------------


@pytest.mark.skipif(BACKEND != "postgres", reason="a database server to lose: PostgreSQL only")
async def test_the_listener_reconnects_after_a_database_outage_and_logs_it_once(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    with server_behind_a_proxy(start_server, attack_database) as (proxy, server):
        client = Client(http, server.graphql_url)
        async with open_socket(server.graphql_url) as socket:
            operation = await backend_socket_subscribed(socket)
            proxy.cut()
            await wait_for_log(server, "event listener lost PostgreSQL")
            proxy.restore()
            await wait_for_log(server, "event listener reconnected to PostgreSQL")
            assert server.output().count("event listener lost PostgreSQL") == 1
            # Events committed from now on arrive (retry while the pool finds its feet again).
            deadline = time.monotonic() + DEADLINE
            while True:
                body = await client.post(
                    'mutation { register(email: "back@example.com", password: "pass word") { __typename } }'
                )
                if not body.get("errors"):
                    break
                assert time.monotonic() < deadline, body
                await asyncio.sleep(0.2)
            assert (await socket.event(operation))["kind"] == "REGISTERED"


async def test_a_safelist_holds_over_websocket(
    start_server: StartServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    import hashlib

    allowed = "subscription { memberEvents { id kind } }"
    digest = hashlib.sha256(allowed.encode()).hexdigest()
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({digest: allowed, hashlib.sha256(REGISTER.encode()).hexdigest(): REGISTER}))
    server = start_server(persisted_queries="safelist", persisted_queries_manifest=str(manifest))
    async with open_socket(server.graphql_url) as socket:
        assert await socket.init(BACKEND_PARAMS) == {"type": "connection_ack"}
        refused = await socket.subscribe(MEMBER_EVENTS)
        error = await socket.next_for(refused)
        assert error["type"] == "error" and error["payload"][0]["extensions"]["code"] == 3258, error
        by_hash = await socket.subscribe(None, extensions={"persistedQuery": {"version": 1, "sha256Hash": digest}})
        in_full = await socket.subscribe(allowed)
        await socket.synced()
        await registered(Client(http, server.graphql_url))
        assert (await socket.event(by_hash))["kind"] == "REGISTERED"
        assert (await socket.event(in_full))["kind"] == "REGISTERED"
