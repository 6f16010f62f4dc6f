"""Taking a started external sign-in's state row: one statement that deletes and returns it, so of
two requests presenting the same state (a replay, a double submit, two processes) one gets it."""

from __future__ import annotations

from typing import Any

from gql.db.models import ExternalLoginState
from gql.db.sql import Sql


async def take(state_hash: str) -> dict[str, Any] | None:
    """The row of ``state_hash``, deleted by this call; None when there is none (never was, or taken)."""
    sql = Sql()
    rows = await sql.rows(
        f"DELETE FROM {ExternalLoginState._meta.db_table} WHERE state_hash = {sql.p(1)} "
        "RETURNING provider, redirect_uri, code_verifier, nonce, guest_id, member_id, expires_at",
        [state_hash],
    )
    if not rows:
        return None
    row = dict(rows[0])
    fields = ExternalLoginState._meta.fields_map
    for name in ("guest_id", "member_id", "expires_at"):
        row[name] = fields[name].to_python_value(row[name])
    return row
