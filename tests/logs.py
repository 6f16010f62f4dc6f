"""Capturing log records: the SQL statements Tortoise sends, or everything a process logs.

Used by tests/conftest.py (``sql_statements``), the attack tests (``all_logs``) and the
benchmark's statement counts (bench/statements.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

H = TypeVar("H", bound=logging.Handler)

# Tortoise's pool reports its connections on the same logger as the statements.
POOL_EVENTS = ("Created connection", "Closed connection")
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', re.IGNORECASE)


@contextmanager
def capturing(handler: H, logger: str = "") -> Iterator[H]:
    """``handler`` on ``logger`` (the root logger by default), at DEBUG, for the block."""
    target = logging.getLogger(logger)
    previous = target.level
    target.setLevel(logging.DEBUG)
    target.addHandler(handler)
    try:
        yield handler
    finally:
        target.removeHandler(handler)
        target.setLevel(previous)


class StatementCounter(logging.Handler):
    """Counts SQL statements by listening to Tortoise's db-client logger (``counting_statements()``)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())

    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]

    def sql(self) -> list[str]:
        """The statements without the pool's connection events."""
        return [s for s in self.statements if not s.startswith(POOL_EVENTS)]


def counting_statements() -> AbstractContextManager[StatementCounter]:
    """A ``StatementCounter`` on Tortoise's db-client logger for the block."""
    return capturing(StatementCounter(), "tortoise.db_client")


def summary(statement: str) -> str:
    """ "INSERT member": a statement's verb and first table, enough to tell statements apart."""
    table = _TABLE.search(statement)
    return f"{statement.split(None, 1)[0].upper()} {table.group(1) if table else ''}".strip()
