"""The few statements Tortoise's query builder cannot say, written once for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model


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

    async def insert_unless_present(self, instance: Model, field: str) -> bool:
        """Insert ``instance`` only if no row has its value of ``field``: one statement either way.

        ``INSERT … SELECT … WHERE NOT EXISTS`` instead of a SELECT then an INSERT, for the
        common case of a get-or-create that creates. Not a uniqueness guarantee: under a race
        both may insert (the caller's unique indexes decide what must be unique). True if inserted.
        """
        model = type(instance)
        meta = model._meta
        names = [name for name in meta.fields_db_projection if not meta.fields_map[name].generated]
        columns = [meta.fields_db_projection[name] for name in names]
        values = [meta.fields_map[name].to_db_value(getattr(instance, name), instance) for name in names]
        if self.sqlite:
            params = [self.p(i) for i in range(1, len(names) + 1)]
        else:
            # A SELECT list gives PostgreSQL no target column to infer a parameter's type from.
            params = [
                f"{self.p(i)}::{meta.fields_map[n].get_for_dialect('postgres', 'SQL_TYPE')}"
                for i, n in enumerate(names, 1)
            ]
        key = len(names) + 1
        table, column = meta.db_table, meta.fields_db_projection[field]
        quoted = ", ".join(f'"{c}"' for c in columns)
        statement = (
            f'INSERT INTO "{table}" ({quoted}) SELECT {", ".join(params)} '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" WHERE "{column}" = {self.p(key)}) '
            f'RETURNING "{meta.db_pk_column}"'
        )
        inserted = await self.rows(statement, [*values, values[names.index(field)]])
        if inserted:
            instance._saved_in_db = True
        return bool(inserted)
