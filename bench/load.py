"""The load generator: paced sequential probes and closed-loop floods over one httpx client.

Latency figures come from sequential requests (one in flight), so they measure the
server and not the client's own queueing; throughput figures keep a fixed number of
requests in flight and count only what completes inside the measured window.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.processes import ADMIN_KEY

BACKEND = {"X-Api-Key": ADMIN_KEY}


class Client:
    """POSTs GraphQL documents to one server (127.0.0.1 only) and returns the decoded answer."""

    def __init__(self, base_url: str, connections: int = 8, path: str = "/graphql") -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._http = httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120.0)
        self._path = path

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        response = await self._http.post(
            self._path, json={"query": query, "variables": variables or {}}, headers=headers
        )
        response.raise_for_status()
        return response.json()

    async def send(
        self,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A POST to any path (the peers' REST routes), JSON or form body; the caller checks the answer."""
        return await self._http.post(path, json=json, data=data, headers=headers)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()


async def paced(
    send: Callable[[int], Awaitable[None]], interval: float, count: int | None = None, until: float | None = None
) -> list[float]:
    """Latencies of ``send`` run one at a time, ``interval`` seconds apart, ``count`` times or until ``until``."""
    latencies: list[float] = []
    for k in itertools.count():
        if (count is not None and k >= count) or (until is not None and time.perf_counter() >= until):
            break
        start = time.perf_counter()
        await send(k)
        latencies.append(time.perf_counter() - start)
        if interval:
            await asyncio.sleep(interval)
    return latencies


@dataclass(frozen=True)
class Flood:
    completed: int  # inside the measured window
    total: int  # all completions, warm-up and stragglers included (for CPU per request)
    seconds: float  # length of the measured window
    client_cpu: float  # CPU seconds this (client) process used during the whole flood

    @property
    def rate(self) -> float:
        return self.completed / self.seconds if self.seconds > 0 else float("nan")


async def flood(send: Callable[[int], Awaitable[None]], concurrency: int, seconds: float, warmup: float = 0.0) -> Flood:
    """``concurrency`` workers send back to back for ``seconds``; completions after ``warmup`` count.

    The warm-up is left out because the pipeline is still filling then (connections
    open, the hashing pool takes its first jobs); nothing starts after the deadline,
    and what is still in flight then is awaited but not counted.
    """
    counter = itertools.count()
    start = time.perf_counter()
    window_start, deadline = start + warmup, start + seconds
    completions: list[float] = []
    cpu_start = time.process_time()

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await send(next(counter))
            completions.append(time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    counted = sum(1 for t in completions if window_start <= t <= deadline)
    return Flood(counted, len(completions), seconds - warmup, time.process_time() - cpu_start)
