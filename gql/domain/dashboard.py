"""The figures of the admin console's front page: members by status, and what happened per day.

Both are one aggregate statement each, whatever the number of members or days: the console's front
page is opened often, and a query per day (or per status) would grow with the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tortoise.functions import Count

from gql.db.models import Member
from gql.db.sql import Sql
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.clock import Clock
from gql.domain.events import EventKind
from gql.domain.permissions import Permission
from gql.domain.statuses import MemberStatus

# The front page's chart: these kinds of member events, over this many days (today included).
CHARTED = (EventKind.REGISTERED, EventKind.APPROVED, EventKind.BLOCKED)
CHART_DAYS = 30


@dataclass(frozen=True)
class DailyActivity:
    """One day of the chart: how many members registered, were approved and were blocked."""

    day: date
    counts: dict[EventKind, int]


async def require_console(caller: Caller) -> None:
    """Who may open the console: whoever may read every member (a backend key, or a role granting it)."""
    await access.require(caller, Permission.MEMBERS_READ)


async def members_by_status(caller: Caller) -> dict[MemberStatus, int]:
    await require_console(caller)
    rows = await Member.all().annotate(n=Count("id")).group_by("status").values("status", "n")
    counts = {status: 0 for status in MemberStatus}
    for row in rows:
        counts[MemberStatus(row["status"])] = row["n"]
    return counts


async def daily_activity(caller: Caller, clock: Clock, days: int = CHART_DAYS) -> list[DailyActivity]:
    """The last ``days`` days (UTC), oldest first, every day present (zeros included)."""
    await require_console(caller)
    today = clock.now().date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=clock.now().tzinfo)
    sql = Sql()
    # The day of a timestamp, as text YYYY-MM-DD on both databases.
    day = "substr(created_at, 1, 10)" if sql.sqlite else "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    kinds = [kind.value for kind in CHARTED]
    placeholders = ", ".join(sql.p(n) for n in range(2, 2 + len(kinds)))
    rows = await sql.rows(
        f"SELECT {day} AS day, kind, COUNT(*) AS n FROM member_event "
        f"WHERE created_at >= {sql.p(1)} AND kind IN ({placeholders}) GROUP BY 1, 2",
        [since.isoformat(sep=" ") if sql.sqlite else since, *kinds],
    )
    found: dict[tuple[str, str], int] = {(row["day"], row["kind"]): int(row["n"]) for row in rows}
    result = []
    for offset in range(days):
        current = first + timedelta(days=offset)
        key = current.isoformat()
        result.append(DailyActivity(current, {kind: found.get((key, kind.value), 0) for kind in CHARTED}))
    return result
