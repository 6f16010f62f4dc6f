"""A member's session, as its member and session managers see it (never its token)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.api.types.enums import SecondFactor, SessionMethod
from gql.api.types.node import Node
from gql.domain.sessions import SessionRecord


@strawberry.type(
    description="One sign-in of a member: a device or browser holding a session token. Ending it (logout, "
    "revokeSession) makes its token useless at once, in every server process. One not kept logged in ends after "
    "the idle timeout without a request; none outlives the session lifetime (docs/sessions.md)."
)
class Session(Node):
    member_id: strawberry.ID = strawberry.field(description="The member signed in.")
    created_date: datetime = strawberry.field(description="When it was opened.")
    last_seen_date: datetime = strawberry.field(
        description="When a request last used it (recorded at most once a minute)."
    )
    expires_date: datetime = strawberry.field(
        description="When it ends unless used again (a session not kept logged in moves this with each use, "
        "never past its lifetime)."
    )
    user_agent: str | None = strawberry.field(description="The User-Agent of the request that opened it.")
    ip_address: str | None = strawberry.field(
        description="The client address that opened it, as the rate limits count it (an IPv6 client as its /64)."
    )
    method: SessionMethod = strawberry.field(description="How it was obtained.")  # type: ignore[valid-type]
    stay_logged_in: bool = strawberry.field(
        description="Kept for its whole lifetime (login's stayLoggedIn, and guests); otherwise it also ends when idle."
    )
    second_factor: SecondFactor | None = strawberry.field(  # type: ignore[valid-type]
        description="The second factor it proved, at sign-in (verifyMfa) or since (reauthenticate); null if none."
    )
    current: bool = strawberry.field(
        description="Whether this is the session the request was made with (in a payload that signs in: the "
        "session of the token it returns)."
    )

    @classmethod
    def from_domain(cls, session: SessionRecord, current: bool) -> Session:
        return cls(
            id=strawberry.ID(str(session.id)),
            member_id=strawberry.ID(str(session.member_id)),
            created_date=session.created_at,
            last_seen_date=session.last_seen_at,
            expires_date=session.expires_at,
            user_agent=session.user_agent,
            ip_address=session.ip_address,
            method=SessionMethod[session.method.name],
            stay_logged_in=session.stay_logged_in,
            second_factor=SecondFactor[session.second_factor.name] if session.second_factor else None,
            current=current,
        )
