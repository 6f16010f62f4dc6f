"""Which unique index a racing write hit, read from the driver's error on SQLite and on PostgreSQL."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError


def violated_column(exc: IntegrityError) -> str | None:
    """'identity', 'email_key', 'slug' or None, from the driver's error.

    asyncpg names the constraint (``member_slug_key``); SQLite names the column in
    its message (``UNIQUE constraint failed: member.slug``).
    """
    cause = exc.args[0] if exc.args else exc
    text = " ".join(
        str(part) for part in (getattr(cause, "constraint_name", None), cause, exc.__cause__) if part is not None
    )
    for column in ("identity", "email_key", "slug"):
        if f"member_{column}_key" in text or f"member.{column}" in text:
            return column
    return None
