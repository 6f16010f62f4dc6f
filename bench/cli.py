"""``python -m bench [--smoke] [--postgres]``: run every figure and print the table."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path

from bench import growth, machine, overhead, peers, statements, throughput
from bench.databases import CACHE_DIR, Databases, PostgresDatabases, SqliteDatabases
from bench.plan import Plan, make_plan
from bench.processes import bare_server, product_server
from bench.report import Figure, render

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
PEER_COST = 4  # issue 18 compares sign-ins at bcrypt cost 4, where the server's own work shows
LOG_DIR = CACHE_DIR / "logs"


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _mib(size: int | None) -> float | None:
    return None if size is None else size / 1024 / 1024


def peer_figures(plan: Plan, chart: Path | None = None) -> list[Figure]:
    """The product against fastapi-users and strawberry-django-auth (bench/peers), on SQLite whatever
    the run's backend, at bcrypt cost 4 (the issue's terms), installing the peers when needed."""
    _say("register and login against the peers (each in its own venv under bench/.cache/peers)")
    work = CACHE_DIR / f"run-{os.getpid()}" / "peers"
    work.mkdir(parents=True, exist_ok=True)
    try:
        results = asyncio.run(
            peers.compare(work, LOG_DIR, PEER_COST, plan.peer_seconds, plan.peer_warmup_seconds, plan.peer_rounds, _say)
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    loop, http = peers.http_stack()
    title = f"{machine.describe()}; SQLite; bcrypt cost {PEER_COST}; {loop} + {http}; {time.strftime('%Y-%m-%d')}"
    _say(peers.chart(results, chart or CACHE_DIR / "peers.png", title))
    return peers.figures(results, PEER_COST)


def run(plan: Plan, databases: Databases) -> list[Figure]:
    """Every figure, in the issue's order (measured in another: the floods write, so they go last)."""
    _say("counting SQL statements per operation (in-process, scratch database)")
    sql = asyncio.run(statements.count_statements(databases.scratch()))

    small_url = databases.dataset(plan.small_members)
    large_url = databases.dataset(plan.large_members)
    with product_server(large_url, plan.bcrypt_cost, plan.hash_threads, LOG_DIR) as server:
        _say(f"growth: {plan.small_members:,} vs {plan.large_members:,} members, two servers side by side")
        with product_server(small_url, plan.bcrypt_cost, plan.hash_threads, LOG_DIR) as small_server:
            servers = {plan.small_members: small_server.base_url, plan.large_members: server.base_url}
            latencies = asyncio.run(growth.measure(plan, servers))
            small_rss = _mib(small_server.peak_rss())
        growth_figures = growth.figures(latencies, plan.small_members, plan.large_members)

        _say("members(first: 20) throughput, product vs bare Starlette")
        with bare_server(large_url, LOG_DIR) as bare:
            members = asyncio.run(throughput.members_vs_bare(server, bare, plan))
            _say("currentMember (Bearer) and member(id): server CPU per request, product vs bare Starlette")
            lookups = asyncio.run(overhead.lookups_vs_bare(server, bare, plan, plan.large_members))
            bare_rss = _mib(bare.peak_rss())

        _say(f"register flood at bcrypt cost {plan.bcrypt_cost}, then member(id) liveness under it")
        register = asyncio.run(throughput.register_and_liveness(server, plan, plan.large_members))
        memory = Figure(
            "server peak RSS",
            _mib(server.peak_rss()),
            unit="MiB",
            detail=(
                f"VmHWM of the server on {plan.large_members:,} members over its whole run; "
                f"{small_rss or 0:.0f} MiB on {plan.small_members:,}; bare app {bare_rss or 0:.0f} MiB"
            ),
        )
    return [*register, *members, *lookups, *sql, *growth_figures, memory]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small counts, well under 2 minutes; targets not enforced")
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL instead of SQLite")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES, help=f"admin connection (default {DEFAULT_POSTGRES})"
    )
    parser.add_argument("--bcrypt-cost", type=int, help="default MEMBERS_BCRYPT_COST, else 12 (4 with --smoke)")
    parser.add_argument(
        "--large", type=int, help="members in the large dataset (default 1,000,000; 10,000 with --smoke)"
    )
    parser.add_argument("--no-peers", action="store_true", help="leave out the comparison with the peers")
    parser.add_argument("--peers-only", action="store_true", help="only the comparison with the peers")
    parser.add_argument("--chart", type=Path, help="where the peers' PNG goes (default bench/.cache/peers.png)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed (never with --smoke)")
    args = parser.parse_args(argv)

    env_cost = os.environ.get("MEMBERS_BCRYPT_COST")
    cost = args.bcrypt_cost or (None if args.smoke or not env_cost else int(env_cost))
    plan = make_plan(args.smoke, cost, int(os.environ.get("MEMBERS_HASH_THREADS") or 0))
    if args.large:
        plan = replace(plan, large_members=args.large)

    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    backend = "PostgreSQL" if args.postgres else "SQLite"
    header = (
        f"{machine.describe()}; {backend}; bcrypt cost {plan.bcrypt_cost}; "
        f"{plan.server_hash_threads} hash threads; {'smoke' if plan.smoke else 'full'} run"
    )
    _say(header)
    databases: Databases = (
        PostgresDatabases(args.postgres_url, plan.bcrypt_cost, _say)
        if args.postgres
        else SqliteDatabases(plan.bcrypt_cost, _say)
    )
    started, others = time.monotonic(), machine.OtherLoad()
    try:
        figures = [] if args.peers_only else run(plan, databases)
        if not args.no_peers:
            figures = peer_figures(plan, args.chart) + figures
    except Exception:  # the harness broke (not a missed target): say where, keep the server logs
        traceback.print_exc()
        _say(f"benchmark failed; server logs are in {LOG_DIR}")
        return 2
    finally:
        databases.close()

    print(header)
    print(render(figures, markdown=args.markdown, enforced=not plan.smoke))
    if plan.smoke:
        print("smoke run: small counts and a low bcrypt cost keep it short; its ratios are not the product's figures")
    print(
        f"{time.monotonic() - started:.0f} s; other processes kept {others.cores_used():.2f} "
        f"of {plan.cores} cores busy on average meanwhile"
    )
    missed = [f.name for f in figures if f.passed is False]
    if missed and not plan.smoke:
        _say("targets missed: " + "; ".join(missed))
        return 1 if args.strict else 0
    return 0
