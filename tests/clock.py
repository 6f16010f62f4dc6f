"""A clock the test moves by hand (``Services.clock``, gql/domain/clock.py)."""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

# Where a clock starts by default: this far ahead of the real time, so every stamp the real
# clock makes during a test (a registration's login, a row's created_at) lies behind it, as
# it would in a world where only one clock runs.
AHEAD_SECONDS = 60


class ManualClock:
    """Stands still until ``advance``. It starts at a whole second: lock ends and remaining
    seconds are then exact (``t + 60 - t == 60`` holds for whole ``t``, not for every float)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = float(math.ceil(time.time()) + AHEAD_SECONDS) if start is None else start

    def time(self) -> float:
        return self._now

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._now, timezone.utc)

    def advance(self, seconds: float) -> None:
        assert seconds >= 0, "time does not run backwards"
        self._now += seconds
