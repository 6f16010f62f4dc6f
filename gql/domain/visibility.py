"""Who may see which members, and how much of them (Wix's FULL and PUBLIC fieldsets).

The member itself and the backend see every field; everybody else sees only members that
are PUBLIC and APPROVED, and of those only the public profile. The same rule as a query
filter keeps listings on an index.
"""

from __future__ import annotations

from tortoise.expressions import Q

from gql.db.columns import Row
from gql.db.models import Member
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.permissions import Permission
from gql.domain.records import MemberRecord, MemberView, PublicMemberRecord
from gql.domain.statuses import MemberStatus, PrivacyStatus

# Members anybody may see (their public profile), as a filter on the member table.
PUBLICLY_VISIBLE = Q(privacy_status=PrivacyStatus.PUBLIC, status=MemberStatus.APPROVED)


def sees_everything_of(caller: Caller, member: Member | Row) -> bool:
    """The member itself, and whoever holds MEMBERS_READ (its grants read by ``access.grants_of``)."""
    return caller.is_member(member.id) or access.holds(caller, Permission.MEMBERS_READ)


def view_for(caller: Caller, member: Member | Row) -> MemberView | None:
    """The caller's view of a member, or None when the member is hidden from it."""
    if sees_everything_of(caller, member):
        return MemberRecord.of(member)
    if member.privacy_status == PrivacyStatus.PUBLIC and member.status == MemberStatus.APPROVED:
        return PublicMemberRecord.of(member)
    return None
