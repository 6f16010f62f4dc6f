"""What a caller may see of a member (Wix's FULL and PUBLIC fieldsets)."""

from __future__ import annotations

from dataclasses import dataclass

from gql.db.models import Member
from gql.domain.caller import Caller

PUBLIC = "PUBLIC"
# Member statuses (the values of the schema's MemberStatus that are stored).
APPROVED = "APPROVED"
PENDING = "PENDING"
BLOCKED = "BLOCKED"
GUEST = "GUEST"


@dataclass(frozen=True)
class MemberView:
    """A member row as one caller sees it; ``full`` False means id and profile only."""

    member: Member
    full: bool


def view_for(caller: Caller, member: Member) -> MemberView | None:
    """The caller's view of a member, or None when the member is hidden from it."""
    if caller.is_backend or caller.is_member(member.id):
        return MemberView(member, full=True)
    if member.privacy_status == PUBLIC and member.status == APPROVED:
        return MemberView(member, full=False)
    return None
