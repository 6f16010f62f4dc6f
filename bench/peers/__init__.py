"""The product against its peers, side by side (issue 18): server CPU per ``register`` and ``login``.

The peers are installed from PyPI at pinned versions, each into its own virtual environment
under ``bench/.cache/peers/<name>/venv`` (``python -m venv`` + ``pip install``), never into the
project's. Each side runs as its own uvicorn process, one worker, with the HTTP stack the
product runs on (uvicorn picks uvloop and httptools when they are installed, asyncio and h11
otherwise: the peers are given the same, installed at the product's versions), bcrypt at the
same cost, on a fresh SQLite file in WAL mode (Tortoise's default, set for the peers too), and
takes the same closed-loop httpx load, 8 in flight: registrations of new emails first, then
logins of random ones of the emails it registered. Every answer is checked to be a success.
The figure is the server's CPU time (``/proc/<pid>/stat``) over the requests it completed;
the sides take turns, round after round, so that the machine's other load falls on each.

A peer that cannot be installed (no network, a registry error) is reported with the reason,
and the run carries on without it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import itertools
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.databases import CACHE_DIR
from bench.load import Client, flood
from bench.processes import Served, product_env
from bench.report import Figure, percentile

PEERS_DIR = CACHE_DIR / "peers"
HERE = Path(__file__).resolve().parent
PASSWORD = "bench-password-1234"
IN_FLIGHT = 8
INSTALL_TIMEOUT = 900.0

Say = Callable[[str], None]
Send = Callable[[int], Awaitable[None]]


def http_stack() -> tuple[str, str]:
    """The event loop and HTTP parser uvicorn's "auto" gives the product (gql/__main__.py)."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


def _pins() -> list[str]:
    """uvicorn, and uvloop/httptools when the product has them, at the product's versions."""
    names = ["uvicorn", *(name for name in http_stack() if name in ("uvloop", "httptools"))]
    return [f"{name}=={importlib.metadata.version(name)}" for name in names]


class BadAnswer(RuntimeError):
    pass


@dataclass(frozen=True)
class Side:
    """One server: how to install and start it, and its two requests."""

    name: str
    label: str
    register_does: str
    login_does: str
    requirements: tuple[str, ...] = ()  # empty: the product, in the project's own environment
    script: str = ""

    def python(self) -> Path:
        return PEERS_DIR / self.name / "venv" / "bin" / "python"


PRODUCT = Side(
    "product",
    "this server",
    register_does=(
        "rate-limit bucket INSERT, then 4 INSERTs in one transaction (contact, member, audit event, session), "
        "1 bcrypt hash, an opaque session token returned"
    ),
    login_does=(
        "rate-limit bucket INSERT, SELECT member, then UPDATE member (last login, lockout counters) and "
        "INSERT session in one transaction, 1 bcrypt verify, an opaque session token returned"
    ),
)
FASTAPI_USERS = Side(
    "fastapi-users",
    "fastapi-users 15.0.5 (SQLAlchemy async + aiosqlite, DatabaseStrategy tokens)",
    register_does="SELECT user by email, INSERT user, 1 bcrypt hash (pwdlib); no token",
    login_does="SELECT user by email, 1 bcrypt verify, INSERT access token; the token returned",
    requirements=("fastapi-users[sqlalchemy]==15.0.5", "aiosqlite==0.22.1"),
    script="fastapi_users_app.py",
)
DJANGO_AUTH = Side(
    "strawberry-django-auth",
    "strawberry-django-auth 0.379.1 (Django 5.2, sync ORM)",
    register_does=(
        "SELECT username, SELECT email, INSERT user + INSERT user status in a transaction, 1 bcrypt hash; no token"
    ),
    login_does=(
        "SELECT user, 1 bcrypt verify, SELECT status, UPDATE last_login, INSERT refresh token; "
        "a JWT and the refresh token returned"
    ),
    requirements=("strawberry-django-auth==0.379.1", "django>=5.2,<5.3", "bcrypt==5.0.0"),
    script="django_auth_app.py",
)
PEERS = (FASTAPI_USERS, DJANGO_AUTH)


# --- installing ------------------------------------------------------------------------------


def install(side: Side, say: Say) -> str | None:
    """Make the peer's venv unless it holds exactly these requirements; None, or why it cannot run."""
    venv = PEERS_DIR / side.name / "venv"
    wanted = "\n".join([*side.requirements, *_pins()]) + "\n"
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text() == wanted and side.python().exists():
        return None
    say(f"installing the peer {side.label} into {venv}")
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        done = subprocess.run(
            [
                str(side.python()),
                *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                # Without a network pip gives up in well under a minute rather than retrying for long.
                *("--retries", "2", "--timeout", "30"),
                *wanted.split(),
            ],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return f"could not make its venv: {exc}"
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "ERROR" in line or "rror:" in line]
        return "pip install failed: " + ("; ".join(errors[-3:]) or done.stderr.strip()[-300:])
    stamp.write_text(wanted)
    return None


# --- running -----------------------------------------------------------------------------------


@contextmanager
def _started(side: Side, work: Path, cost: int, log_dir: Path) -> Iterator[Served]:
    """The side's server on a fresh SQLite file in ``work``."""
    database = work / f"{side.name}-{time.monotonic_ns()}.sqlite3"
    loop, http = http_stack()
    if side is PRODUCT:
        # The product migrates a SQLite database itself at start-up; rate limits scaled out of the way.
        argv = [sys.executable, "-m", "gql", "serve", "--host", "127.0.0.1"]
        env = product_env(f"sqlite://{database}", cost)
    else:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONUNBUFFERED": "1",
            "PEER_BCRYPT_COST": str(cost),
        }
        script = str(HERE / side.script)
        argv = [str(side.python()), script]
        if side is DJANGO_AUTH:
            subprocess.run([*argv, "migrate", "--database", str(database)], env=env, check=True, timeout=120)
            argv.append("serve")
        argv += ["--database", str(database), "--bcrypt-cost", str(cost), "--loop", loop, "--http", http]
    served = Served(side.name, argv, env, log_dir)
    served.launch()
    try:
        yield served
    finally:
        served.stop()


def _ok(response: httpx.Response, expected: int = 200) -> Any:
    if response.status_code != expected:
        raise BadAnswer(f"{response.request.url.path}: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


PRODUCT_REGISTER = """
mutation Register($email: String!, $password: String!) {
  register(email: $email, password: $password) {
    __typename ... on RegisterPayload { sessionToken member { id } } ... on Error { code message }
  }
}"""
PRODUCT_LOGIN = """
mutation Login($identity: String!, $password: String!) {
  login(identity: $identity, password: $password) {
    __typename ... on LoginPayload { sessionToken member { id } } ... on Error { code message }
  }
}"""
DJANGO_REGISTER = """
mutation Register($email: String!, $password: String!) {
  register(email: $email, username: $email, password1: $password, password2: $password) { success errors }
}"""
DJANGO_LOGIN = """
mutation Login($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) { success errors token { token } refreshToken { token } }
}"""


def _graphql(path: str, query: str, variables: dict[str, str]) -> dict[str, Any]:
    return {"path": path, "json": {"query": query, "variables": variables}}


async def register(side: Side, client: Client, email: str) -> None:
    if side is PRODUCT:
        answer = _ok(
            await client.send(**_graphql("/graphql", PRODUCT_REGISTER, {"email": email, "password": PASSWORD}))
        )
        value = (answer.get("data") or {}).get("register") or {}
        if value.get("__typename") != "RegisterPayload" or not value.get("sessionToken"):
            raise BadAnswer(f"product register: {answer}")
    elif side is FASTAPI_USERS:
        answer = _ok(await client.send("/auth/register", json={"email": email, "password": PASSWORD}), 201)
        if answer.get("email") != email:
            raise BadAnswer(f"fastapi-users register: {answer}")
    else:
        answer = _ok(await client.send(**_graphql("/graphql", DJANGO_REGISTER, {"email": email, "password": PASSWORD})))
        if not ((answer.get("data") or {}).get("register") or {}).get("success"):
            raise BadAnswer(f"strawberry-django-auth register: {answer}")


async def login(side: Side, client: Client, email: str) -> None:
    if side is PRODUCT:
        answer = _ok(
            await client.send(**_graphql("/graphql", PRODUCT_LOGIN, {"identity": email, "password": PASSWORD}))
        )
        value = (answer.get("data") or {}).get("login") or {}
        if value.get("__typename") != "LoginPayload" or not value.get("sessionToken"):
            raise BadAnswer(f"product login: {answer}")
    elif side is FASTAPI_USERS:
        answer = _ok(await client.send("/auth/login", data={"username": email, "password": PASSWORD}))
        if not answer.get("access_token"):
            raise BadAnswer(f"fastapi-users login: {answer}")
    else:
        variables = {"username": email, "password": PASSWORD}
        answer = _ok(await client.send(**_graphql("/graphql", DJANGO_LOGIN, variables)))
        value = (answer.get("data") or {}).get("tokenAuth") or {}
        if not (value.get("success") and value.get("token") and value.get("refreshToken")):
            raise BadAnswer(f"strawberry-django-auth tokenAuth: {answer}")


@dataclass
class Tally:
    """One side's one operation over every round."""

    requests: int = 0
    cpu: float = 0.0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.requests if self.requests else float("nan")

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")

    def describe(self) -> str:
        return (
            f"{self.cpu_per_request * 1000:.2f} ms CPU/req, p99 {percentile(self.latencies, 0.99) * 1000:.1f} ms, "
            f"{self.rate:.0f} req/s"
        )


async def _measure(server: Served, send: Send, seconds: float, tally: Tally) -> None:
    async def timed(k: int) -> None:
        start = time.perf_counter()
        await send(k)
        tally.latencies.append(time.perf_counter() - start)

    before, start = server.cpu_seconds(), time.perf_counter()
    result = await flood(timed, IN_FLIGHT, seconds)
    tally.seconds += time.perf_counter() - start
    tally.cpu += server.cpu_seconds() - before
    tally.requests += result.total


@dataclass
class Results:
    register: dict[str, Tally] = field(default_factory=dict)
    login: dict[str, Tally] = field(default_factory=dict)
    rss: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


async def _one_round(
    side: Side, server: Served, seconds: float, warmup: float, results: Results, tag: str, round_no: int
) -> None:
    rng = random.Random(round_no)
    fresh = itertools.count()
    emails: list[str] = []
    async with Client(server.base_url, IN_FLIGHT) as client:

        async def register_one(_: int) -> None:
            email = f"peer-{tag}-{round_no}-{next(fresh)}@bench.example"
            await register(side, client, email)
            emails.append(email)

        async def login_one(_: int) -> None:
            await login(side, client, rng.choice(emails))

        await flood(register_one, IN_FLIGHT, warmup)  # connections, caches, the first pages of the file
        await _measure(server, register_one, seconds, results.register.setdefault(side.name, Tally()))
        await flood(login_one, IN_FLIGHT, warmup)
        await _measure(server, login_one, seconds, results.login.setdefault(side.name, Tally()))


async def compare(
    work: Path, log_dir: Path, cost: int, seconds: float, warmup: float, rounds: int, say: Say
) -> Results:
    results = Results()
    sides = [PRODUCT]
    for peer in PEERS:
        reason = install(peer, say)
        if reason:
            say(f"peer {peer.label} left out: {reason}")
            results.skipped[peer.name] = reason
        else:
            sides.append(peer)
    tag = f"{os.getpid()}-{int(time.time())}"
    for round_no in range(rounds):
        for side in sides if round_no % 2 == 0 else list(reversed(sides)):
            try:
                with _started(side, work, cost, log_dir) as server:
                    await _one_round(side, server, seconds, warmup, results, tag, round_no)
                    rss = server.peak_rss()
                    if rss:
                        results.rss[side.name] = max(results.rss.get(side.name, 0.0), rss / 1024 / 1024)
            except (RuntimeError, subprocess.SubprocessError, httpx.HTTPError) as exc:
                if side is PRODUCT:
                    raise
                say(f"peer {side.label} failed: {exc}")
                results.skipped[side.name] = f"failed: {str(exc)[:300]}"
                results.register.pop(side.name, None)
                results.login.pop(side.name, None)
                sides.remove(side)
    return results


def figures(results: Results, cost: int, target: float = 0.5) -> list[Figure]:
    loop, http = http_stack()
    by_name = {side.name: side for side in (PRODUCT, *PEERS)}
    out: list[Figure] = []
    for operation, tallies in (("register", results.register), ("login", results.login)):
        product = tallies.get(PRODUCT.name)
        peers = {name: tally for name, tally in tallies.items() if name != PRODUCT.name}
        if product is None:
            continue
        parts = [f"{by_name[name].label}: {tally.describe()}" for name, tally in tallies.items()]
        parts += [f"{by_name[name].label}: not measured ({why})" for name, why in results.skipped.items()]
        does = "; ".join(f"{by_name[name].name} does {getattr(by_name[name], operation + '_does')}" for name in tallies)
        detail = (
            f"server CPU per {operation} at bcrypt cost {cost}, {loop} + {http}, SQLite, {IN_FLIGHT} in flight: "
            + "; ".join(parts)
            + f". Per request: {does}"
        )
        if not peers:
            out.append(Figure(f"{operation} CPU/req vs best peer", None, "<=", target, detail=detail))
            continue
        best = min(peers.values(), key=lambda tally: tally.cpu_per_request)
        out.append(
            Figure(
                f"{operation} CPU/req vs best peer",
                product.cpu_per_request / best.cpu_per_request,
                "<=",
                target,
                detail=detail,
            )
        )
    if results.rss:
        rss = ", ".join(f"{by_name[name].name} {mib:.0f} MiB" for name, mib in results.rss.items())
        out.append(Figure("peak RSS, product and peers", results.rss.get(PRODUCT.name), unit="MiB", detail=rss))
    return out


def chart(results: Results, path: Path, title: str) -> str:
    """Server CPU per request and p99 latency per side, as a PNG (matplotlib, the ``bench`` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "no chart: matplotlib is not installed (pip install -e '.[bench]')"
    by_name = {side.name: side for side in (PRODUCT, *PEERS)}
    names = [name for name in by_name if name in results.register or name in results.login]
    operations = (("register", results.register), ("login", results.login))
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.8 / max(1, len(names))
    for panel, (ylabel, value) in zip(
        axes,
        (
            ("server CPU per request (ms)", lambda tally: tally.cpu_per_request * 1000),
            ("p99 latency, 8 in flight (ms)", lambda tally: percentile(tally.latencies, 0.99) * 1000),
        ),
        strict=True,
    ):
        for k, name in enumerate(names):
            heights = [value(tallies[name]) if name in tallies else 0.0 for _, tallies in operations]
            bars = panel.bar([i + k * width for i in range(len(operations))], heights, width, label=name)
            panel.bar_label(bars, fmt="%.1f", fontsize=8)
        panel.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(operations))])
        panel.set_xticklabels([operation for operation, _ in operations])
        panel.set_ylabel(ylabel)
        panel.margins(y=0.15)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=len(names), fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return f"chart written to {path}"
