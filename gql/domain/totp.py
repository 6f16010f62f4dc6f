"""A member's second factor: an authenticator app (TOTP, RFC 6238) and its recovery codes.

- ``enrollTotp`` makes a secret and shows it once (with its ``otpauth://`` URI and a QR code);
  the factor is pending until ``confirmTotp(code)`` proves the app holds it. A member that already
  has a factor (a passkey) enrols from a session that proved one lately (3244 otherwise). Confirming turns
  the factor on (``member.mfa_enabled``: every sign-in then asks for it, gql/domain/mfa.py)
  and hands out ``RECOVERY_CODE_COUNT`` single-use recovery codes, once.
- Codes: ``TOTP_DIGITS`` digits for a ``TOTP_STEP_SECONDS`` step, accepted ``TOTP_WINDOW_STEPS``
  either side (clocks drift). A code works once: the factor row keeps the newest step a code
  was accepted for, and accepting is a conditional UPDATE (``last_step < step``), so a replay
  is refused in any process, even a concurrent one.
- The secret is stored sealed under a key derived from ``MEMBERS_SECRET_KEY`` (gql/domain/sealing.py)
  and is never returned after enrolment. Recovery codes are kept as keyed digests; using one
  deletes its row.
- Wrong codes are counted by the lockout like wrong passwords (by the callers that sign in,
  gql/domain/mfa.py); ``prove`` itself only answers which factor a code proved.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from tortoise.exceptions import IntegrityError

from gql.db.models import Member, MfaChallenge, Passkey, PasskeyChallenge, RecoveryCode, Session, TotpFactor
from gql.db.transactions import in_transaction
from gql.domain import access, factors
from gql.domain.caller import Caller
from gql.domain.cursors import derive_key
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.lookup import member_by_id
from gql.domain.mfa_policy import require_recent_second_factor
from gql.domain.outbox import queue_email
from gql.domain.permissions import Permission
from gql.domain.policy import RECOVERY_CODE_COUNT, TOTP_DIGITS, TOTP_STEP_SECONDS, TOTP_WINDOW_STEPS
from gql.domain.records import MemberRecord
from gql.domain.sealing import Sealer
from gql.domain.services import Services
from gql.domain.statuses import SecondFactor

_SEAL_PURPOSE = b"members/totp-secret/v1"
_RECOVERY_PURPOSE = b"members/recovery-code/v1"
_TOTP_CODE = re.compile(rf"\d{{{TOTP_DIGITS}}}")
# Recovery codes: 10 characters of an alphabet without look-alikes (50 bits), shown as xxxxx-xxxxx.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10


@dataclass(frozen=True)
class TotpEnrolment:
    """What ``enrollTotp`` shows once: the secret, its URI, and the URI as a QR code (SVG)."""

    secret: str
    otpauth_uri: str
    qr_code_svg: str


def _invalid() -> DomainError:
    return DomainError(ErrorCode.SECOND_FACTOR_INVALID, property="code")


def _state(message: str) -> DomainError:
    return DomainError(ErrorCode.FACTOR_STATE, message)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)


def _sealer(services: Services) -> Sealer:
    return Sealer(services.config.secret_key, _SEAL_PURPOSE)


def recovery_digest(services: Services, code: str) -> str:
    """What a recovery code's row keeps: a keyed digest of its normalised spelling."""
    key = derive_key(services.config.secret_key, _RECOVERY_PURPOSE)
    return hmac.new(key, _normalised(code).encode(), hashlib.sha256).hexdigest()


def _normalised(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


async def _replace_recovery_codes(services: Services, member: Member, connection: object) -> list[str]:
    codes = _new_recovery_codes()
    await RecoveryCode.filter(member_id=member.id).using_db(connection).delete()  # type: ignore[arg-type]
    await RecoveryCode.bulk_create(
        [RecoveryCode(member_id=member.id, code_hash=recovery_digest(services, code)) for code in codes],
        using_db=connection,  # type: ignore[arg-type]
    )
    return codes


async def _totp_on(member: Member) -> bool:
    """Whether the member has a confirmed authenticator app (a passkey alone also sets mfa_enabled)."""
    return await TotpFactor.filter(member_id=member.id, confirmed_at__not_isnull=True).exists()


async def _member(caller: Caller) -> Member:
    member = await member_by_id(caller.require_member())
    if member.is_guest:
        raise _state("A guest has no second factor: register first.")
    return member


# --- proving a code ------------------------------------------------------------------------


async def _accept_totp(services: Services, factor: TotpFactor, code: str) -> bool:
    """Whether ``code`` is the factor's for a step within the window not used before; the step
    is taken (a conditional UPDATE: of two requests with one code, one wins)."""
    secret = _sealer(services).open(factor.secret, str(factor.member_id))  # type: ignore[attr-defined]
    if secret is None:
        return False  # sealed under another MEMBERS_SECRET_KEY: the factor must be reset
    totp = _totp(secret.decode())
    now = services.clock.time()
    current = int(now // TOTP_STEP_SECONDS)
    for step in range(current - TOTP_WINDOW_STEPS, current + TOTP_WINDOW_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            taken = await TotpFactor.filter(id=factor.id, last_step__lt=step).update(last_step=step)
            return bool(taken)
    return False


async def prove(services: Services, member: Member, code: str, *, recovery: bool = True) -> SecondFactor:
    """The factor ``code`` proves for ``member`` (a fresh TOTP code, or an unused recovery code,
    which is used up); 3240 otherwise. Only a confirmed factor counts."""
    factor = await TotpFactor.filter(member_id=member.id, confirmed_at__not_isnull=True).first()
    if factor is None:
        raise _invalid()
    spelled = _normalised(code)
    if _TOTP_CODE.fullmatch(spelled):
        if await _accept_totp(services, factor, spelled):
            return SecondFactor.TOTP
        raise _invalid()
    if recovery and await RecoveryCode.filter(member_id=member.id, code_hash=recovery_digest(services, code)).delete():
        return SecondFactor.RECOVERY_CODE
    raise _invalid()


# --- enrolment -----------------------------------------------------------------------------


async def enroll(services: Services, caller: Caller) -> TotpEnrolment:
    """A new pending factor (replacing a pending one); 3242 while a confirmed one exists."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    if await _totp_on(member):
        raise _state("TOTP is already on: disable it first (disableTotp) to enrol another app.")
    # A member with a passkey adds an app only from a session that proved a factor lately (no session
    # that never proved one promotes itself with a factor of its own: gql/domain/mfa_policy.py).
    require_recent_second_factor(services, caller, member)
    secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    sealed = _sealer(services).seal(secret.encode(), str(member.id))
    now = services.clock.now()
    async with in_transaction() as connection:
        await TotpFactor.filter(member_id=member.id, confirmed_at__isnull=True).using_db(connection).delete()
        try:
            await TotpFactor.create(member_id=member.id, secret=sealed, created_at=now, using_db=connection)
        except IntegrityError:
            # A confirmed factor appeared meanwhile (another request confirmed one).
            raise _state("TOTP is already on: disable it first (disableTotp) to enrol another app.") from None
    label = member.login_email or member.nickname
    uri = _totp(secret).provisioning_uri(name=label, issuer_name=services.config.site_name)
    svg = segno.make(uri, error="m").svg_inline(scale=4, title=f"{services.config.site_name} authenticator setup")
    return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_code_svg=svg)


async def confirm(services: Services, caller: Caller, code: str) -> tuple[MemberRecord, list[str]]:
    """Turn the pending factor on with a code from the app; the recovery codes, shown once.
    The caller's session counts as having proved the factor just now."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    factor = await TotpFactor.filter(member_id=member.id).first()
    if factor is None or factor.confirmed_at is not None:
        raise _state("No TOTP enrolment waits for confirmation: call enrollTotp first.")
    if not _TOTP_CODE.fullmatch(_normalised(code)) or not await _accept_totp(services, factor, _normalised(code)):
        raise _invalid()
    now = services.clock.now()
    async with in_transaction() as connection:
        confirmed = (
            await TotpFactor.filter(id=factor.id, confirmed_at__isnull=True)
            .using_db(connection)
            .update(confirmed_at=now)
        )
        if not confirmed:
            raise _state("No TOTP enrolment waits for confirmation: call enrollTotp first.")
        await factors.settle(services, member, connection)
        codes = await _replace_recovery_codes(services, member, connection)
        await mark_session(caller, SecondFactor.TOTP, now, connection)
        await record(services, connection, caller, member.id, EventKind.TOTP_ENABLED)
    return MemberRecord.of(member), codes


async def mark_session(caller: Caller, factor: SecondFactor, now: datetime, connection: object = None) -> None:
    """The caller's session proved ``factor`` at ``now`` (by enrolling it): the MFA policy counts it as
    multi-factor from its next request on (gql/domain/mfa_policy.py)."""
    if caller.session_id:
        await (
            Session.filter(id=caller.session_id)
            .using_db(connection)
            .update(  # type: ignore[arg-type]
                second_factor=factor, second_factor_at=now
            )
        )


async def regenerate_recovery_codes(services: Services, caller: Caller, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), for a fresh TOTP code."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    if not await _totp_on(member):
        raise _state("TOTP is off: there are no recovery codes to replace.")
    await prove(services, member, code, recovery=False)
    async with in_transaction() as connection:
        codes = await _replace_recovery_codes(services, member, connection)
        await record(services, connection, caller, member.id, EventKind.RECOVERY_CODES_REGENERATED)
    return codes


async def _turn_off(services: Services, caller: Caller, member: Member, kind: EventKind, **data: object) -> None:
    """TOTP off (and, for the backend's reset, the passkeys too); mfa_enabled follows (gql/domain/factors.py)."""
    async with in_transaction() as connection:
        await TotpFactor.filter(member_id=member.id).using_db(connection).delete()
        await RecoveryCode.filter(member_id=member.id).using_db(connection).delete()
        if kind is EventKind.MFA_RESET:
            await Passkey.filter(member_id=member.id).using_db(connection).delete()
            await PasskeyChallenge.filter(member_id=member.id).using_db(connection).delete()
        await factors.settle(services, member, connection)
        if not member.mfa_enabled:
            await MfaChallenge.filter(member_id=member.id).using_db(connection).delete()
        await record(services, connection, caller, member.id, kind, **data)
        if kind is EventKind.MFA_RESET:
            await queue_email(services, connection, "mfa_reset", member)


async def disable(services: Services, caller: Caller, code: str) -> MemberRecord:
    """Turn the factor off, proved by a fresh TOTP code or a recovery code."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    if not await _totp_on(member):
        raise _state("TOTP is not on.")
    factor = await prove(services, member, code)
    await _turn_off(services, caller, member, EventKind.TOTP_DISABLED, proof=factor.value)
    return MemberRecord.of(member)


async def reset(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    """The backend (or a holder of MEMBERS_UPDATE) turns a member's second factors off — its app, its
    recovery codes and its passkeys: a member that lost them. Audited; the member is told by mail."""
    await access.require(caller, Permission.MEMBERS_UPDATE)
    member = await member_by_id(member_id, argument="memberId")
    if not member.mfa_enabled and not await TotpFactor.filter(member_id=member.id).exists():
        raise _state("This member has no second factor.")
    await _turn_off(services, caller, member, EventKind.MFA_RESET)
    return MemberRecord.of(member)
