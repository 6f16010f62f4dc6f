"""Figure 8: server CPU per request of the product over the bare app's, for the calls every page makes.

Issue 18: a Bearer ``currentMember { id loginEmail roles { name } }`` (what every page of a
site asks) and ``member(id)`` with the backend key should cost the server at most 1.5 times
what a bare Starlette endpoint doing the same lookup and returning the same JSON costs.
The bare side is bench/bare.py's ``/current-member`` and ``/member``, which call the
product's own domain functions, so the ratio is what the GraphQL layer and the app's
middleware add to the same statements.

Each side is its own process (bench/processes.py) on the same database; both take the
same closed-loop floods (8 in flight) in alternating rounds, the order reversed every
other round, and the figure is the server's CPU time (``/proc/<pid>/stat``) over the
requests it completed. Before the floods, the two sides' answers to the same requests are
compared whole: a ratio over different answers would compare different work.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench import documents as doc
from bench import machine, seed
from bench.load import BACKEND, Client, flood
from bench.plan import Plan
from bench.processes import Served
from bench.report import Figure

IN_FLIGHT = 8
SESSIONS = 8  # members logged in through the product's API; their tokens are taken in turn
MEMBER_IDS = 4096  # random seeded members asked for by member(id), in a fixed order
COMPARED = 8  # requests whose answers are compared between the two sides
TARGET = 1.5
# Unmeasured, at full concurrency: fills each server's connection pool (PostgreSQL connections cost
# a handshake each) and warms its caches, so neither side's first measured round pays for them.
WARMUP_SECONDS = 0.5

Request = tuple[dict[str, Any], dict[str, str]]  # variables, headers


@dataclass(frozen=True)
class Call:
    """One of the figure's calls: the product's document, the bare app's route, the k-th request."""

    name: str
    query: str
    bare_path: str
    asked: str  # what the requests ask for, for the detail
    request: Callable[[int], Request]
    check: Callable[[int, Any], None]  # raises doc.BadAnswer when the k-th answer is not the one asked for


@dataclass
class Tally:
    requests: int = 0  # every completion, for CPU per request
    completed: int = 0  # inside the measured windows, for req/s
    seconds: float = 0.0
    cpu: float = 0.0
    others: float = 0.0  # CPU seconds of every other process (the database server's too) meanwhile
    wall: float = 0.0

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.completed += other.completed
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.others += other.others
        self.wall += other.wall

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.requests if self.requests else float("nan")

    def describe(self, name: str) -> str:
        rate = self.completed / self.seconds if self.seconds else float("nan")
        return f"{name} {self.cpu_per_request * 1000:.2f} ms CPU/req, {rate:.0f} req/s"


async def _measured(server: Served, send: Callable[[int], Awaitable[None]], seconds: float) -> Tally:
    """One flood: what it completed, the server's CPU time meanwhile, and the rest of the machine's."""
    cpu, busy, start = server.cpu_seconds(), machine.busy_seconds(), time.perf_counter()
    result = await flood(send, IN_FLIGHT, seconds)
    wall, cpu = time.perf_counter() - start, server.cpu_seconds() - cpu
    others = max(0.0, machine.busy_seconds() - busy - cpu - result.client_cpu)
    return Tally(result.total, result.completed, result.seconds, cpu, others, wall)


async def _login(client: Client, index: int) -> str:
    answer = await client.post(doc.LOGIN, {"identity": seed.email(index), "password": seed.PASSWORD})
    token = doc.success(answer, "login", "LoginPayload")["sessionToken"]
    assert isinstance(token, str)
    return token


def _calls(tokens: list[tuple[int, str]], member_indexes: list[int]) -> list[Call]:
    def bearer(k: int) -> Request:
        return {}, {"Authorization": f"Bearer {tokens[k % len(tokens)][1]}"}

    def check_current(k: int, answer: Any) -> None:
        index = tokens[k % len(tokens)][0]
        found = doc.data(answer, "currentMember")
        if found["id"] != seed.member_id(index) or found["loginEmail"] != seed.email(index) or not found["roles"]:
            raise doc.BadAnswer(f"currentMember: expected member {index}, got {found}")

    def by_id(k: int) -> Request:
        return {"id": seed.member_id(member_indexes[k % len(member_indexes)])}, BACKEND

    def check_member(k: int, answer: Any) -> None:
        expected = seed.member_id(member_indexes[k % len(member_indexes)])
        found = doc.data(answer, "member")
        if found["id"] != expected:
            raise doc.BadAnswer(f"member: asked {expected}, got {found['id']}")

    return [
        Call(
            "currentMember (Bearer)",
            doc.CURRENT_MEMBER,
            "/current-member",
            f"{len(tokens)} members' sessions in turn",
            bearer,
            check_current,
        ),
        Call("member(id) (API key)", doc.MEMBER, "/member", "random seeded members", by_id, check_member),
    ]


def _sender(client: Client, call: Call) -> Callable[[int], Awaitable[None]]:
    async def send(k: int) -> None:
        variables, headers = call.request(k)
        call.check(k, await client.post(call.query, variables, headers))

    return send


async def _differences(product: Client, bare: Client, call: Call) -> list[str]:
    """The first requests' answers, product and bare side by side: what differs (nothing, if fair)."""
    found = []
    for k in range(COMPARED):
        variables, headers = call.request(k)
        mine = await product.post(call.query, variables, headers)
        plain = await bare.post(call.query, variables, headers)
        call.check(k, mine)
        call.check(k, plain)
        if mine != plain:
            found.append(f"product {mine} vs bare {plain}")
    return found


async def lookups_vs_bare(server: Served, bare: Served, plan: Plan, members: int) -> list[Figure]:
    """Figure 8 on a product server and a bare app sharing a database of ``members`` seeded members."""
    rng = random.Random(18)
    member_indexes = [rng.randrange(members) for _ in range(MEMBER_IDS)]
    async with Client(server.base_url, IN_FLIGHT) as product:
        # One bcrypt each at the run's cost: a handful of sessions, opened as any site opens them.
        tokens = [(index, await _login(product, index)) for index in rng.sample(range(members), SESSIONS)]
        calls = _calls(tokens, member_indexes)
        # Per call, per round, per side: the rounds' ratios show how steady the figure was.
        rounds: dict[str, list[dict[str, Tally]]] = {}
        differences: dict[str, list[str]] = {}
        for call in calls:
            async with Client(bare.base_url, IN_FLIGHT, path=call.bare_path) as plain:
                differences[call.name] = await _differences(product, plain, call)
                sides = [("product", server, _sender(product, call)), ("bare", bare, _sender(plain, call))]
                for _, _, send in sides:
                    await flood(send, IN_FLIGHT, WARMUP_SECONDS)
                rounds[call.name] = []
                for round_no in range(plan.throughput_rounds):
                    measured = {}
                    for side, target, send in sides if round_no % 2 == 0 else sides[::-1]:
                        measured[side] = await _measured(target, send, plan.throughput_seconds)
                    rounds[call.name].append(measured)

    figures = []
    for call in calls:
        mine, plain = Tally(), Tally()
        for measured in rounds[call.name]:
            mine.add(measured["product"])
            plain.add(measured["bare"])
        each = ", ".join(
            f"{measured['product'].cpu_per_request / measured['bare'].cpu_per_request:.2f}"
            for measured in rounds[call.name]
        )
        others = (mine.others + plain.others) / (mine.wall + plain.wall)
        differ = differences[call.name]
        same = f"same JSON: yes ({COMPARED} answers compared)" if not differ else f"same JSON: NO ({differ[0]})"
        detail = (
            f"{mine.describe('product')}; {plain.describe('bare')}; {call.asked}, {IN_FLIGHT} in flight, "
            f"{plan.throughput_rounds} x {plan.throughput_seconds:g} s per side (ratio per round: {each}); "
            f"other processes kept {others:.2f} cores busy meanwhile; {same}"
        )
        ratio = mine.cpu_per_request / plain.cpu_per_request
        # Different answers make the ratio meaningless: no value, so the target counts as missed.
        name = f"{call.name} CPU/req vs bare Starlette"
        figures.append(Figure(name, None if differ else ratio, "<=", TARGET, detail))
    return figures
