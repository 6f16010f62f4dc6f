"""Sessions: opening one (login and every other way in), resolving a bearer token, listing,
revoking and validating sessions, and who may hold one.

A session is a row (``session``). Its bearer token is 256 random bits, handed to the client
once; the row keeps only the token's SHA-256, so neither the table nor a backup of it opens a
session. The token carries nothing: everything about the session is in its row.

- Resolving a token is **one** SELECT: the session by its hash, joined with its member, alive
  (not past ``expires_at``) and of a member that may hold a session now (``MAY_HOLD_SESSION``).
  Ending a session deletes its row, so a revocation counts on the next request in every process.
- ``last_seen_at`` is written at most once a minute per session (``LAST_SEEN_EVERY``), by a
  conditional UPDATE that a concurrent request's write makes a no-op; a session that does not
  stay logged in moves its ``expires_at`` with it (the idle timeout).
- Lifetimes: a session kept logged in (``stayLoggedIn: true``, and a guest's, which has no other
  way back in) lasts ``MEMBERS_SESSION_TTL_SECONDS``; any other also ends after
  ``MEMBERS_SESSION_IDLE_SECONDS`` without a request. No session outlives the lifetime.
- A member holds at most ``MEMBERS_MAX_SESSIONS`` live sessions: past it the oldest end
  (``END_OLDEST``), or ``login`` is refused with 3217 (``REFUSE``) — checked by the INSERT
  itself (gql/db/sessions.py) in the transaction that stamps the login, whose row lock makes
  concurrent logins of one member take turns.
- Ending sessions: a block, a password reset and a deletion end every session of the member;
  a password change ends all but the changer's; ``logout`` and ``revokeSession`` end one;
  ``revokeOtherSessions`` all but the caller's; ``revokeAllSessions`` all. Each is audited
  (gql/domain/events.py). Expired rows are swept every ``SESSION_SWEEP_SECONDS`` by each process.

Who may hold a session is one rule, ``sign_in_refusal``, asked by every way in (login,
registration, approval, guest login and conversion, password reset, and any added later)
and, as the same condition in SQL (``may_hold_session``), by every request that presents a
token: a member that is blocked, pending approval, or still has to confirm its email gets no
usable session.

Who may see and end other members' sessions is one rule too, ``require_session_manager``.

A member with a second factor (gql/domain/totp.py) gets no session from its first factor alone:
``sign_in`` — what every way in that authenticates a person calls — answers an ``MfaChallenge``
instead, and ``verifyMfa`` (gql/domain/mfa.py) opens the session once the second factor is
proved. ``open_session`` refuses to open one for such a member without it, so a way in added
later cannot skip the step by mistake. Only the backend's trusted sign-in (generateSessionToken:
the site vouches for the person) opens one directly; registration, guests and approvals concern
members that cannot have a factor yet.

Resolving a token also says what the session proved (its second factor, the member's factors)
and, when the site requires MFA and the session proved none, that it is enrolment-only
(gql/domain/mfa_policy.py): the caller carries both, and the access rules read them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gql.db import sessions as storage
from gql.db.models import Member, MfaChallenge, Session
from gql.db.prepared import Prepared
from gql.db.transactions import in_transaction
from gql.domain import access, factors, lockout, mfa_policy
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import normalise
from gql.domain.lookup import find_by_id, member_by_id, member_with_contact, parse_id
from gql.domain.permissions import Permission
from gql.domain.policy import LAST_SEEN_EVERY, MFA_TOKEN_LIFETIME
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.statuses import MemberStatus, SecondFactor, SessionLimitPolicy, SessionMethod

# 32 random bytes, unpadded base64url: 43 characters, 256 bits.
TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
USER_AGENT_LENGTH = 500


@dataclass(frozen=True)
class SessionRecord:
    """One session as the domain hands it out (never its token, which nobody has but the client)."""

    id: uuid.UUID
    member_id: uuid.UUID
    method: SessionMethod
    stay_logged_in: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip_address: str | None
    second_factor: SecondFactor | None = None

    @classmethod
    def of(cls, row: Session) -> SessionRecord:
        return cls(
            id=row.id,
            member_id=row.member_id,  # type: ignore[attr-defined]
            method=SessionMethod(row.method),
            stay_logged_in=row.stay_logged_in,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            user_agent=row.user_agent,
            ip_address=row.ip_address,
            second_factor=SecondFactor(row.second_factor) if row.second_factor else None,
        )

    def audit_data(self) -> dict[str, str | None]:
        """What an event about this session keeps of it, once the row is gone."""
        return {
            "sessionId": str(self.id),
            "method": self.method.value,
            "createdDate": self.created_at.isoformat(),
            "ipAddress": self.ip_address,
            "userAgent": self.user_agent,
        }


@dataclass(frozen=True)
class SessionGrant:
    """A new session: the token goes to the client once and is never stored."""

    session_token: str
    member: MemberRecord
    session: SessionRecord


@dataclass(frozen=True)
class MfaChallengeGrant:
    """A sign-in that waits for its second factor: the single-use ``mfa_token`` goes to the
    client once (only its hash is stored) and ``verifyMfa`` exchanges it for the session."""

    mfa_token: str
    methods: tuple[SecondFactor, ...]
    expires_at: datetime
    member_id: uuid.UUID


def token_shaped(token: str) -> bool:
    """Whether ``token`` is spelled as this server's tokens are (anything else costs no query)."""
    return bool(_TOKEN.fullmatch(token))


def token_hash(token: str) -> str:
    """What the session row keeps of its token: a 256-bit random value needs no salt or stretching."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# --- who may hold a session --------------------------------------------------------------


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


def may_hold_session(prefix: str = "") -> Q:
    """``sign_in_refusal`` as a filter on the member (``prefix`` names it from a joined table, e.g.
    ``"member__"``): sessions of members that may not hold one are dead, even if they were opened
    before (a login email changed while confirmation is on)."""
    return Q(**{f"{prefix}status__in": (MemberStatus.APPROVED, MemberStatus.GUEST)}) & (
        Q(**{f"{prefix}confirm_jti__isnull": True}) | Q(**{f"{prefix}email_verified": True})
    )


MAY_HOLD_SESSION = may_hold_session()


async def require_session_manager(caller: Caller) -> None:
    """Who may list and end other members' sessions: holders of SESSIONS_MANAGE. The one place
    that says so."""
    await access.require(caller, Permission.SESSIONS_MANAGE)


def may_manage_sessions_of(caller: Caller, member_id: uuid.UUID) -> bool:
    """The member itself, or a session manager (its grants read by ``access.grants_of`` first)."""
    return caller.is_member(member_id) or access.holds(caller, Permission.SESSIONS_MANAGE)


# --- opening -------------------------------------------------------------------------------


def stays_logged_in(method: SessionMethod, asked: bool) -> bool:
    # A guest has no password to come back with: its session lasts as long as sessions may.
    return asked or method is SessionMethod.GUEST


def expiry(services: Services, created: datetime, last_seen: datetime, stay_logged_in: bool) -> datetime:
    """When a session ends unless used again: the lifetime's end, or the idle timeout if sooner."""
    config = services.config
    end = created + timedelta(seconds=config.session_ttl_seconds)
    if stay_logged_in:
        return end
    return min(end, last_seen + timedelta(seconds=config.session_idle_seconds))


async def open_session(
    services: Services,
    caller: Caller,
    member: Member,
    method: SessionMethod,
    *,
    stay_logged_in: bool = False,
    refuse_when_full: bool = False,
    second_factor: SecondFactor | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> SessionGrant:
    """A new session for ``member`` (refused per ``sign_in_refusal``), recorded with the caller's
    address and user agent. Past the session limit the member's oldest sessions end, unless
    ``refuse_when_full`` and the policy is REFUSE: then 3217 and nothing is written.
    ``second_factor``: the factor the sign-in proved (gql/domain/mfa.py)."""
    refusal = sign_in_refusal(member)
    if refusal is not None:
        raise refusal
    if member.mfa_enabled and second_factor is None and method is not SessionMethod.TRUSTED:
        # A programming error, not a client's: this way in must call sign_in (the MFA step).
        raise RuntimeError(f"a {method.value} sign-in of a member with a second factor must go through sign_in")
    config = services.config
    now = services.clock.now()
    stay = stays_logged_in(method, stay_logged_in)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = storage.NewSession(
        id=uuid.uuid4(),
        token_hash=token_hash(token),
        member_id=member.id,
        method=method.value,
        stay_logged_in=stay,
        created_at=now,
        expires_at=expiry(services, now, now, stay),
        user_agent=(caller.user_agent or "")[:USER_AGENT_LENGTH] or None,
        ip_address=caller.address if caller.address != "unknown" else None,
        second_factor=second_factor.value if second_factor else None,
        second_factor_at=now if second_factor else None,
    )
    refuse = refuse_when_full and config.session_limit_policy is SessionLimitPolicy.REFUSE
    others = await storage.insert(row, cap=config.max_sessions if refuse else None, connection=connection)
    if others is None:
        raise DomainError(
            ErrorCode.TOO_MANY_SESSIONS,
            f"This member already holds {config.max_sessions} sessions: end one (logout, revokeSession) first.",
            limit=config.max_sessions,
        )
    if others >= config.max_sessions:
        await _end_oldest(services, caller, member.id, now, connection)
    if services.session_sweep.due(services.clock.time()):
        await Session.filter(expires_at__lte=now).using_db(connection).delete()
    session = SessionRecord(
        id=row.id,
        member_id=member.id,
        method=method,
        stay_logged_in=stay,
        created_at=now,
        last_seen_at=now,
        expires_at=row.expires_at,
        user_agent=row.user_agent,
        ip_address=row.ip_address,
        second_factor=second_factor,
    )
    return SessionGrant(session_token=token, member=MemberRecord.of(member), session=session)


async def sign_in(
    services: Services,
    caller: Caller,
    member: Member,
    method: SessionMethod,
    *,
    stay_logged_in: bool = False,
    refuse_when_full: bool = False,
    second_factor: SecondFactor | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> SessionGrant | MfaChallengeGrant:
    """A session, or — for a member with a second factor — the challenge ``verifyMfa`` answers.
    ``second_factor``: a way in that is multi-factor by itself (a passkey with user verification)
    opens the session directly, recording that factor."""
    if not member.mfa_enabled or second_factor is not None:
        return await open_session(
            services,
            caller,
            member,
            method,
            stay_logged_in=stay_logged_in,
            refuse_when_full=refuse_when_full,
            second_factor=second_factor,
            connection=connection,
        )
    refusal = sign_in_refusal(member)
    if refusal is not None:
        raise refusal
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = services.clock.now() + MFA_TOKEN_LIFETIME
    await MfaChallenge.create(
        token_hash=token_hash(token),
        member_id=member.id,
        method=method,
        stay_logged_in=stay_logged_in,
        expires_at=expires,
        using_db=connection,
    )
    return MfaChallengeGrant(
        mfa_token=token,
        methods=await factors.methods_of(member.id, connection),
        expires_at=expires,
        member_id=member.id,
    )


async def _end_oldest(
    services: Services, caller: Caller, member_id: uuid.UUID, now: datetime, connection: BaseDBAsyncClient | None
) -> None:
    """END_OLDEST: keep the member's newest ``max_sessions`` live sessions, end the rest (audited)."""
    beyond = (
        await Session.filter(member_id=member_id, expires_at__gt=now)
        .using_db(connection)
        .order_by("-created_at", "-id")
        .offset(services.config.max_sessions)
    )
    for session in beyond:
        if await Session.filter(id=session.id).using_db(connection).delete():
            data = SessionRecord.of(session).audit_data()
            await record(services, connection, caller, member_id, EventKind.SESSION_REVOKED, reason="limit", **data)


async def end_sessions(
    connection: BaseDBAsyncClient | None, member_id: uuid.UUID, *, keeping: str | None = None
) -> int:
    """End every session of the member, or every one but ``keeping`` (a session id); how many ended."""
    query = Session.filter(member_id=member_id)
    kept = parse_id(keeping) if keeping else None
    if kept is not None:
        query = query.exclude(id=kept)
    return await query.using_db(connection).delete()


# --- resolving a token ---------------------------------------------------------------------


def _live_by(key: str, with_member: bool) -> Prepared[Session]:
    """The live session whose ``key`` column is ``value``, of a member that may hold one: one SELECT
    with a join (``with_member``: the member's columns come with it, ``session.member``). Prepared:
    every Bearer request asks it, and building it cost more than running it."""

    def build(value: object, now: datetime) -> QuerySet[Session]:
        query = Session.filter(Q(**{key: value}) & Q(expires_at__gt=now) & may_hold_session("member__"))
        return (query.select_related("member") if with_member else query).limit(1)

    return Prepared(Session, build, value=key, now="expires_at")


_LIVE_BY = {
    (key, with_member): _live_by(key, with_member) for key in ("token_hash", "id") for with_member in (False, True)
}


async def live_session(services: Services, token: str, *, with_member: bool = False) -> Session | None:
    """The live session of a bearer token, or None (malformed tokens cost no query)."""
    if not token_shaped(token):
        return None
    live = _LIVE_BY["token_hash", with_member]
    return await live.first(value=token_hash(token), now=services.clock.now())


async def live_session_by_id(
    services: Services, session_id: str | uuid.UUID, *, with_member: bool = False
) -> Session | None:
    parsed = parse_id(session_id)
    if parsed is None:
        return None
    return await _LIVE_BY["id", with_member].first(value=parsed, now=services.clock.now())


async def _seen(services: Services, session: Session) -> None:
    """Record activity at most once a minute; an idle-timed session's expiry moves with it."""
    now = services.clock.now()
    if now - session.last_seen_at < LAST_SEEN_EVERY:
        return
    expires = expiry(services, session.created_at, now, session.stay_logged_in)
    # Conditional on the value read: of concurrent requests, one writes and the rest change nothing.
    await Session.filter(id=session.id, last_seen_at=session.last_seen_at).update(last_seen_at=now, expires_at=expires)
    session.last_seen_at, session.expires_at = now, expires


async def caller_for_session(
    services: Services, token: str, address: str = "unknown", user_agent: str | None = None
) -> Caller | None:
    """The member behind a session token, or None when it is unknown, expired or ended; with what the
    session proved (its second factor) and whether the MFA policy leaves it enrolment-only
    (gql/domain/mfa_policy.py)."""
    session = await live_session(services, token, with_member=True)
    if session is None:
        return None
    await _seen(services, session)
    member: Member = session.member
    second_factor = SecondFactor(session.second_factor) if session.second_factor else None
    return Caller(
        CallerKind.MEMBER,
        member_id=session.member_id,  # type: ignore[attr-defined]
        session_id=str(session.id),
        session_expires_at=session.expires_at,
        second_factor_at=session.second_factor_at,
        second_factor=second_factor,
        mfa_enabled=member.mfa_enabled,
        enrolment_only=await mfa_policy.enrolment_only(services, member, second_factor),
        address=address,
        user_agent=user_agent,
    )


# --- login and logout ----------------------------------------------------------------------


async def login(
    services: Services, caller: Caller, identity: str, password: str, stay_logged_in: bool = False
) -> SessionGrant | MfaChallengeGrant:
    await services.rate_limits.take("login", caller)
    if not identity.strip() or not password:
        raise DomainError(ErrorCode.EMPTY_CREDENTIALS)
    identity_key = normalise(identity)
    account = lockout.account_of(identity_key)
    member = await member_with_contact("identity", identity_key)
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
    # The login is stamped and the session opened together: a session refused by the limit
    # leaves no stamp, and the stamp's row lock makes concurrent logins of the member take turns.
    async with in_transaction() as connection:
        # Honoured only if neither the account nor this address is locked at this moment.
        if await lockout.record_success(services, member, account, caller.address):
            return await sign_in(
                services,
                caller,
                member,
                SessionMethod.PASSWORD,
                stay_logged_in=stay_logged_in,
                refuse_when_full=True,
                connection=connection,
            )
    raise lockout.locked_error(await lockout.seconds_locked(services, member, account, caller.address))


async def logout(services: Services, caller: Caller) -> MemberRecord:
    """End the caller's session (only this one: its other devices stay signed in)."""
    member_id = caller.require_member()
    assert caller.session_id is not None
    session = await Session.get_or_none(id=caller.session_id)
    async with in_transaction() as connection:
        if session is not None and await Session.filter(id=session.id).using_db(connection).delete():
            data = SessionRecord.of(session).audit_data()
            await record(services, connection, caller, member_id, EventKind.LOGGED_OUT, **data)
    member = await find_by_id(member_id)
    if member is None:  # deleted meanwhile: its sessions are gone with it
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    return MemberRecord.of(member)


# --- listing and revoking ------------------------------------------------------------------


def _not_found() -> DomainError:
    return DomainError(ErrorCode.SESSION_NOT_FOUND, property="id")


async def sessions_of(
    services: Services, caller: Caller, member_ids: list[uuid.UUID]
) -> list[list[SessionRecord] | DomainError]:
    """The live sessions of each member (newest first) in one SELECT, in the order asked; for a
    member whose sessions the caller may not see, 3029 in its place (the member itself and
    session managers may see them). A page of members costs one query, not one per member."""
    await access.grants_of(caller)
    allowed = [member_id for member_id in member_ids if may_manage_sessions_of(caller, member_id)]
    found: dict[uuid.UUID, list[SessionRecord]] = {member_id: [] for member_id in allowed}
    if allowed:
        now = services.clock.now()
        for row in await Session.filter(member_id__in=allowed, expires_at__gt=now).order_by("-created_at", "-id"):
            found[row.member_id].append(SessionRecord.of(row))  # type: ignore[attr-defined]
    refused = access.refusal(
        caller,
        [Permission.SESSIONS_MANAGE],
        "Only the member itself or a holder of SESSIONS_MANAGE may see its sessions.",
    )
    return [found[member_id] if member_id in found else refused for member_id in member_ids]


async def get_sessions(services: Services, caller: Caller, session_ids: list[str]) -> list[SessionRecord | None]:
    """Live sessions by id (one SELECT), in the order asked; None for each the caller may not see."""
    await access.grants_of(caller)
    parsed = [parse_id(value) for value in session_ids]
    wanted = [value for value in parsed if value is not None]
    if not wanted or caller.kind is CallerKind.ANONYMOUS:
        return [None] * len(session_ids)
    rows = await Session.filter(id__in=wanted, expires_at__gt=services.clock.now())
    visible = {row.id: SessionRecord.of(row) for row in rows if may_manage_sessions_of(caller, row.member_id)}  # type: ignore[attr-defined]
    return [visible.get(value) if value is not None else None for value in parsed]


async def revoke_session(services: Services, caller: Caller, session_id: str) -> SessionRecord:
    """End one session: the caller's own (any of its member's), or any with the session permission.
    3216 for a session that does not exist, ended, or is not the caller's to see (alike)."""
    if caller.kind is CallerKind.ANONYMOUS:
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    parsed = parse_id(session_id)
    session = await Session.get_or_none(id=parsed) if parsed is not None else None
    if session is None or session.expires_at <= services.clock.now():
        raise _not_found()
    ended = SessionRecord.of(session)
    await access.grants_of(caller)
    if not may_manage_sessions_of(caller, ended.member_id):
        raise _not_found()
    async with in_transaction() as connection:
        if not await Session.filter(id=session.id).using_db(connection).delete():
            raise _not_found()  # a concurrent revocation got there first
        data = ended.audit_data()
        await record(services, connection, caller, ended.member_id, EventKind.SESSION_REVOKED, reason="revoked", **data)
    return ended


async def revoke_other_sessions(services: Services, caller: Caller) -> tuple[MemberRecord, int]:
    """End every session of the caller's member but the caller's own."""
    member_id = caller.require_member()
    member = await find_by_id(member_id)
    if member is None:
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    async with in_transaction() as connection:
        ended = await end_sessions(connection, member_id, keeping=caller.session_id)
        await record(
            services, connection, caller, member_id, EventKind.SESSIONS_REVOKED, count=ended, kept=caller.session_id
        )
    return MemberRecord.of(member), ended


async def revoke_all_sessions(services: Services, caller: Caller, member_id: str) -> tuple[MemberRecord, int]:
    """End every session of a member: the member itself (its current one too), or a session manager.
    3029 for anyone else, whether or not the member exists; 3030 for a manager naming no member."""
    parsed = parse_id(member_id)
    if parsed is None or not caller.is_member(parsed):
        await require_session_manager(caller)
    member = await member_by_id(member_id, argument="memberId")
    async with in_transaction() as connection:
        ended = await end_sessions(connection, member.id)
        await record(services, connection, caller, member.id, EventKind.SESSIONS_REVOKED, count=ended, kept=None)
    return MemberRecord.of(member), ended
