"""``validateSession(token)``: is this session token, or this access token's session, good now?

Backendless's ``isValidLogin``, and the introspection path for services that want a revocation
to count before an access token expires: they send the access token they were given and learn
whether its session (``sid``) is still alive. Nothing is extended or written (no last-seen
update): asking about a session is not using it.

Anyone may ask: the token is the proof, and what the answer tells (its member id, its expiry)
its holder can learn anyway. Callers other than the backend spend a token of the
``validateSession`` rate limit, so the field is no oracle for guessing tokens (which are 256
random bits anyway).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from gql.domain.access_tokens import looks_like_jwt, session_of_claims, verified_claims
from gql.domain.caller import Caller
from gql.domain.services import Services
from gql.domain.sessions import live_session


@dataclass(frozen=True)
class Validity:
    valid: bool
    member_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    # When the token stops being good unless used: the session's expiry, or, for an access
    # token, the earlier of the token's and its session's.
    expires_at: datetime | None = None


INVALID = Validity(False)


async def validate_session(services: Services, caller: Caller, token: str) -> Validity:
    await services.rate_limits.take("validateSession", caller)
    if looks_like_jwt(token):
        claims = await verified_claims(services, token)
        session = await session_of_claims(services, claims) if claims is not None else None
        if claims is None or session is None:
            return INVALID
        token_expiry = datetime.fromtimestamp(claims["exp"], timezone.utc)
        expires = min(token_expiry, session.expires_at)
    else:
        session = await live_session(services, token)
        if session is None:
            return INVALID
        expires = session.expires_at
    return Validity(True, member_id=session.member_id, session_id=session.id, expires_at=expires)  # type: ignore[attr-defined]
