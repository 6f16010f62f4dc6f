"""Figure 5: how latency grows with the member count (the same requests at 1k and at 1M).

Keyset pages, lookups by primary key and by unique email should cost about the same
at any size; a ratio well above 1 points at a scan, OFFSET paging or a missing index.
Requests are sequential (one in flight) and pick seeded members by index.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

from bench import documents as doc
from bench import seed
from bench.load import BACKEND, Client, paced
from bench.plan import Plan
from bench.report import Figure, median, ms

PAGE_SIZE = 20
DEEP_FRACTION = 0.9
NICKNAME_ORDER = {"field": "NICKNAME", "order": "ASC"}
OPERATIONS = ("members first page", "members deep page", "member(id)", "login by email")


async def _deep_cursor(client: Client, members: int) -> str:
    """The cursor of the member 90% of the way down the nickname order, found through the API.

    A one-member nicknamePrefix page names that member exactly (nicknames are
    zero-padded indexes), and its cursor then opens the unfiltered listing there.
    """
    index = int(members * DEEP_FRACTION)
    variables = {"first": 1, "sort": NICKNAME_ORDER, "filter": {"nicknamePrefix": seed.nickname_key(index)}}
    page = doc.members_page(await client.post(doc.MEMBERS, variables, BACKEND), 1)
    cursor = page["pageInfo"]["endCursor"]
    assert isinstance(cursor, str)
    return cursor


Sender = Callable[[int], Awaitable[None]]


async def _senders(client: Client, plan: Plan, members: int) -> list[tuple[Sender, int, int]]:
    """(send, warm-up count, sample count) for each of OPERATIONS against one server."""
    rng = random.Random(members)
    deep = {"first": PAGE_SIZE, "after": await _deep_cursor(client, members), "sort": NICKNAME_ORDER}

    async def first_page(_: int) -> None:
        doc.members_page(await client.post(doc.MEMBERS, {"first": PAGE_SIZE}, BACKEND), PAGE_SIZE)

    async def deep_page(_: int) -> None:
        doc.members_page(await client.post(doc.MEMBERS, deep, BACKEND), PAGE_SIZE)

    async def member(_: int) -> None:
        index = rng.randrange(members)
        found: dict[str, Any] = doc.data(
            await client.post(doc.MEMBER, {"id": seed.member_id(index)}, BACKEND), "member"
        )
        if found["id"] != seed.member_id(index):
            raise doc.BadAnswer(f"member: asked {seed.member_id(index)}, got {found['id']}")

    async def login(_: int) -> None:
        variables = {"identity": seed.email(rng.randrange(members)), "password": seed.PASSWORD}
        doc.success(await client.post(doc.LOGIN, variables), "login", "LoginPayload")

    # Each login is one bcrypt at the configured cost, hence fewer samples.
    return [
        (first_page, plan.warmup_requests, plan.latency_samples),
        (deep_page, plan.warmup_requests, plan.latency_samples),
        (member, plan.warmup_requests, plan.latency_samples),
        (login, 2, plan.login_samples),
    ]


async def measure(plan: Plan, servers: dict[int, str]) -> dict[int, dict[str, list[float]]]:
    """Latencies (seconds) of each operation, per member count, from servers running side by side.

    Requests alternate between the servers (which one goes first alternates too), so
    noise from the rest of the machine lands on both sides of each ratio alike.
    """
    latencies: dict[int, dict[str, list[float]]] = {members: {name: [] for name in OPERATIONS} for members in servers}
    clients = {members: Client(url, connections=1) for members, url in servers.items()}
    try:
        senders = {members: await _senders(client, plan, members) for members, client in clients.items()}
        for position, name in enumerate(OPERATIONS):
            for members in servers:
                send, warmup, _ = senders[members][position]
                await paced(send, 0.0, count=warmup)  # page cache, parser and validation caches
            samples = senders[next(iter(servers))][position][2]
            for k in range(samples):
                for members in list(servers) if k % 2 == 0 else reversed(list(servers)):
                    send = senders[members][position][0]
                    latencies[members][name] += await paced(send, 0.0, count=1)
    finally:
        for client in clients.values():
            await client.__aexit__()
    return latencies


def figures(latencies: dict[int, dict[str, list[float]]], small: int, large: int) -> list[Figure]:
    rows = []
    for name in OPERATIONS:
        before, after = median(latencies[small][name]), median(latencies[large][name])
        rows.append(
            Figure(
                f"growth {_count(small)}->{_count(large)}: {name}",
                after / before,
                "<=",
                1.3,
                detail=f"median {ms(before)} at {_count(small)}, {ms(after)} at {_count(large)}",
            )
        )
    return rows


def _count(members: int) -> str:
    return f"{members // 1_000_000}M" if members >= 1_000_000 else f"{members // 1000}k"
