"""Forgetting rows that outlived their use, now and then, without a scheduler.

Rate-limit buckets, lockout counts and logout revocations go stale by themselves (a full
bucket, a count a day old, a token past its expiry). Instead of a periodic job every server
process would have to agree on, the statement that writes such rows also deletes the stale
ones, on average once every ``every`` calls: the cost is spread thin and nothing is left
behind for long, whichever processes are running.
"""

from __future__ import annotations

import random
from typing import Any

from tortoise.queryset import QuerySet


async def now_and_then(stale: QuerySet[Any], every: int) -> bool:
    """Delete the rows of ``stale`` with probability ``1 / every``; True when it did."""
    if random.random() >= 1 / every:
        return False
    await stale.delete()
    return True
