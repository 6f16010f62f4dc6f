"""The few statements Tortoise's query builder cannot say, written once for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


class Sql:
    def __init__(self, connection: BaseDBAsyncClient | None = None) -> None:
        self.connection = connection or connections.get("default")
        self.sqlite = self.connection.capabilities.dialect == "sqlite"

    def p(self, n: int) -> str:
        return f"?{n}" if self.sqlite else f"${n}"

    def real(self, n: int) -> str:
        return f"CAST({self.p(n)} AS DOUBLE PRECISION)"

    @property
    def least(self) -> str:
        return "MIN" if self.sqlite else "LEAST"

    @property
    def greatest(self) -> str:
        return "MAX" if self.sqlite else "GREATEST"

    async def rows(self, query: str, values: list[Any]) -> list[dict[str, Any]]:
        return await self.connection.execute_query_dict(query, values)
