"""``python -m bench.instructions CHECKOUT [CHECKOUT …]``: what a change buys, counted, not timed.

The shared 2-core machines move a 2-second CPU measurement by ±30 % from one flood to the next
(issue 18, third and fourth sessions), far more than most changes buy. This counts instead the
machine instructions the app executes per request, which do not depend on what else runs on
the host: for each checkout (a directory holding a ``gql`` package, e.g. a ``git worktree`` of
an older commit) and each call, the app runs in one process under Valgrind's instruction
counter (``cachegrind --cache-sim=no``), served in-process (httpx's ASGI transport, the app's
lifespan running) on a copy of the 1,000-member SQLite dataset at bcrypt cost 4; a run of
``FEW`` requests and one of ``FEW + requests`` are counted, and their difference over
``requests`` is the count per request (start-up cancels out). Hash randomisation is off, so two
runs of one checkout agree to about 0.5 %.

What it leaves out, on both sides alike: uvicorn and its HTTP parser (the app is called in
process), and the client's share is in the count (the same for every checkout). Under Valgrind
everything runs about 50 times slower, so the SQLite client's reads overrun their inline budget
and go to its thread (gql/db/sqlite.py): the count includes those hand-offs, which a real server
mostly does not make. Use it to compare checkouts; the server's CPU per request is
``python -m bench`` (figures 7 and 8).

Valgrind is a Debian package (``apt-get install -y valgrind``); without it this says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CALLS = ("register", "login", "members", "current", "member")
FEW = 40  # requests of the shorter run: warms the caches both runs share
REPO_ROOT = Path(__file__).resolve().parent.parent
_RUN_THIS_FILE = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


async def _drive(call: str, count: int) -> None:
    """In the counted process: ``count`` requests of ``call`` to the app of the checkout on PYTHONPATH."""
    import httpx

    import gql
    from bench import documents as doc
    from bench import seed
    from gql.app import create_app
    from gql.config import load_config

    if not Path(gql.__file__).resolve().is_relative_to(Path.cwd().resolve()):  # cwd: the checkout
        raise RuntimeError(f"counting {gql.__file__}, not the checkout {Path.cwd()}")

    app = create_app(load_config(), run_worker=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def post(query: str, variables: dict[str, object], headers: dict[str, str] | None = None) -> object:
                headers = {"Accept-Encoding": "gzip", **(headers or {})}
                response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
                response.raise_for_status()
                return response.json()

            signed_in = await post(doc.LOGIN, {"identity": seed.email(0), "password": seed.PASSWORD})
            bearer = {"Authorization": f"Bearer {doc.success(signed_in, 'login', 'LoginPayload')['sessionToken']}"}
            backend = {"X-Api-Key": os.environ["MEMBERS_ADMIN_API_KEY"]}
            draw = random.Random(18)
            for k in range(count):
                if call == "register":
                    variables = doc.register_variables(f"counted-{k}@bench.example", seed.PASSWORD)
                    doc.success(await post(doc.REGISTER, variables), "register", "RegisterPayload")
                elif call == "login":
                    variables = {"identity": seed.email(draw.randrange(1000)), "password": seed.PASSWORD}
                    doc.success(await post(doc.LOGIN, variables), "login", "LoginPayload")
                elif call == "members":
                    doc.members_page(await post(doc.MEMBERS, {"first": 20}, backend), 20)
                elif call == "current":
                    found = doc.data(await post(doc.CURRENT_MEMBER, {}, bearer), "currentMember")
                    if found["loginEmail"] != seed.email(0):
                        raise doc.BadAnswer(f"currentMember: {found}")
                else:
                    wanted = seed.member_id(draw.randrange(1000))
                    if doc.data(await post(doc.MEMBER, {"id": wanted}, backend), "member")["id"] != wanted:
                        raise doc.BadAnswer(f"member: asked {wanted}")


def _counted(valgrind: str, checkout: Path, call: str, count: int, dataset: Path, scratch: Path) -> int:
    """Instructions of one process making ``count`` requests of ``call`` to ``checkout``'s app."""
    from bench.processes import product_env

    database = scratch / f"{os.getpid()}-{count}.sqlite3"
    shutil.copyfile(dataset, database)
    env = {
        **product_env(f"sqlite://{database}"),
        "PYTHONPATH": os.pathsep.join([str(checkout), str(REPO_ROOT)]),
        "PYTHONHASHSEED": "0",  # set and dict orders, hence the work, the same in every run
        "PYTHONMALLOC": "malloc",  # what Valgrind can follow
    }
    command = [valgrind, "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    # This file run by path, not as ``bench.instructions``: the checkout's own ``bench`` (older
    # ones lack this module) and ``gql`` come first on the path.
    command += [sys.executable, "-c", _RUN_THIS_FILE, __file__, "--drive", call, str(count)]
    done = subprocess.run(command, env=env, cwd=checkout, capture_output=True, text=True, check=False)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    # Valgrind prints its count even for a process that failed: only a clean exit counts.
    for line in done.stderr.splitlines() if done.returncode == 0 else ():
        if "I" in line and "refs:" in line:  # "==123== I   refs:      9,131,038,761"
            return int(line.rpartition(":")[2].strip().replace(",", ""))
    raise RuntimeError(f"no count for {call} on {checkout}:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")


def per_request(valgrind: str, checkout: Path, call: str, requests: int, dataset: Path, scratch: Path) -> float:
    # The two runs side by side, one per core: each is a process of its own, counted on its own.
    with ThreadPoolExecutor(2) as pool:
        few, many = pool.map(
            lambda count: _counted(valgrind, checkout, call, count, dataset, scratch), (FEW, FEW + requests)
        )
    return (many - few) / requests


def _positive(text: str) -> int:
    """The per-request count divides by it: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs="*", type=Path, help="directories holding a gql package (default: this one)")
    parser.add_argument("--calls", default=",".join(CALLS), help=f"comma-separated, of {', '.join(CALLS)}")
    parser.add_argument("--requests", type=_positive, default=200, help="counted requests per call (default 200)")
    parser.add_argument("--drive", nargs=2, metavar=("CALL", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        asyncio.run(_drive(args.drive[0], int(args.drive[1])))
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed (Debian: apt-get install -y valgrind); nothing counted.", file=sys.stderr)
        return 2
    calls = [c for c in args.calls.split(",") if c]
    unknown = sorted(set(calls) - set(CALLS))
    if unknown:
        parser.error(f"unknown calls: {', '.join(unknown)}")
    checkouts = [c.resolve() for c in args.checkouts] or [REPO_ROOT]
    for checkout in checkouts:
        if not (checkout / "gql" / "app.py").exists():
            parser.error(f"{checkout} holds no gql package")

    from bench.databases import SqliteDatabases

    databases = SqliteDatabases(4, log=lambda line: print(line, file=sys.stderr))
    try:
        dataset = Path(databases.dataset(1_000).removeprefix("sqlite://"))
        with tempfile.TemporaryDirectory() as scratch:
            names = [c.name for c in checkouts]
            print(f"| call | {' | '.join(names)} |")
            print(f"|---|{'---|' * len(names)}")
            for call in calls:
                counts = [per_request(valgrind, c, call, args.requests, dataset, Path(scratch)) for c in checkouts]
                cells = [f"{counts[0] / 1e6:.3f} M"]
                cells += [f"{n / 1e6:.3f} M ({n / counts[0] - 1:+.1%})" for n in counts[1:]]
                print(f"| {call} | {' | '.join(cells)} |", flush=True)
    finally:
        databases.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
