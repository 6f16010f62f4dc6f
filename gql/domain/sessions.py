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

Who may hold a session is one rule, ``sign_in_refusal``, asked by every way in (login,
registration, approval, guest login and conversion, password reset, and any added later)
and, as the same condition in SQL, by every request that presents a token: a member that is
blocked, pending approval, or still has to confirm its email gets no usable session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery

from gql.db.models import Member, RevokedSession
from gql.db.sweep import now_and_then
from gql.domain import lockout
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import normalise
from gql.domain.lookup import find_by_id
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.statuses import MemberStatus

SWEEP_EVERY = 200  # logouts, on average, between sweeps of expired revocations


@dataclass(frozen=True)
class SessionGrant:
    """A new session: the token goes to the client once and is never stored."""

    session_token: str
    member: MemberRecord


def awaits_confirmation(member: Member) -> bool:
    """Registered or moved to an address while confirmation was on, and not confirmed since."""
    return member.confirm_jti is not None and not member.email_verified


def sign_in_refusal(member: Member) -> DomainError | None:
    """Why ``member`` may not hold a session now, or None: the one rule of every way in."""
    if member.status == MemberStatus.BLOCKED:
        return DomainError(ErrorCode.LOGIN_DISABLED)
    if member.status == MemberStatus.PENDING:
        return DomainError(ErrorCode.PENDING_APPROVAL)
    if awaits_confirmation(member):
        return DomainError(
            ErrorCode.EMAIL_NOT_CONFIRMED, "The email address is not confirmed yet: follow the emailed link first."
        )
    return None


# The same rule as a filter, for resolving a token: sessions of members that may not hold one
# are dead even if they were opened before (a login email changed while confirmation is on).
MAY_HOLD_SESSION = Q(status__in=(MemberStatus.APPROVED, MemberStatus.GUEST)) & (
    Q(confirm_jti__isnull=True) | Q(email_verified=True)
)


def start_session(services: Services, member: Member) -> str:
    """A session for ``member`` in its current epoch (no database write); refused per ``sign_in_refusal``."""
    refusal = sign_in_refusal(member)
    if refusal is not None:
        raise refusal
    return services.sessions.issue(member.id, member.session_epoch)


def end_sessions(keeping: str | None = None) -> dict[str, object]:
    """The member-row change that ends every session, or every one but ``keeping`` (a session id)."""
    return {"session_epoch": F("session_epoch") + 1, "kept_session_id": keeping}


async def caller_for_session(services: Services, token: str, address: str = "unknown") -> Caller | None:
    """The member behind a session token, or None when it is unknown, expired or ended."""
    claim = services.sessions.read(token)
    if claim is None:
        return None
    revoked = RevokedSession.filter(session_id=claim.session_id).values("member_id")
    alive = await (
        Member.filter(
            Q(id=claim.member_id)
            & (Q(session_epoch=claim.epoch) | Q(kept_session_id=claim.session_id))
            & MAY_HOLD_SESSION
        )
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
        address=address,
    )


async def login(services: Services, caller: Caller, identity: str, password: str) -> SessionGrant:
    await services.rate_limits.take("login", caller)
    if not identity.strip() or not password:
        raise DomainError(ErrorCode.EMPTY_CREDENTIALS)
    identity_key = normalise(identity)
    account = lockout.account_of(identity_key)
    member = await Member.filter(identity=identity_key).select_related("contact").first()
    account_locked = await lockout.account_lock(services, member, account)
    # Exactly one hash either way: an unknown identity costs what a wrong password costs,
    # and a locked account what an open one costs.
    matches = await services.hasher.verify(password, member.password_hash if member else None)
    if account_locked:
        raise lockout.locked_error(account_locked)
    if member is None or not matches:
        await lockout.record_failure(services, member, account, caller.address)
        raise DomainError(ErrorCode.INVALID_CREDENTIALS)
    # Statuses are revealed only to someone who knows the password, and not while locked out.
    refusal = sign_in_refusal(member)
    if refusal is not None:
        locked = await lockout.seconds_locked(services, member, account, caller.address)
        raise lockout.locked_error(locked) if locked else refusal
    # Honoured only if neither the account nor this address is locked at this moment.
    if not await lockout.record_success(services, member, account, caller.address):
        raise lockout.locked_error(await lockout.seconds_locked(services, member, account, caller.address))
    return SessionGrant(session_token=start_session(services, member), member=MemberRecord.of(member))


async def logout(caller: Caller) -> MemberRecord:
    """End the caller's session (only this one: its other devices stay signed in)."""
    member_id = caller.require_member()
    assert caller.session_id is not None and caller.session_expires_at is not None
    try:
        await RevokedSession.create(
            session_id=caller.session_id, member_id=member_id, expires_at=caller.session_expires_at
        )
    except IntegrityError:
        pass  # a concurrent logout of the same session got there first
    # A revocation outlives its token only until the token expires by itself.
    await now_and_then(RevokedSession.filter(expires_at__lt=datetime.now(timezone.utc)), SWEEP_EVERY)
    member = await find_by_id(member_id)
    if member is None:  # deleted meanwhile: its sessions are gone with it
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    return MemberRecord.of(member)
