"""What time it is, asked of one object that the rules receive, never of the system directly.

The lockout, the rate limits and the outbox read their "now" from ``Services.clock``: the real
time in production, a clock the test moves (``tests/clock.py``) where a rule depends on how
much time has passed — a lock running out, a bucket refilling, a retry falling due — so a test
moves time instead of sleeping and racing.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...

    def now(self) -> datetime:
        """The same moment as an aware UTC datetime."""
        ...


class SystemClock:
    """The real time."""

    def time(self) -> float:
        return time.time()

    def now(self) -> datetime:
        return datetime.now(timezone.utc)
