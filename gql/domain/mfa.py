"""The second-factor step: finishing a sign-in with ``verifyMfa``, and step-up checks.

A sign-in of a member with a second factor (gql/domain/sessions.py, ``sign_in``) answers an
``MfaRequired`` with a single-use ``mfaToken`` instead of a session. ``verify_mfa`` exchanges
that token and a fresh code (TOTP or recovery, gql/domain/totp.py) — or a passkey assertion for
a ``startPasskeyMfa`` challenge (gql/domain/passkeys.py) — for the session, which records the
factor it proved (the access tokens' ``amr`` then says ``otp`` or ``hwk``). Wrong codes are
counted by the lockout exactly like wrong passwords, against the member's account and the
client's address, and spend the same "login" bucket.

Step-up: for a member with a second factor, changing the password or the login email, and adding
another factor, need a factor proved within ``RECENT_SECOND_FACTOR`` by the session making the
change — at its sign-in, or since with ``reauthenticate`` (3244 otherwise:
``gql.domain.mfa_policy.require_recent_second_factor``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tortoise.expressions import Q

from gql.db.models import Member, MfaChallenge, Session
from gql.db.transactions import in_transaction
from gql.domain import lockout, passkeys, totp
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.lookup import find_by_id
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, open_session, sign_in_refusal, token_hash, token_shaped
from gql.domain.statuses import SecondFactor, SessionMethod


def _token_invalid() -> DomainError:
    return DomainError(ErrorCode.MFA_TOKEN_INVALID, property="mfaToken")


async def _prove_counted(
    services: Services, caller: Caller, member: Member, proof: Callable[[], Awaitable[SecondFactor]]
) -> SecondFactor:
    """``proof()`` (``totp.prove``, ``passkeys.prove``), refused while locked out, a failure counted
    as a failed login."""
    account = lockout.account_of(member.identity or str(member.id))
    locked = await lockout.seconds_locked(services, member, account, caller.address)
    if locked:
        raise lockout.locked_error(locked)
    try:
        return await proof()
    except DomainError:
        await lockout.record_failure(services, member, account, caller.address)
        raise


async def verify_mfa(
    services: Services, caller: Caller, mfa_token: str, code: str | None, credential: str | None = None
) -> SessionGrant:
    """The session a sign-in waited for, once ``code`` (TOTP or recovery) or ``credential`` (a passkey
    assertion for a startPasskeyMfa challenge) proves the member's second factor."""
    await services.rate_limits.take("login", caller)
    if (code is None) == (credential is None):
        raise DomainError(
            ErrorCode.SECOND_FACTOR_INVALID, "Send either a code or a passkey credential.", property="code"
        )
    if not token_shaped(mfa_token):
        raise _token_invalid()
    now = services.clock.now()
    challenge = (
        await MfaChallenge.filter(token_hash=token_hash(mfa_token), expires_at__gt=now)
        .select_related("member__contact")
        .first()
    )
    if challenge is None:
        raise _token_invalid()
    member: Member = challenge.member
    refusal = sign_in_refusal(member)
    if refusal is not None:
        raise refusal
    if credential is not None:
        factor = await _prove_counted(
            services, caller, member, lambda: passkeys.prove(services, member, credential, challenge.id)
        )
    else:
        factor = await _prove_counted(services, caller, member, lambda: totp.prove(services, member, code or ""))
    account = lockout.account_of(member.identity or str(member.id))
    async with in_transaction() as connection:
        # Single use: of two requests with one token, one deletes the row and signs in.
        if not await MfaChallenge.filter(id=challenge.id).using_db(connection).delete():
            raise _token_invalid()
        if not await lockout.record_success(services, member, account, caller.address):
            raise lockout.locked_error(await lockout.seconds_locked(services, member, account, caller.address))
        grant = await open_session(
            services,
            caller,
            member,
            SessionMethod(challenge.method),
            stay_logged_in=challenge.stay_logged_in,
            refuse_when_full=True,
            second_factor=factor,
            connection=connection,
        )
        await record(
            services,
            connection,
            caller,
            member.id,
            EventKind.SECOND_FACTOR_VERIFIED,
            factor=factor.value,
            purpose="sign-in",
        )
    if services.session_sweep.due(services.clock.time()):
        await MfaChallenge.filter(expires_at__lte=now).delete()
    return grant


async def reauthenticate(
    services: Services, caller: Caller, code: str | None, credential: str | None = None
) -> MemberRecord:
    """Prove the second factor again in this session (a step-up before a sensitive change): a code,
    or a passkey assertion for a startPasskeyReauthentication challenge."""
    await services.rate_limits.take("secondFactor", caller)
    if (code is None) == (credential is None):
        raise DomainError(
            ErrorCode.SECOND_FACTOR_INVALID, "Send either a code or a passkey credential.", property="code"
        )
    member_id = caller.require_member()
    member = await find_by_id(member_id)
    if member is None:
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    if not member.mfa_enabled:
        raise DomainError(ErrorCode.FACTOR_STATE, "This member has no second factor to prove.")
    if credential is not None:
        factor = await _prove_counted(services, caller, member, lambda: passkeys.prove(services, member, credential))
    else:
        factor = await _prove_counted(services, caller, member, lambda: totp.prove(services, member, code or ""))
    now = services.clock.now()
    async with in_transaction() as connection:
        await (
            Session.filter(Q(id=caller.session_id or ""))
            .using_db(connection)
            .update(second_factor=factor, second_factor_at=now)
        )
        await record(
            services,
            connection,
            caller,
            member.id,
            EventKind.SECOND_FACTOR_VERIFIED,
            factor=factor.value,
            purpose="step-up",
        )
    return MemberRecord.of(member)
