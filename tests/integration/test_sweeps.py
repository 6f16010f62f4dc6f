"""The now-and-then sweeps (gql/db/sweep.py) on a real database: when the draw says so, the write
that may leave stale rows deletes them — stale rate-limit buckets, day-old failure counts, expired
passwordless codes — and only them; when it does not, nothing is deleted."""

from __future__ import annotations

import types

import pytest

from gql.db import buckets, lockouts, login_codes, sweep
from gql.db.models import LoginCode, LoginLockout, RateLimitBucket
from gql.domain.services import Services

NOW = 1_900_000_000.0
DAY = 24 * 3600


def _draw(monkeypatch: pytest.MonkeyPatch, value: float) -> None:
    monkeypatch.setattr(sweep, "random", types.SimpleNamespace(random=lambda: value))


async def _code(email: str, expires_at: float) -> None:
    await login_codes.replace(
        None,
        email_key=email,
        email=email,
        code_hash="c" * 64,
        link_hash=email.ljust(64, "l"),
        attempts=3,
        now=expires_at - 600,
        expires_at=expires_at,
    )


async def _seed() -> None:
    await RateLimitBucket.create(key="stale", tokens=1.0, updated_at=NOW - 2 * DAY)
    await RateLimitBucket.create(key="fresh", tokens=1.0, updated_at=NOW - 10)
    await LoginLockout.create(account="a" * 40, address="stale", failures=1, last_failure_at=NOW - 2 * DAY)
    await LoginLockout.create(account="a" * 40, address="fresh", failures=1, last_failure_at=NOW - 10)
    await _code("stale@example.com", NOW - 1)
    await _code("fresh@example.com", NOW + 600)


async def _writes() -> None:
    await buckets.take("new", 5, 1.0, NOW, idle_after=DAY)
    await lockouts.count_failure(
        "b" * 40, "198.51.100.7", now=NOW, last_login=0.0, threshold=5, provisional_until=NOW + 60
    )
    await _code("new@example.com", NOW + 600)


async def test_a_draw_that_falls_sweeps_only_stale_rows(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    await _seed()
    _draw(monkeypatch, 0.0)
    await _writes()
    assert set(await RateLimitBucket.all().values_list("key", flat=True)) == {"fresh", "new"}
    assert set(await LoginLockout.all().values_list("address", flat=True)) == {"fresh", "198.51.100.7"}
    assert set(await LoginCode.all().values_list("email_key", flat=True)) == {"fresh@example.com", "new@example.com"}


async def test_otherwise_nothing_is_swept(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    await _seed()
    _draw(monkeypatch, 0.999)
    await _writes()
    assert await RateLimitBucket.all().count() == 3
    assert await LoginLockout.all().count() == 3
    assert await LoginCode.all().count() == 3
