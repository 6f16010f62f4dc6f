"""Changing a member row and the object in hand together.

Rules change members with conditional UPDATEs (``WHERE id = … AND <guard>``), so that of
any number of concurrent changes only those that still find the row as they checked it
win. Whatever the UPDATE wrote must then be true of the ``Member`` object the rule goes on
using (to open a session, fingerprint a link, return a record): ``change`` does both, so no
rule copies the values by hand. A value computed by the database (``F("security_stamp") + 1``)
is read back from the row rather than guessed, since a racing change may have moved it too.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Expression, Q

from gql.db.models import Member


async def change(
    member: Member, connection: BaseDBAsyncClient | None = None, *, where: Q | None = None, **values: Any
) -> bool:
    """``UPDATE member SET values WHERE id = member.id [AND where]``; on success ``member`` holds
    the new values too. False (and ``member`` untouched) when the guard matched no row."""
    query = Member.filter(Q(id=member.id) & where if where is not None else Q(id=member.id))
    if not await query.using_db(connection).update(**values):
        return False
    computed = [name for name, value in values.items() if isinstance(value, Expression)]
    for name, value in values.items():
        if name not in computed:
            setattr(member, name, value)
    if computed:
        row = await Member.filter(id=member.id).using_db(connection).values(*computed)
        for name in computed:
            setattr(member, name, row[0][name])
    return True
