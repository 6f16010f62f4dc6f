"""Operations the migrations share (kept outside gql/db/migrations, whose every module is a migration)."""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class DeclareOnly(ops.AlterField):
    """An AlterField that changes the migration state only: the column already is what the field says.

    For a field whose description or enum gained a value on a plain text column: on SQLite a real
    AlterField would rebuild the table, and with it drop its indexes."""

    async def database_forward(self, app_label: Any, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        return None
