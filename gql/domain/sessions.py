"""Login, logout and sessions.

A session is a signed token, not a row: opening one (register, login, approval, reset) writes
nothing, so a login costs no INSERT. The token carries its member, a random session id, the
member's *session epoch* when it was opened and its expiry, under an HMAC-SHA256 keyed from
``MEMBERS_SECRET_KEY`` (changing the key ends every session).

Resolving a token is one SELECT: the member still exists; its epoch is still the token's, or
the token is the one session a password change kept; and the session id is not in
``revoked_session``. So ending sessions is a write on the member row, never a scan:

- every session of a member (block, password reset): raise ``member.session_epoch``;
- every other session (password change): raise it and keep the changer's session id;
- one session (logout): a ``revoked_session`` row until the token would have expired.

Nothing secret is stored: no token, no token hash.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery

from gql.db.models import Member, RevokedSession
from gql.domain import lockout
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import normalise
from gql.domain.services import Services
from gql.domain.views import MemberView

SWEEP_EVERY = 200  # logouts, on average, between sweeps of expired revocations


@dataclass(frozen=True)
class SessionGrant:
    """A new session: the token goes to the client once and is never stored."""

    session_token: str
    member: MemberView


def start_session(services: Services, member: Member) -> str:
    """A session for ``member`` in its current epoch (no database write)."""
    return services.sessions.issue(member.id, member.session_epoch)


def end_sessions(keeping: str | None = None) -> dict[str, object]:
    """The member-row change that ends every session, or every one but ``keeping`` (a session id)."""
    return {"session_epoch": F("session_epoch") + 1, "kept_session_id": keeping}


async def caller_for_session(services: Services, token: str) -> Caller | None:
    """The member behind a session token, or None when it is unknown, expired or ended."""
    claim = services.sessions.read(token)
    if claim is None:
        return None
    revoked = RevokedSession.filter(session_id=claim.session_id).values("member_id")
    alive = await (
        Member.filter(Q(id=claim.member_id) & (Q(session_epoch=claim.epoch) | Q(kept_session_id=claim.session_id)))
        .exclude(id__in=Subquery(revoked))
        .exists()
    )
    if not alive:
        return None
    return Caller(
        CallerKind.MEMBER,
        member_id=claim.member_id,
        session_id=claim.session_id,
        session_expires_at=claim.expires_at,
    )


async def login(services: Services, identity: str, password: str) -> SessionGrant:
    if not identity.strip() or not password:
        raise DomainError(ErrorCode.EMPTY_CREDENTIALS)
    identity_key = normalise(identity)
    member = await Member.filter(identity=identity_key).select_related("contact").first()
    lock = await lockout.state(member, identity_key)
    # Exactly one hash either way: an unknown identity costs what a wrong password costs,
    # and a locked account what an open one costs.
    matches = await services.hasher.verify(password, member.password_hash if member else None)
    if lock.locked:
        raise lockout.locked_error(lock.seconds_left)
    if member is None or not matches:
        await lockout.record_failure(services.config, member, identity_key)
        raise DomainError(ErrorCode.INVALID_CREDENTIALS)
    # Statuses are revealed only to someone who knows the password.
    if member.status == "BLOCKED":
        raise DomainError(ErrorCode.LOGIN_DISABLED)
    if member.status == "PENDING":
        raise DomainError(ErrorCode.PENDING_APPROVAL)
    # Members who registered (or changed email) while confirmation was on wait for it;
    # members from before it was switched on keep logging in.
    if member.confirm_jti and not member.email_verified and (await services.settings.get()).email_confirmation:
        raise DomainError(ErrorCode.EMAIL_NOT_CONFIRMED)
    member.last_login_at = datetime.now(timezone.utc)
    # Honoured only if no concurrent failure locked the account meanwhile.
    if not await lockout.record_success(member, member.last_login_at):
        raise lockout.locked_error((await lockout.state(await Member.get(id=member.id), identity_key)).seconds_left)
    member.failed_logins, member.locked_until = 0, None
    return SessionGrant(session_token=start_session(services, member), member=MemberView(member, full=True))


async def logout(caller: Caller) -> None:
    member_id = caller.require_member()
    assert caller.session_id is not None and caller.session_expires_at is not None
    try:
        await RevokedSession.create(
            session_id=caller.session_id, member_id=member_id, expires_at=caller.session_expires_at
        )
    except IntegrityError:
        pass  # a concurrent logout of the same session got there first
    if random.random() < 1 / SWEEP_EVERY:
        # A revocation outlives its token only until the token expires by itself.
        await RevokedSession.filter(expires_at__lt=datetime.now(timezone.utc)).delete()
