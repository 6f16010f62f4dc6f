"""Passwordless sign-in (issue 14 §4): ``requestLoginCode``, ``loginWithCode``, ``loginWithLinkToken``.

On while the registration setting ``passwordlessLogin`` is (3231 otherwise).

- **Asking** (``request_login_code``): the answer is the same whether or not a member has the
  address, and so is the work — the address's code row is written (replacing, with its
  attempts, any older code and link: one row per address, an upsert), a mail is queued and the
  request is audited (a member event, or for an address no member has an audit event keyed by a
  digest) in both cases. Whether the mail goes out is decided by the outbox worker when it
  sends (``mail_parts``): to a member that is not blocked, or, with ``passwordlessSignup`` on
  (and registration open, the email the identity), to an address no member has; otherwise the
  row becomes SUPERSEDED, as a mail whose link died. Limited per client address and per mailbox
  (``requestLoginCode`` and the mailbox buckets, gql/domain/ratelimit.py).
- **The code and the link** are both made from a random nonce with the server secret (HMAC):
  ``LOGIN_CODE_DIGITS`` digits, and a 256-bit link token. The outbox keeps the nonce (the
  mail's recipe, blanked once sent, as links' recipes are); the code row keeps an HMAC of the
  code (keyed, so the row alone does not give the code away by trying all million) and the
  SHA-256 of the link token. Both work once, for ``LOGIN_CODE_LIFETIME``.
- **Using** a code (``login_with_code``): each try first spends one of the row's
  ``LOGIN_CODE_ATTEMPTS`` attempts with a conditional UPDATE, then compares in constant time; so
  at most that many codes are ever compared, however many tries run at once. A sign-in deletes
  the row (conditional on the code it checked): one sign-in per code, and the link dies with
  the code and the other way round. A malformed code or an unknown address answers 3230 like a
  wrong code.
- **Signing in** follows the rule of every way in (``sign_in_refusal``): a blocked member is
  refused (3000, the code stays), a pending one (3204, after the code is used: it proved the
  address). The code proves the mailbox, so it confirms the email. An address no member has
  becomes a member (with ``passwordlessSignup``): approved or pending as ``approval`` says, its
  email confirmed, no password. The session's method is CODE; past the session limit under
  REFUSE it is refused as login is (3217, the code stays). The password lockout
  (gql/domain/lockout.py) does not apply: codes have their own attempt limit, and a sign-in by
  code stamps ``last_login_at`` but clears no password lock. Audited: LOGGED_IN_WITH_CODE (and
  REGISTERED for a member it created).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db import login_codes
from gql.db.login_codes import Attempt
from gql.db.models import Member, OutboxMessage
from gql.db.transactions import after_commit, in_transaction
from gql.domain import lockout
from gql.domain.audit import AuditKind, audit
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.contacts import ContactInfo, claim_contact, save_contact
from gql.domain.encoding import EncodingError, b64url_decode, b64url_encode
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import checked_email, identity_is_unique, normalise
from gql.domain.lookup import find_by_email
from gql.domain.mail import subject_of
from gql.domain.outbox import notify_admins_of_pending
from gql.domain.policy import LOGIN_CODE_ATTEMPTS, LOGIN_CODE_DIGITS, LOGIN_CODE_LIFETIME
from gql.domain.profiles import nickname_for
from gql.domain.registration import MemberFields, insert_member
from gql.domain.registration_settings import RegistrationSettings
from gql.domain.services import Services
from gql.domain.sessions import MfaChallengeGrant, SessionGrant, sign_in
from gql.domain.statuses import ApprovalMode, MemberStatus, PrivacyStatus, SessionMethod
from gql.domain.tokens import new_jti

# Where the mailed link points, under MEMBERS_PUBLIC_URL: the site's page there reads ``token``
# and calls loginWithLinkToken (a GET that signs nobody in, so link scanners spend nothing).
LOGIN_LINK_PATH = "/login-with-link"
TEMPLATE = "login_code"
RECIPE_KIND = "loginCode"
NONCE_BYTES = 16
_CODE = re.compile(rf"[0-9]{{{LOGIN_CODE_DIGITS}}}")
_LINK_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


# --- the code and the link, from a nonce ---------------------------------------------------


def _key(services: Services, label: str) -> bytes:
    return hmac.new(services.config.secret_key.encode(), f"members/login-code/v1/{label}".encode(), "sha256").digest()


def secrets_of(services: Services, nonce: bytes) -> tuple[str, str]:
    """The code and the link token a nonce stands for (only with the server secret)."""
    seed = hmac.new(_key(services, "code"), nonce, hashlib.sha256).digest()
    code = f"{int.from_bytes(seed[:8], 'big') % 10**LOGIN_CODE_DIGITS:0{LOGIN_CODE_DIGITS}d}"
    token = b64url_encode(hmac.new(_key(services, "link"), nonce, hashlib.sha256).digest())
    return code, token


def code_hash(services: Services, email_key: str, code: str) -> str:
    """What the row keeps of a code: keyed, and bound to its address."""
    return hmac.new(_key(services, "digest"), f"{email_key}\n{code}".encode(), hashlib.sha256).hexdigest()


def link_hash(token: str) -> str:
    """What the row keeps of a link token: 256 random-looking bits need no key or salt."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Recipe:
    """What the outbox keeps of a login-code mail instead of the code and the link."""

    email_key: str
    nonce: bytes

    def to_json(self) -> dict[str, str]:
        return {"kind": RECIPE_KIND, "emailKey": self.email_key, "nonce": b64url_encode(self.nonce)}

    @staticmethod
    def is_one(data: dict[str, Any] | None) -> bool:
        return bool(data) and data.get("kind") == RECIPE_KIND  # type: ignore[union-attr]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Recipe:
        return cls(email_key=str(data["emailKey"]), nonce=b64url_decode(str(data["nonce"])))


# --- rules ------------------------------------------------------------------------------------


def signup_open(settings: RegistrationSettings) -> bool:
    """May a code create the member of an address no member has?"""
    return settings.passwordless_signup and settings.enabled and settings.identity_is_email


async def _require_enabled(services: Services) -> RegistrationSettings:
    settings = await services.registration_settings.get()
    if not settings.passwordless_login:
        raise DomainError(ErrorCode.PASSWORDLESS_DISABLED)
    return settings


def _invalid(argument: str) -> DomainError:
    return DomainError(ErrorCode.LOGIN_CODE_INVALID, property=argument)


def _now(services: Services) -> float:
    return services.clock.time()


# --- asking -----------------------------------------------------------------------------------


async def store_code(
    services: Services, connection: BaseDBAsyncClient | None, key: str, recipient: str, nonce: bytes
) -> tuple[str, str]:
    """Make ``nonce``'s code and link the one live pair of the address ``key`` (replacing an older
    one), keeping only their digests; the code and the link's token."""
    code, token = secrets_of(services, nonce)
    now = _now(services)
    await login_codes.replace(
        connection,
        email_key=key,
        email=recipient,
        code_hash=code_hash(services, key, code),
        link_hash=link_hash(token),
        attempts=LOGIN_CODE_ATTEMPTS,
        now=now,
        expires_at=now + LOGIN_CODE_LIFETIME.total_seconds(),
    )
    return code, token


async def request_login_code(services: Services, caller: Caller, email: str) -> str:
    """Queue a code and link for ``email``: the same answer, and the same work, whether or not
    a member has it (the worker decides whether it is mailed). Returns the canonical address."""
    await services.rate_limits.take("requestLoginCode", caller, mailbox=email)
    await _require_enabled(services)
    address = checked_email(email)
    key = normalise(address)
    member = await find_by_email(address)
    nonce = secrets.token_bytes(NONCE_BYTES)
    recipient = member.login_email if member is not None and member.login_email else address
    async with in_transaction() as connection:
        await store_code(services, connection, key, recipient, nonce)
        await _queue_mail(services, connection, recipient, Recipe(key, nonce))
        if member is not None:
            await record(services, connection, caller, member.id, EventKind.LOGIN_CODE_REQUESTED)
        else:
            await audit(services, connection, caller, AuditKind.LOGIN_CODE_REQUESTED, account=lockout.account_of(key))
    return address


async def _queue_mail(services: Services, connection: BaseDBAsyncClient, recipient: str, recipe: Recipe) -> None:
    # No greeting name: the mail goes out before anything proves who asked.
    await OutboxMessage.create(
        kind="email",
        recipient=recipient,
        subject=subject_of(TEMPLATE, services.config),
        template=TEMPLATE,
        context={"name": None},
        link=recipe.to_json(),
        next_attempt_at=services.clock.now(),
        using_db=connection,
    )
    after_commit(connection, services.outbox_written)


async def mail_parts(services: Services, data: dict[str, Any]) -> tuple[str, str] | None:
    """The code and the link's URL of a queued login-code mail, written now; None when it is not
    to be sent: the code was replaced, used, ran out of attempts or expired, or the address may
    not sign in by code (a blocked member; no member, and passwordless sign-up is off)."""
    try:
        recipe = Recipe.from_json(data)
    except (KeyError, EncodingError):
        return None
    code, token = secrets_of(services, recipe.nonce)
    row = await login_codes.current(recipe.email_key)
    if (
        row is None
        or not hmac.compare_digest(row.code_hash, code_hash(services, recipe.email_key, code))
        or row.attempts_left <= 0
        or row.expires_at <= _now(services)
    ):
        return None
    settings = await services.registration_settings.get()
    if not settings.passwordless_login:
        return None
    member = await Member.get_or_none(email_key=recipe.email_key)
    if member is None and not signup_open(settings):
        return None
    if member is not None and member.status is MemberStatus.BLOCKED:
        return None
    return code, f"{services.config.link_base}{LOGIN_LINK_PATH}?token={token}"


# --- signing in -------------------------------------------------------------------------------


async def login_with_code(
    services: Services, caller: Caller, email: str, code: str
) -> SessionGrant | MfaChallengeGrant:
    await services.rate_limits.take("loginWithCode", caller)
    settings = await _require_enabled(services)
    key = normalise(email)
    code = code.strip()
    if not key or not _CODE.fullmatch(code):
        raise _invalid("code")  # spends no attempt: it cannot be any code
    attempt = await login_codes.take_attempt(key, _now(services))
    if attempt is None or not hmac.compare_digest(attempt.code_hash, code_hash(services, key, code)):
        raise _invalid("code")
    return await _sign_in(services, caller, settings, attempt, via="code")


async def login_with_link_token(services: Services, caller: Caller, token: str) -> SessionGrant | MfaChallengeGrant:
    await services.rate_limits.take("loginWithCode", caller)
    settings = await _require_enabled(services)
    if not _LINK_TOKEN.fullmatch(token):
        raise _invalid("token")
    attempt = await login_codes.by_link(link_hash(token), _now(services))
    if attempt is None:
        raise _invalid("token")
    return await _sign_in(services, caller, settings, attempt, via="link")


_ATTEMPTS = 2  # a sign-up racing another creation of the same address signs in the member that won


async def _sign_in(
    services: Services, caller: Caller, settings: RegistrationSettings, attempt: Attempt, *, via: str
) -> SessionGrant | MfaChallengeGrant:
    for _round in range(_ATTEMPTS):
        member = await find_by_email(attempt.email_key)
        if member is None and not signup_open(settings):
            # Never mailed (or sign-up closed since): as good as a wrong code.
            raise _invalid("code" if via == "code" else "token")
        if member is not None and member.status is MemberStatus.BLOCKED:
            raise DomainError(ErrorCode.LOGIN_DISABLED)
        try:
            outcome = await _use(services, caller, settings, attempt, member, via=via)
        except DomainError as exc:
            if exc.code is ErrorCode.IDENTITY_TAKEN:
                continue
            raise
        if outcome is None:
            raise DomainError(
                ErrorCode.PENDING_APPROVAL, "The email is confirmed; the member still waits for approval."
            )
        return outcome
    raise _invalid("code" if via == "code" else "token")


async def _use(
    services: Services,
    caller: Caller,
    settings: RegistrationSettings,
    attempt: Attempt,
    member: Member | None,
    *,
    via: str,
) -> SessionGrant | MfaChallengeGrant | None:
    """Use the code and sign in, in one transaction: a refusal (the session limit, a member
    blocked meanwhile) leaves the code as it was. None: used, but the member waits for approval."""
    with identity_is_unique():
        async with in_transaction() as connection:
            if not await login_codes.use(connection, attempt, _now(services)):
                raise _invalid("code" if via == "code" else "token")
            created = member is None
            if member is None:
                member = await _create(services, connection, caller, settings, attempt.email)
            confirming = not member.email_verified
            values: dict[str, Any] = {"last_login_at": services.clock.now(), "updated_at": datetime.now(timezone.utc)}
            if confirming:
                values.update(email_verified=True, confirm_jti=None)
            await change(member, connection, **values)
            if confirming:
                await claim_contact(connection, member)
            confirmed = created or confirming
            data: dict[str, Any] = {"via": via, "created": created, "confirmed": confirmed}
            if member.status is MemberStatus.PENDING:
                await record(services, connection, caller, member.id, EventKind.LOGGED_IN_WITH_CODE, **data)
                return None
            # A member with a second factor is asked for it next (gql/domain/mfa.py): the code
            # proved the mailbox, which is the first factor.
            grant = await sign_in(
                services, caller, member, SessionMethod.CODE, refuse_when_full=True, connection=connection
            )
            session = {"sessionId": str(grant.session.id)} if isinstance(grant, SessionGrant) else {"mfa": True}
            await record(services, connection, caller, member.id, EventKind.LOGGED_IN_WITH_CODE, **session, **data)
            return grant


async def _create(
    services: Services, connection: BaseDBAsyncClient, caller: Caller, settings: RegistrationSettings, address: str
) -> Member:
    """A member for an address the code proved: approved or pending as the settings say, its
    email confirmed, no password (it may set one with requestPasswordReset)."""
    email_key = normalise(address)
    automatic = settings.approval is ApprovalMode.AUTOMATIC
    fields = MemberFields(
        identity=email_key,
        login_email=address,
        email_key=email_key,
        password_hash=None,
        status=MemberStatus.APPROVED if automatic else MemberStatus.PENDING,
        privacy_status=PrivacyStatus.PRIVATE,
        nickname=nickname_for(None, None, address, address),
        approval_jti=None if automatic else new_jti(),
        email_verified=True,
        claims_contact=True,
    )
    contact = await save_contact(connection, None, email_key, ContactInfo(), {})
    member = await insert_member(connection, contact, fields)
    await claim_contact(connection, member)
    if member.status is MemberStatus.PENDING:
        await notify_admins_of_pending(services, connection)
    await record(services, connection, caller, member.id, EventKind.REGISTERED, fromGuest=False, passwordless=True)
    return member
