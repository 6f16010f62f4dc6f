from __future__ import annotations

import strawberry

from gql.api.types.member import Member
from gql.domain.sessions import SessionGrant


@strawberry.type(description="A new session. Send it as `Authorization: Bearer <sessionToken>`.")
class SessionResult:
    session_token: str
    member: Member

    @classmethod
    def from_domain(cls, grant: SessionGrant) -> SessionResult:
        return cls(session_token=grant.session_token, member=Member.from_domain(grant.member))


@strawberry.type(description="The session was ended.")
class LoggedOut:
    ok: bool = True
