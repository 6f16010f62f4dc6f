"""Passkeys (WebAuthn Level 2/3, verified by py_webauthn): registering, signing in without a
password, proving the second factor, renaming and deleting.

- A ceremony starts with a random challenge stored as a ``passkey_challenge`` row (what it is
  for, the member it is bound to, until when: ``PASSKEY_CHALLENGE_LIFETIME``) and the options the
  browser hands to ``navigator.credentials.create``/``get`` (``options_to_json``). Finishing
  deletes the row first — of two requests with one challenge, one deletes it and the other is
  refused — so a challenge works once, in any process.
- The relying-party id, its name and the origins a ceremony may come from are settings
  (``Config.passkey_rp_id``, ``passkey_rp_name``, ``passkey_origins``).
- A passkey row keeps the credential id and COSE public key (base64url), the newest signature
  counter (an assertion whose counter does not increase, when either is non-zero, is refused as a
  cloned authenticator; the counter moves by a conditional UPDATE), the transports and the backup
  flags, a name and its dates.
- ``startPasskeyLogin``/``finishPasskeyLogin``: a sign-in without a password. User verification is
  required, and a passkey with user verification is multi-factor by itself: the session opens
  directly (method PASSKEY, second factor PASSKEY). Without an email the browser offers the
  discoverable credentials it holds for the site.
- ``startPasskeyMfa(mfaToken)`` and ``verifyMfa(mfaToken, credential)`` (gql/domain/mfa.py): a
  passkey as the second factor after a password (or any other first factor).
- Every failure of a ceremony answers 3245 alike. Having a passkey turns ``mfa_enabled`` on
  (gql/domain/factors.py). Deleting the member's last way in (no password, no external identity,
  no other passkey) is refused with 3224.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from gql.db.models import ExternalIdentity, Member, MfaChallenge, Passkey, PasskeyChallenge
from gql.db.transactions import in_transaction
from gql.domain import access, factors
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import normalise
from gql.domain.lookup import find_by_id
from gql.domain.mfa_policy import require_recent_second_factor
from gql.domain.permissions import Permission
from gql.domain.policy import PASSKEY_CHALLENGE_LIFETIME, PASSKEY_NAME_LENGTH
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.sessions import (
    SessionGrant,
    sign_in,
    sign_in_refusal,
    token_hash,
    token_shaped,
)
from gql.domain.statuses import SecondFactor, SessionMethod

REGISTRATION, LOGIN, MFA, STEP_UP, NOBODY = "REGISTRATION", "LOGIN", "MFA", "STEP_UP", "NOBODY"
_CHALLENGE_BYTES = 32
_TIMEOUT_MS = int(PASSKEY_CHALLENGE_LIFETIME.total_seconds() * 1000)


@dataclass(frozen=True)
class PasskeyRecord:
    """A passkey as the domain hands it out (never its key material)."""

    id: uuid.UUID
    member_id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backup_eligible: bool
    backed_up: bool

    @classmethod
    def of(cls, row: Passkey) -> PasskeyRecord:
        return cls(
            id=row.id,
            member_id=row.member_id,  # type: ignore[attr-defined]
            name=row.name,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            backup_eligible=row.backup_eligible,
            backed_up=row.backed_up,
        )


@dataclass(frozen=True)
class PasskeyLoginStart:
    """What ``startPasskeyLogin`` answers: the options for ``navigator.credentials.get`` and the
    challenge's id, which ``finishPasskeyLogin`` names."""

    options: str
    challenge_id: uuid.UUID


def _invalid(message: str | None = None) -> DomainError:
    return DomainError(ErrorCode.PASSKEY_INVALID, message, property="credential")


def _not_found() -> DomainError:
    return DomainError(ErrorCode.PASSKEY_NOT_FOUND, property="id")


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > PASSKEY_NAME_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            f"A passkey's name has 1 to {PASSKEY_NAME_LENGTH} characters.",
            property="name",
        )
    return name


async def _member(caller: Caller) -> Member:
    member = await find_by_id(caller.require_member())
    if member is None:
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    if member.is_guest:
        raise DomainError(ErrorCode.FACTOR_STATE, "A guest has no passkeys: register first.")
    return member


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    known = {transport.value for transport in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(t) for t in passkey.transports if t in known] or None,
        )
        for passkey in passkeys
    ]


async def _new_challenge(
    services: Services,
    purpose: str,
    member_id: uuid.UUID | None = None,
    mfa_challenge_id: uuid.UUID | None = None,
) -> tuple[PasskeyChallenge, bytes]:
    now = services.clock.now()
    if services.session_sweep.due(services.clock.time()):
        await PasskeyChallenge.filter(expires_at__lte=now).delete()
    challenge = secrets.token_bytes(_CHALLENGE_BYTES)
    row = await PasskeyChallenge.create(
        challenge=bytes_to_base64url(challenge),
        purpose=purpose,
        member_id=member_id,
        mfa_challenge_id=mfa_challenge_id,
        expires_at=now + PASSKEY_CHALLENGE_LIFETIME,
    )
    return row, challenge


async def _consume(services: Services, row: PasskeyChallenge | None) -> bytes:
    """The challenge of ``row``, used up now (a delete count of one); 3245 for a missing, expired or
    already used one."""
    if row is None or row.expires_at <= services.clock.now():
        raise _invalid("The passkey challenge is unknown, used or expired: start again.")
    if not await PasskeyChallenge.filter(id=row.id).delete():
        raise _invalid("The passkey challenge is unknown, used or expired: start again.")
    return base64url_to_bytes(row.challenge)


def _challenge_of(client_data_json: bytes) -> str:
    """The challenge a response's client data names (verified afterwards with the rest)."""
    try:
        return bytes_to_base64url(parse_client_data_json(client_data_json).challenge)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise _invalid("The credential's client data is malformed.") from error


def _parse_assertion(credential: str) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise _invalid("The credential is not a WebAuthn assertion (PublicKeyCredential JSON).") from error


# --- registration --------------------------------------------------------------------------


async def start_registration(services: Services, caller: Caller) -> str:
    """Options for ``navigator.credentials.create`` (JSON), bound to the signed-in member."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    # A member with a factor adds one only from a session that proved a factor lately (3244): no session
    # that never proved one promotes itself with a passkey of its own (gql/domain/mfa_policy.py).
    require_recent_second_factor(services, caller, member)
    existing = await Passkey.filter(member_id=member.id)
    _, challenge = await _new_challenge(services, REGISTRATION, member.id)
    options = generate_registration_options(
        rp_id=services.config.passkey_rp_id,
        rp_name=services.config.passkey_rp_name,
        user_name=member.login_email or member.nickname,
        user_id=member.id.bytes,  # the user handle: nothing personal
        user_display_name=member.nickname,
        challenge=challenge,
        timeout=_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return options_to_json(options)


async def finish_registration(services: Services, caller: Caller, credential: str, name: str) -> PasskeyRecord:
    """Store the credential ``navigator.credentials.create`` made for a challenge of this member."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    name = _checked_name(name)
    try:
        parsed = parse_registration_credential_json(credential)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise _invalid("The credential is not a WebAuthn registration (PublicKeyCredential JSON).") from error
    row = await PasskeyChallenge.filter(
        challenge=_challenge_of(parsed.response.client_data_json), purpose=REGISTRATION, member_id=member.id
    ).first()
    expected = await _consume(services, row)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=services.config.passkey_rp_id,
            expected_origin=list(services.config.passkey_origins),
        )
    except WebAuthnException as error:
        raise _invalid(f"Passkey registration failed: {error}") from error
    now = services.clock.now()
    async with in_transaction() as connection:
        try:
            passkey = await Passkey.create(
                member_id=member.id,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=bytes_to_base64url(verified.credential_public_key),
                sign_count=verified.sign_count,
                transports=[transport.value for transport in parsed.response.transports or []],
                backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                backed_up=verified.credential_backed_up,
                name=name,
                created_at=now,
                using_db=connection,
            )
        except IntegrityError:
            raise _invalid("This passkey is registered already.") from None
        await factors.settle(services, member, connection)
        await record(
            services, connection, caller, member.id, EventKind.PASSKEY_ADDED, passkeyId=str(passkey.id), name=name
        )
    return PasskeyRecord.of(passkey)


# --- assertions ----------------------------------------------------------------------------


async def _verify_assertion(
    services: Services, parsed: AuthenticationCredential, passkey: Passkey, expected: bytes, *, uv: bool
) -> None:
    """Check the assertion against the stored key and counter, then move the counter (a conditional
    UPDATE: of two assertions with one counter value, one wins)."""
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=expected,
            expected_rp_id=services.config.passkey_rp_id,
            expected_origin=list(services.config.passkey_origins),
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=uv,
        )
    except WebAuthnException as error:
        raise _invalid(f"Passkey verification failed: {error}") from error
    moved = await Passkey.filter(id=passkey.id, sign_count=passkey.sign_count).update(
        sign_count=verified.new_sign_count,
        backed_up=verified.credential_backed_up,
        last_used_at=services.clock.now(),
    )
    if not moved:
        raise _invalid("The passkey was used concurrently: its signature counter moved.")


async def start_login(services: Services, caller: Caller, email: str | None) -> PasskeyLoginStart:
    """Options for ``navigator.credentials.get``: the passkeys of the member with ``email`` (only they
    can finish it), or, without one, whatever discoverable passkey the browser holds."""
    await services.rate_limits.take("login", caller)
    named = bool(email and email.strip())
    member = await Member.filter(email_key=normalise(email or "")).first() if named else None
    passkeys = await Passkey.filter(member_id=member.id) if member is not None else []
    # Bound to the named member; an address no member has gets a challenge nothing can finish (and the
    # same answer as a member without passkeys: no credentials allowed).
    purpose = LOGIN if member is not None or not named else NOBODY
    row, challenge = await _new_challenge(services, purpose, member.id if member is not None else None)
    options = generate_authentication_options(
        rp_id=services.config.passkey_rp_id,
        challenge=challenge,
        timeout=_TIMEOUT_MS,
        allow_credentials=_descriptors(passkeys),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return PasskeyLoginStart(options=options_to_json(options), challenge_id=row.id)


async def finish_login(services: Services, caller: Caller, challenge_id: str, credential: str) -> SessionGrant:
    """A session for the member whose passkey answered the challenge, with user verification."""
    await services.rate_limits.take("login", caller)
    parsed = _parse_assertion(credential)
    try:
        row = await PasskeyChallenge.filter(id=uuid.UUID(challenge_id), purpose=LOGIN).first()
    except ValueError:
        row = None
    expected = await _consume(services, row)
    assert row is not None
    passkey = await Passkey.filter(credential_id=parsed.id).select_related("member__contact").first()
    if passkey is None or (row.member_id is not None and passkey.member_id != row.member_id):  # type: ignore[attr-defined]
        raise _invalid("No passkey of this member has that credential id.")
    member: Member = passkey.member
    handle = parsed.response.user_handle
    if handle is not None and handle != member.id.bytes:
        raise _invalid("The passkey's user handle is not its member's.")
    await _verify_assertion(services, parsed, passkey, expected, uv=True)
    refusal = sign_in_refusal(member)
    if refusal is not None:
        raise refusal
    async with in_transaction() as connection:
        grant = await sign_in(
            services,
            caller,
            member,
            SessionMethod.PASSKEY,
            refuse_when_full=True,
            second_factor=SecondFactor.PASSKEY,
            connection=connection,
        )
    assert isinstance(grant, SessionGrant)  # the passkey was the second factor: no MFA step
    return grant


async def _live_mfa_challenge(services: Services, mfa_token: str) -> MfaChallenge:
    challenge = (
        await MfaChallenge.filter(token_hash=token_hash(mfa_token), expires_at__gt=services.clock.now()).first()
        if token_shaped(mfa_token)
        else None
    )
    if challenge is None:
        raise DomainError(ErrorCode.MFA_TOKEN_INVALID, property="mfaToken")
    return challenge


async def start_mfa(services: Services, caller: Caller, mfa_token: str) -> str:
    """Options for ``navigator.credentials.get`` to prove the second factor of a waiting sign-in."""
    await services.rate_limits.take("login", caller)
    challenge = await _live_mfa_challenge(services, mfa_token)
    return await _second_factor_options(services, challenge.member_id, MFA, challenge.id)  # type: ignore[attr-defined]


async def _second_factor_options(
    services: Services, member_id: uuid.UUID, purpose: str, mfa_challenge_id: uuid.UUID | None = None
) -> str:
    """Options asking for one of the member's passkeys as a second factor (the MFA step or a step-up);
    3242 when it has none."""
    passkeys = await Passkey.filter(member_id=member_id)
    if not passkeys:
        raise DomainError(ErrorCode.FACTOR_STATE, "This member has no passkey.")
    _, nonce = await _new_challenge(services, purpose, member_id, mfa_challenge_id)
    options = generate_authentication_options(
        rp_id=services.config.passkey_rp_id,
        challenge=nonce,
        timeout=_TIMEOUT_MS,
        allow_credentials=_descriptors(passkeys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


async def start_reauthentication(services: Services, caller: Caller) -> str:
    """Options for ``navigator.credentials.get`` to prove a passkey again in this session (a step-up:
    ``reauthenticate(credential)``)."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    return await _second_factor_options(services, member.id, STEP_UP)


async def prove(
    services: Services, member: Member, credential: str, mfa_challenge_id: uuid.UUID | None = None
) -> SecondFactor:
    """The passkey factor, once ``credential`` answers a challenge of this member with one of its
    passkeys: a startPasskeyMfa challenge of the sign-in ``mfa_challenge_id``, else a
    startPasskeyReauthentication one; 3245 otherwise."""
    parsed = _parse_assertion(credential)
    row = await PasskeyChallenge.filter(
        challenge=_challenge_of(parsed.response.client_data_json),
        purpose=MFA if mfa_challenge_id is not None else STEP_UP,
        member_id=member.id,
        mfa_challenge_id=mfa_challenge_id,
    ).first()
    expected = await _consume(services, row)
    passkey = await Passkey.filter(credential_id=parsed.id, member_id=member.id).first()
    if passkey is None:
        raise _invalid("No passkey of this member has that credential id.")
    await _verify_assertion(services, parsed, passkey, expected, uv=False)
    return SecondFactor.PASSKEY


# --- managing ------------------------------------------------------------------------------


async def _own(member: Member, passkey_id: str) -> Passkey:
    try:
        key = uuid.UUID(passkey_id)
    except ValueError:
        raise _not_found() from None
    passkey = await Passkey.filter(id=key, member_id=member.id).first()
    if passkey is None:
        raise _not_found()
    return passkey


async def rename(services: Services, caller: Caller, passkey_id: str, name: str) -> PasskeyRecord:
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    name = _checked_name(name)
    passkey = await _own(member, passkey_id)
    async with in_transaction() as connection:
        await Passkey.filter(id=passkey.id).using_db(connection).update(name=name)
        passkey.name = name
        await record(
            services, connection, caller, member.id, EventKind.PASSKEY_RENAMED, passkeyId=str(passkey.id), name=name
        )
    return PasskeyRecord.of(passkey)


async def delete(services: Services, caller: Caller, passkey_id: str) -> MemberRecord:
    """Delete one of the caller's passkeys; 3224 when it is the member's last way in."""
    await services.rate_limits.take("secondFactor", caller)
    member = await _member(caller)
    passkey = await _own(member, passkey_id)
    async with in_transaction() as connection:
        # The member's row lock makes two deletions of one member take turns (neither removes the other's last way in).
        await Member.filter(id=member.id).using_db(connection).select_for_update().values_list("id", flat=True)
        if not await Passkey.filter(id=passkey.id).using_db(connection).exists():
            raise _not_found()
        others = await Passkey.filter(member_id=member.id).exclude(id=passkey.id).using_db(connection).exists()
        identities = await ExternalIdentity.filter(member_id=member.id).using_db(connection).exists()
        if member.password_hash is None and not identities and not others:
            raise DomainError(
                ErrorCode.LAST_SIGN_IN_METHOD,
                "This passkey is the member's last way to sign in: set a password (requestPasswordReset), link a "
                "provider or add another passkey first.",
                property="id",
            )
        await Passkey.filter(id=passkey.id).using_db(connection).delete()
        await factors.settle(services, member, connection)
        await record(
            services,
            connection,
            caller,
            member.id,
            EventKind.PASSKEY_REMOVED,
            passkeyId=str(passkey.id),
            name=passkey.name,
        )
    return MemberRecord.of(member)


async def passkeys_of(caller: Caller, member_id: uuid.UUID) -> list[PasskeyRecord] | None:
    """A member's passkeys, to itself and to the backend (a key holding MEMBERS_READ); None to others."""
    if not caller.is_member(member_id) and not (
        caller.is_backend and await access.can(caller, Permission.MEMBERS_READ)
    ):
        return None
    rows = await Passkey.filter(member_id=member_id).order_by("created_at", "id")
    return [PasskeyRecord.of(row) for row in rows]
