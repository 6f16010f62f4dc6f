from __future__ import annotations

import strawberry

from gql.api.types.member_payload import MemberPayload


@strawberry.type(description="The member is blocked: it cannot log in and its sessions are ended.")
class MemberBlocked(MemberPayload):
    pass
