"""``python -m bench.profile``: where the server's CPU goes, per request, for the hot calls (issue 18).

For each operation (``register``, ``login``, a ``members(first: 20)`` page with the backend
key, a Bearer ``currentMember { id loginEmail roles { name } }``) the real server
(``python -m gql serve``, bench/processes.py) takes a closed-loop flood of 8 in flight twice:

1. unobserved: its CPU time (``/proc/<pid>/stat``) over the completed requests is the
   CPU per request;
2. under ``py-spy record`` (a sampling profiler attached from outside, every thread): each
   sample's stack is put in one layer (``LAYERS``: the innermost frame that belongs to a
   known layer decides; the standard library's helpers count for their caller), and the
   CPU per request is split in the samples' proportions.

The second flood is slower (py-spy stops the process for each sample), so only its
proportions are used. py-spy is an optional benchmark tool (``pip install -e ".[bench]"``);
without it the table says so and shows the CPU per request only.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import documents as doc
from bench import seed
from bench.databases import CACHE_DIR, SqliteDatabases
from bench.load import BACKEND, Client, flood
from bench.processes import Served, product_server

LOG_DIR = CACHE_DIR / "logs"
IN_FLIGHT = 8

# (layer, pattern on a frame's "function (file:line)"), first match wins for a frame. A frame that
# matches none (the standard library's re, datetime, uuid, ...; libc and libpython with --native) is
# counted for the frame that called it.
LAYERS: tuple[tuple[str, str], ...] = (
    # bcrypt's hashpw/checkpw are C: without --native their samples end in the pool's work item.
    (
        "bcrypt (hashing threads)",
        r"bcrypt|gql/domain/passwords\.py|_WorkItem\.run \(concurrent/futures/thread\.py:58\)",
    ),
    ("logging (access log, gql logs)", r"/logging/|uvicorn/logging\.py"),
    ("JSON encode/decode", r"/json/|gql/json_input\.py|orjson|_json\.c"),
    ("SQLite driver (aiosqlite, sqlite3)", r"aiosqlite/|sqlite3/|libsqlite3|_sqlite"),
    ("Tortoise ORM (query build, model rows)", r"tortoise/|pypika"),
    ("graphql-core (parse, validate, execute)", r"graphql/"),
    ("Strawberry (view, schema, extensions)", r"strawberry/|cross_web/"),
    ("the product's own code (gql/: resolvers, domain, middleware)", r"\(gql/"),
    ("HTTP: uvicorn, h11, Starlette, middleware", r"uvicorn/|h11/|httptools|llhttp|starlette/"),
    (
        "asyncio or uvloop: event loop, futures, thread hand-offs",
        r"asyncio/|_asyncio|selectors\.py|threading\.py|concurrent/|uvloop|\(loop\.c|uv_|uv__|_queue",
    ),
)
# Samples that are not CPU work: a thread waiting for work, for the GIL or for the disk (py-spy's own
# idle detection does not see these waits on every kernel). A stack whose innermost frame is one of
# these (or, with --native, whose innermost three frames hold a wait) is left out.
IDLE = re.compile(
    r"_worker \(concurrent/futures/thread\.py:81\)|_connection_worker_thread \(aiosqlite/core\.py:59\)"
    r"|(?:\w+\.)?select \(selectors\.py:\d+\)|(?:\w+\.)?wait \(threading\.py:\d+\)"
)
NATIVE_WAIT = re.compile(
    r"PyThread_acquire_lock_timed|take_gil|epoll_pwait|epoll_wait|pthread_cond_timedwait|pthread_cond_wait"
    r"|sem_timedwait|sem_wait|fdatasync|fsync|nanosleep"
)


def idle(frames: list[str]) -> bool:
    return not frames or bool(IDLE.fullmatch(frames[-1])) or any(NATIVE_WAIT.match(f) for f in frames[-3:])


# Inclusive shares of some steps (a stack counts when one of its frames matches).
STEPS: tuple[tuple[str, str], ...] = (
    ("HttpGuard + compression middleware and all inside", r"gql/http\.py"),
    ("Strawberry's view (request body to response body)", r"run \(strawberry/http/async_base_view\.py"),
    ("  the product's context (caller resolution)", r"get_context \(gql/app\.py|gql/api/context\.py"),
    (
        "  extensions: made per request, and their hooks",
        r"get_extensions|strawberry/extensions/|gql/api/extensions\.py",
    ),
    ("  parse + validate (cached)", r"on_parse|on_validate|parse_document|validate_document"),
    ("  graphql-core execution (resolvers included)", r"graphql/execution/"),
    ("  response JSON", r"encode_json|dumps \(json|JSONEncoder"),
    ("Tortoise (inclusive: query build, rows, awaiting)", r"tortoise/"),
    ("rate limiter", r"gql/domain/ratelimit\.py"),
    ("sessions (open or resolve)", r"gql/domain/sessions\.py"),
    ("bcrypt (hash or verify, hashing threads)", r"_hash_sync|_WorkItem\.run \(concurrent/futures/thread\.py:58\)$"),
    (
        "thread hand-offs (waking the SQLite or hashing thread, and the loop back)",
        r"call_soon_threadsafe|_read_from_self|_write_to_self|_SimpleQueue_put|uv_async_send",
    ),
    ("socket writes (send)", r"_SelectorSocketTransport\.write|UVStream__try_write"),
    ("logging (access log line and others)", r"/logging/|uvicorn/logging\.py|access_log"),
)


@dataclass
class Profile:
    samples: int = 0
    layers: collections.Counter[str] = field(default_factory=collections.Counter)
    steps: collections.Counter[str] = field(default_factory=collections.Counter)


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):  # innermost first
        for layer, pattern in LAYERS:
            if re.search(pattern, frame):
                return layer
    return "other (interpreter, unattributed)"


def read_raw(path: Path) -> Profile:
    """py-spy's ``--format raw``: one line per distinct stack, ``frame;frame;... count``, outermost first."""
    profile = Profile()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        if frames and frames[0].startswith(("process ", "thread ")):
            frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if idle(frames):
            continue
        profile.samples += count
        profile.layers[layer_of(frames)] += count
        joined = ";".join(frames)
        for step, pattern in STEPS:
            if re.search(pattern, joined):
                profile.steps[step] += count
    return profile


Send = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class Operation:
    name: str
    does: str
    make: Callable[[Client, dict[str, str]], Send]


def _operations(members: int, tag: str) -> list[Operation]:
    rng = random.Random(18)
    fresh = itertools.count()  # one sequence over every flood: each registration a new email

    def register(client: Client, _: dict[str, str]) -> Send:
        async def send(_: int) -> None:
            variables = doc.register_variables(f"profile-{tag}-{next(fresh)}@bench.example", seed.PASSWORD)
            doc.success(await client.post(doc.REGISTER, variables), "register", "RegisterPayload")

        return send

    def login(client: Client, _: dict[str, str]) -> Send:
        async def send(_: int) -> None:
            variables = {"identity": seed.email(rng.randrange(members)), "password": seed.PASSWORD}
            doc.success(await client.post(doc.LOGIN, variables), "login", "LoginPayload")

        return send

    def members_page(client: Client, _: dict[str, str]) -> Send:
        async def send(_: int) -> None:
            doc.members_page(await client.post(doc.MEMBERS, {"first": 20}, BACKEND), 20)

        return send

    def current_member(client: Client, bearer: dict[str, str]) -> Send:
        async def send(_: int) -> None:
            found = doc.data(await client.post(doc.CURRENT_MEMBER, {}, bearer), "currentMember")
            if found["loginEmail"] != seed.email(0) or not found["roles"]:
                raise doc.BadAnswer(f"currentMember: {found}")

        return send

    return [
        Operation(
            "register",
            "bucket INSERT, then 4 INSERTs in one transaction (contact, member, event, session), 1 bcrypt, a session token",
            register,
        ),
        Operation("login", "bucket INSERT, SELECT member, UPDATE member, INSERT session, 1 bcrypt verify", login),
        Operation("members(first: 20)", "backend key: SELECT bucket, SELECT 21 members JOIN contact", members_page),
        Operation(
            "currentMember (Bearer)",
            "SELECT session (member state joined), SELECT member, 3 SELECTs for its roles",
            current_member,
        ),
    ]


async def _bearer(client: Client) -> dict[str, str]:
    answer = await client.post(doc.LOGIN, {"identity": seed.email(0), "password": seed.PASSWORD})
    return {"Authorization": f"Bearer {doc.success(answer, 'login', 'LoginPayload')['sessionToken']}"}


async def _cpu_per_request(server: Served, send: Send, seconds: float) -> tuple[float, int]:
    before = server.cpu_seconds()
    result = await flood(send, IN_FLIGHT, seconds)
    return (server.cpu_seconds() - before) / max(1, result.total), result.total


async def _profiled(server: Served, send: Send, seconds: float, rate: int, out: Path, flags: list[str]) -> None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    recorder = subprocess.Popen(
        [py_spy, "record", "--pid", str(server.pid), "--rate", str(rate), "--format", "raw", "--output", str(out)]
        + flags,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await asyncio.sleep(1.0)  # attached
        await flood(send, IN_FLIGHT, seconds)
    finally:
        recorder.send_signal(2)  # SIGINT: py-spy writes its file and exits
        await asyncio.to_thread(recorder.wait, 30)


async def profile_all(
    server: Served, operations: list[Operation], seconds: float, rate: int, work: Path, flags: list[str]
) -> str:
    lines: list[str] = []
    has_py_spy = bool(shutil.which("py-spy") or (Path(sys.executable).parent / "py-spy").exists())
    async with Client(server.base_url, IN_FLIGHT) as client:
        bearer = await _bearer(client)
        for operation in operations:
            send = operation.make(client, bearer)
            await flood(send, IN_FLIGHT, 1.0)  # warm-up: connections, caches
            cpu, count = await _cpu_per_request(server, send, seconds)
            lines.append(f"\n### {operation.name}: {cpu * 1000:.2f} ms server CPU/request ({count} requests)")
            lines.append(f"what it does: {operation.does}")
            if not has_py_spy:
                lines.append("(py-spy not installed: pip install -e '.[bench]' for the breakdown)")
                continue
            out = work / f"{re.sub(r'[^a-z]+', '-', operation.name.lower())}.txt"
            await _profiled(server, send, seconds, rate, out, flags)
            profile = read_raw(out)
            if not profile.samples:
                lines.append("(no samples: py-spy could not attach)")
                continue
            lines.append("\n| layer (innermost frame) | share | ms/request |\n|---|---|---|")
            for layer, count in profile.layers.most_common():
                share = count / profile.samples
                lines.append(f"| {layer} | {share:.0%} | {share * cpu * 1000:.2f} |")
            lines.append("\n| step (inclusive) | share | ms/request |\n|---|---|---|")
            for step, _ in STEPS:
                share = profile.steps[step] / profile.samples
                lines.append(f"| {step} | {share:.0%} | {share * cpu * 1000:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="each flood's length (default 8)")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second (default 250)")
    parser.add_argument("--members", type=int, default=1_000, help="seeded members (default 1,000)")
    parser.add_argument(
        "--gil",
        action="store_true",
        help="only samples holding the GIL: Python's own work, without threads waiting for the GIL "
        "(nor SQLite or bcrypt, which run without it)",
    )
    parser.add_argument(
        "--native",
        action="store_true",
        help="C frames too (uvloop, httptools, sqlite3): needed to tell uvloop's own work from its idle waits",
    )
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw stacks in this directory")
    args = parser.parse_args(argv)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    databases = SqliteDatabases(4)
    try:
        url = databases.dataset(args.members)
        with product_server(url, 4, 0, LOG_DIR) as server, tempfile.TemporaryDirectory() as scratch:
            work = args.keep or Path(scratch)
            work.mkdir(parents=True, exist_ok=True)
            tag = f"{int(time.time())}"
            flags = (["--gil"] if args.gil else []) + (["--native"] if args.native else [])
            report = asyncio.run(
                profile_all(server, _operations(args.members, tag), args.seconds, args.rate, work, flags)
            )
    finally:
        databases.close()
    gil = ", samples holding the GIL only" if args.gil else ""
    print(f"SQLite, {args.members:,} members, bcrypt cost 4, {IN_FLIGHT} in flight, py-spy at {args.rate} Hz{gil}")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
