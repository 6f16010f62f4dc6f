"""Waiting for what another process, thread or task does: poll a condition until a deadline.

Never a fixed sleep: the condition is what the test waits for, the deadline only how long it
may take on a slow machine before the test fails, saying what did not happen.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
DEADLINE = 30.0
What = str | Callable[[], str]


def _timed_out(what: What, timeout: float) -> AssertionError:
    return AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")


def eventually(probe: Callable[[], T | None], what: What, timeout: float = DEADLINE, every: float = 0.05) -> T:
    """``probe()``'s first truthy answer, polled every ``every`` seconds; fails after ``timeout``
    saying ``what`` it waited for (a callable: called then, e.g. to show a server's output)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout)
        time.sleep(every)


async def until(
    probe: Callable[[], T | None | Awaitable[T | None]], what: What, timeout: float = DEADLINE, every: float = 0.05
) -> T:
    """``eventually`` for async tests (``probe`` may be a coroutine function): the event loop runs
    on while it waits."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if inspect.isawaitable(answer):
            answer = await answer
        if answer:
            return answer  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout)
        await asyncio.sleep(every)
