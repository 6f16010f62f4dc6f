"""A member's activity status (Wix ``muteMember``; Backendless's user status): MUTED or ACTIVE.

Muting is the site's business — what a muted member may not do on the site (post, comment) is
the site's own rule, read from ``activityStatus`` (the backend sees it on ``Member``, in the
audit trail and its webhooks). Here it changes nothing else: a muted member keeps its sessions
and still logs in. Holders of MEMBERS_UPDATE mute and unmute; doing it twice changes nothing
and records nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.expressions import Q

from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.events import EventKind, record
from gql.domain.lookup import member_by_id
from gql.domain.permissions import Permission
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.statuses import ActivityStatus


async def mute_member(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    return await _set_activity(services, caller, member_id, ActivityStatus.MUTED, EventKind.MUTED)


async def unmute_member(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    return await _set_activity(services, caller, member_id, ActivityStatus.ACTIVE, EventKind.UNMUTED)


async def _set_activity(
    services: Services, caller: Caller, member_id: str, status: ActivityStatus, kind: EventKind
) -> MemberRecord:
    await access.require(caller, Permission.MEMBERS_UPDATE)
    member = await member_by_id(member_id)
    async with in_transaction() as connection:
        # Of concurrent calls, only the one that finds the other status records the change.
        if await change(
            member,
            connection,
            where=~Q(activity_status=status),
            activity_status=status,
            updated_at=datetime.now(timezone.utc),
        ):
            await record(services, connection, caller, member.id, kind, activityStatus=status.value)
        else:
            member.activity_status = status  # the row already holds it
    return MemberRecord.of(member)
