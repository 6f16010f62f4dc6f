"""How much to measure: the full run and the smoke run differ only in these counts."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    smoke: bool
    small_members: int  # the growth baseline
    large_members: int  # the growth target (1M in the full run)
    bcrypt_cost: int
    hash_threads: int  # what the server is told (0: one per core, the product default)
    latency_samples: int  # sequential requests per latency median
    login_samples: int  # logins cost one bcrypt each, so fewer
    warmup_requests: int
    throughput_seconds: float  # per round, members rps (product and bare alternate)
    throughput_rounds: int
    throughput_levels: tuple[int, ...]  # requests in flight, each level measured
    hash_samples: int  # bcrypt runs timed in this process for t_hash
    flood_seconds: float  # register flood length (figures 1 and 2)
    flood_warmup_seconds: float  # not counted: the pool fills, connections open
    probe_interval: float  # pause between member(id) probes (figure 2)
    peer_seconds: float = 10.0  # each measured flood against a peer (register, then login)
    peer_warmup_seconds: float = 1.0
    peer_rounds: int = 2  # the sides take turns, in reverse order every other round

    @property
    def cores(self) -> int:
        return os.cpu_count() or 1

    @property
    def server_hash_threads(self) -> int:
        return self.hash_threads or self.cores

    @property
    def flood_concurrency(self) -> int:
        # Enough registrations in flight that the hashing pool never waits for work.
        return 4 * self.server_hash_threads


def make_plan(smoke: bool, bcrypt_cost: int | None, hash_threads: int) -> Plan:
    if smoke:
        return Plan(
            smoke=True,
            small_members=1_000,
            large_members=10_000,
            bcrypt_cost=bcrypt_cost or 4,
            hash_threads=hash_threads,
            latency_samples=40,
            login_samples=5,
            warmup_requests=10,
            throughput_seconds=1.0,
            throughput_rounds=1,
            throughput_levels=(1, 8),
            hash_samples=5,
            flood_seconds=3.0,
            flood_warmup_seconds=0.5,
            probe_interval=0.02,
            peer_seconds=1.5,
            peer_warmup_seconds=0.5,
            peer_rounds=1,
        )
    return Plan(
        smoke=False,
        small_members=1_000,
        large_members=1_000_000,
        bcrypt_cost=bcrypt_cost or 12,
        hash_threads=hash_threads,
        latency_samples=300,
        login_samples=15,
        warmup_requests=50,
        throughput_seconds=5.0,
        throughput_rounds=2,
        throughput_levels=(1, 8),
        hash_samples=7,
        flood_seconds=30.0,
        flood_warmup_seconds=3.0,
        probe_interval=0.05,
    )
