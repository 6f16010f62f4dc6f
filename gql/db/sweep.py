"""Forgetting rows that outlived their use, now and then, without a scheduler.

Rate-limit buckets, lockout counts and sessions go stale by themselves (a full bucket, a
count a day old, a session past its expiry). Instead of a periodic job every server
process would have to agree on, the statement that writes such rows also deletes the stale
ones, on average once every ``every`` calls: the cost is spread thin and nothing is left
behind for long, whichever processes are running.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from tortoise.queryset import QuerySet


async def now_and_then(stale: Callable[[], QuerySet[Any]], every: int) -> bool:
    """Delete the rows ``stale()`` selects with probability ``1 / every``; True when it did.

    ``stale`` builds the queryset only when the sweep happens: these run on hot paths (every
    rate-limited request), and building a queryset costs more than the draw."""
    if random.random() >= 1 / every:
        return False
    await stale().delete()
    return True


class Every:
    """Open at most once every ``seconds`` (per process), the first time ``seconds`` after it was first asked.

    For sweeps that must run regularly and are cheap to repeat, but must not land on a chance
    request: they run on a schedule of the clock the rules go by (the caller passes its time),
    so a test that does not move that clock past the interval never meets one."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._next: float | None = None

    def due(self, now: float) -> bool:
        if self._next is None:
            self._next = now + self.seconds
        if now < self._next:
            return False
        self._next = now + self.seconds
        return True
