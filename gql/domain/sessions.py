"""Login, logout and session tokens (random, stored only as a SHA-256 hash)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member, Session
from gql.domain import lockout
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import normalise
from gql.domain.services import Services
from gql.domain.tokens import new_session_token, session_token_hash
from gql.domain.views import MemberView


@dataclass(frozen=True)
class SessionGrant:
    """A new session: the raw token goes to the client once and is never stored."""

    session_token: str
    member: MemberView


async def start_session(services: Services, member_id: uuid.UUID, using_db: BaseDBAsyncClient | None = None) -> str:
    token = new_session_token()
    expires = datetime.now(timezone.utc) + timedelta(seconds=services.config.session_ttl_seconds)
    await Session.create(
        token_hash=session_token_hash(token), member_id=member_id, expires_at=expires, using_db=using_db
    )
    return token


async def caller_for_session(token: str) -> Caller | None:
    """The member behind a session token, or None when it is unknown, expired or revoked."""
    token_hash = session_token_hash(token)
    rows = await Session.filter(token_hash=token_hash, expires_at__gt=datetime.now(timezone.utc)).values_list(
        "member_id", flat=True
    )
    if not rows:
        return None
    member_id = rows[0]
    return Caller(
        CallerKind.MEMBER,
        member_id=member_id if isinstance(member_id, uuid.UUID) else uuid.UUID(str(member_id)),
        session_hash=token_hash,
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
    token = await start_session(services, member.id)
    return SessionGrant(session_token=token, member=MemberView(member, full=True))


async def logout(caller: Caller) -> None:
    caller.require_member()
    await Session.filter(token_hash=caller.session_hash).delete()
