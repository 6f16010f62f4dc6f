"""Who is calling: anonymous page code, a logged-in member, or the backend (API key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import Grants
from gql.domain.statuses import Described


class CallerKind(Described):
    """Who made a request (and, in the audit trail, a change). The values are what events store."""

    ANONYMOUS = "anonymous", "Page code without a session."
    MEMBER = "member", "A signed-in member (Authorization: Bearer)."
    BACKEND = "backend", "The backend (X-Api-Key)."


@dataclass(eq=False)
class GrantsHolder:
    """What a caller holds, once read (``gql.domain.access.grants_of``); shared by copies of it."""

    value: Grants | None = None


@dataclass(frozen=True)
class Caller:
    kind: CallerKind
    member_id: uuid.UUID | None = None
    # The session the member authenticated with (its id: for logout, "end the other sessions"
    # and Session.current).
    session_id: str | None = None
    session_expires_at: datetime | None = None
    # When the session last proved a second factor (at sign-in, or by reauthenticate); None if never.
    second_factor_at: datetime | None = None
    # The client address rate limits and the lockout count against (IPv6 per /64), as the
    # HTTP layer found it (gql/http.py, client_address); "unknown" when there is none.
    address: str = "unknown"
    # Filled by gql.domain.access on first use: a backend key's or a member's roles' grants.
    grants: GrantsHolder = field(default_factory=GrantsHolder, compare=False, repr=False)
    # The scoped API key the backend caller used (None for MEMBERS_ADMIN_API_KEY).
    api_key_id: uuid.UUID | None = None
    # The User-Agent header, recorded on the sessions this request opens.
    user_agent: str | None = None

    @property
    def is_backend(self) -> bool:
        return self.kind is CallerKind.BACKEND

    def is_member(self, member_id: uuid.UUID) -> bool:
        return self.kind is CallerKind.MEMBER and self.member_id == member_id

    def require_member(self) -> uuid.UUID:
        if self.kind is not CallerKind.MEMBER or self.member_id is None:
            raise DomainError(ErrorCode.NOT_LOGGED_IN)
        return self.member_id


ANONYMOUS = Caller(CallerKind.ANONYMOUS)
BACKEND = Caller(CallerKind.BACKEND)


def anonymous(address: str, user_agent: str | None = None) -> Caller:
    return Caller(CallerKind.ANONYMOUS, address=address, user_agent=user_agent)
