"""Who is calling: anonymous page code, a logged-in member, or the backend (API key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import NOTHING, Grants
from gql.domain.statuses import Described, SecondFactor


class CallerKind(Described):
    """Who made a request (and, in the audit trail, a change). The values are what events store."""

    ANONYMOUS = "anonymous", "Page code without a session."
    MEMBER = "member", "A signed-in member (Authorization: Bearer)."
    BACKEND = "backend", "The backend (X-Api-Key)."


@dataclass(eq=False)
class GrantsHolder:
    """What a caller holds, once read (``gql.domain.access.grants_of``); shared by copies of it."""

    value: Grants | None = None
    # What the member's roles would grant and do not for this session: the roles that require a second
    # factor the session has not proved (gql/domain/mfa_policy.py). A refusal it would lift is 3243.
    withheld: Grants = NOTHING


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
    # The second factor the session proved (at sign-in, by reauthenticate or by enrolling one); None if none.
    second_factor: SecondFactor | None = None
    # Whether the member has a second factor now (a confirmed authenticator app or a passkey).
    mfa_enabled: bool = False
    # The site requires a second factor (mfaPolicy REQUIRED) and this session has not proved one: it may
    # only enrol one or prove it (gql/domain/mfa_policy.py); every other operation answers 3243.
    enrolment_only: bool = False
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

    @property
    def multi_factor(self) -> bool:
        """A member's session that proved a second factor the member still has (its ``amr`` has otp or hwk)."""
        return self.kind is CallerKind.MEMBER and self.second_factor is not None and self.mfa_enabled

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
