"""External sign-in (OpenID Connect authorization code flow with PKCE, state and nonce; plain
OAuth 2.0 with PKCE and state), linking and unlinking provider accounts.

- ``startExternalLogin(provider, redirectUri, guestId)``: the redirect URI must be one of
  ``MEMBERS_EXTERNAL_REDIRECT_URIS`` (3225). A random state, PKCE verifier and nonce are made; the
  state row (``external_login_state``, shared by every process) keeps the state's SHA-256, the
  verifier, the nonce, the redirect URI, the guest to convert and the member whose session
  started it, for ``EXTERNAL_STATE_LIFETIME``.
- ``completeExternalLogin(state, code)`` / ``linkExternalIdentity(state, code)``: the state row is
  taken by one DELETE … RETURNING (a replay, an expired or unknown state: 3221); the code is
  exchanged with the client secret and the verifier, and the answer verified
  (gql/domain/external_providers.py; 3222).
- **Identity matching** at sign-in: a linked (provider, subject) signs its member in. Else a member
  with the same email is linked automatically only when the provider asserts ``email_verified``
  *and* is configured ``trustVerifiedEmail``; otherwise 3223 (sign in and link). Else a new member,
  when the provider allows sign-up and registration is enabled (3009 otherwise), following the
  registration settings: the approval mode (manual: the member is created PENDING and the answer
  is 3204), email confirmation unless the provider's verified email is trusted. A state started
  with ``guestId`` turns that guest into the new member, keeping its id.
- Who may hold a session is ``sessions.sign_in_refusal`` as for every way in (blocked: 3000).
- **Linking**: only the member whose session started the state (3221 otherwise: a state handed to
  someone else links nothing). One provider identity belongs to at most one member (a unique
  index; 3226). **Unlinking** is refused when it would leave no way to sign in (3224).
- Members holding a linked identity hold the computed role ``SocialUser`` (gql/db/grants.py).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from gql.db import external_states
from gql.db.models import ExternalIdentity, ExternalLoginState, ExternalProvider, Member, Passkey
from gql.db.transactions import in_transaction
from gql.domain import access, guests
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.confirmation import send_confirmation
from gql.domain.contacts import ContactInfo, claim_contact, save_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.external_providers import ExternalProfile, authorization_url, client_assertion, provider_named
from gql.domain.identity import identity_is_unique, normalise
from gql.domain.lookup import find_by_email, find_by_id, member_by_id
from gql.domain.outbox import notify_admins_of_pending
from gql.domain.permissions import Permission
from gql.domain.policy import EXTERNAL_STATE_LIFETIME
from gql.domain.profiles import nickname_for
from gql.domain.properties import check_custom_fields
from gql.domain.records import MemberRecord
from gql.domain.registration import MemberFields, insert_member
from gql.domain.services import Services
from gql.domain.sessions import MfaChallengeGrant, SessionGrant, sign_in, sign_in_refusal
from gql.domain.statuses import ApprovalMode, MemberStatus, PrivacyStatus, SessionMethod
from gql.domain.tokens import new_jti


@dataclass(frozen=True)
class ExternalStart:
    """Where to send the browser, and the state the provider hands back with the code."""

    authorization_url: str
    state: str
    expires_at: datetime


@dataclass(frozen=True)
class IdentityRecord:
    """A member's link to a provider account."""

    id: uuid.UUID
    member_id: uuid.UUID
    provider: str
    subject: str
    email: str | None
    linked_at: datetime

    @classmethod
    def of(cls, row: ExternalIdentity) -> IdentityRecord:
        return cls(row.id, row.member_id, row.provider, row.subject, row.email, row.linked_at)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ExternalSignIn:
    """A session (or, for a member with a second factor, the challenge verifyMfa answers), and
    whether the sign-in created the member or linked the identity."""

    grant: SessionGrant | MfaChallengeGrant
    created: bool
    linked: bool


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _state_invalid() -> DomainError:
    return DomainError(
        ErrorCode.EXTERNAL_STATE_INVALID, "This external sign-in state is unknown, used or expired.", property="state"
    )


# --- start -------------------------------------------------------------------------------------


async def start_external_login(
    services: Services, caller: Caller, provider_name: str, redirect_uri: str, guest_id: str | None
) -> ExternalStart:
    await services.rate_limits.take("externalLogin", caller)
    provider = await provider_named(provider_name)
    if redirect_uri not in services.config.external_redirect_uris:
        raise DomainError(ErrorCode.REDIRECT_URI_NOT_ALLOWED, property="redirectUri")
    guest = await guests.convertible(caller, guest_id) if guest_id is not None else None
    endpoints = await services.external.endpoints(provider, services.clock.time())
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(24)
    now = services.clock.now()
    expires = now + EXTERNAL_STATE_LIFETIME
    await ExternalLoginState.filter(expires_at__lte=now).delete()  # the index keeps this cheap
    await ExternalLoginState.create(
        state_hash=_state_hash(state),
        provider=provider.name,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        nonce=nonce,
        guest_id=guest.id if guest is not None else None,
        member_id=caller.member_id if caller.member_id is not None and guest is None else None,
        created_at=now,
        expires_at=expires,
    )
    url = authorization_url(provider, endpoints, redirect_uri, state, nonce, verifier)
    return ExternalStart(url, state, expires)


# --- the provider's answer ---------------------------------------------------------------------


async def _answer(
    services: Services, state: str, code: str
) -> tuple[dict[str, Any], ExternalProvider, ExternalProfile]:
    """The state taken (once), its provider, and who signed in there."""
    taken = await external_states.take(_state_hash(state)) if state else None
    if taken is None or taken["expires_at"] <= services.clock.now():
        raise _state_invalid()
    provider = await provider_named(taken["provider"])
    if not code:
        raise DomainError(ErrorCode.EXTERNAL_ANSWER_INVALID, "The code is empty.", property="code")
    profile = await services.external.authenticate(
        provider,
        code,
        taken["redirect_uri"],
        taken["code_verifier"],
        taken["nonce"],
        services.clock.time(),
        partial(client_assertion, services),
    )
    return taken, provider, profile


async def _link(
    services: Services,
    caller: Caller,
    member: Member,
    provider: ExternalProvider,
    profile: ExternalProfile,
    connection: BaseDBAsyncClient,
    **data: Any,
) -> ExternalIdentity:
    """A new link; 3226 when that provider identity is linked already (the unique index decides)."""
    try:
        identity = await ExternalIdentity.create(
            member_id=member.id,
            provider=provider.name,
            subject=profile.subject,
            email=profile.email,
            linked_at=services.clock.now(),
            using_db=connection,
        )
    except IntegrityError:  # the transaction rolls back with the error
        raise DomainError(ErrorCode.IDENTITY_LINKED_ELSEWHERE, property="code") from None
    await record(
        services,
        connection,
        caller,
        member.id,
        EventKind.EXTERNAL_IDENTITY_LINKED,
        provider=provider.name,
        subject=profile.subject,
        **data,
    )
    return identity


async def _sign_in(
    services: Services, caller: Caller, member: Member, provider: ExternalProvider, *, created: bool, linked: bool
) -> ExternalSignIn:
    refusal = sign_in_refusal(member)
    if refusal is not None:
        raise refusal
    async with in_transaction() as connection:
        member.last_login_at = services.clock.now()
        await Member.filter(id=member.id).using_db(connection).update(last_login_at=member.last_login_at)
        await record(services, connection, caller, member.id, EventKind.EXTERNAL_SIGN_IN, provider=provider.name)
        grant = await sign_in(services, caller, member, SessionMethod.EXTERNAL, connection=connection)
    return ExternalSignIn(grant, created=created, linked=linked)


async def complete_external_login(services: Services, caller: Caller, state: str, code: str) -> ExternalSignIn:
    await services.rate_limits.take("externalLogin", caller)
    taken, provider, profile = await _answer(services, state, code)
    try:
        return await _match(services, caller, provider, profile, taken["guest_id"])
    except DomainError as exc:
        if exc.code not in (ErrorCode.IDENTITY_TAKEN, ErrorCode.IDENTITY_LINKED_ELSEWHERE):
            raise
    # Another request created or linked this provider account (or a member took the email) between
    # our look-up and our write, e.g. two first sign-ins of one account at once: match again,
    # which now finds what the other request wrote. An email taken by a member without the link
    # is the "sign in and link" case.
    try:
        return await _match(services, caller, provider, profile, taken["guest_id"])
    except DomainError as exc:
        if exc.code is ErrorCode.IDENTITY_TAKEN:
            raise _link_required() from None
        raise


def _link_required() -> DomainError:
    return DomainError(
        ErrorCode.EXTERNAL_LINK_REQUIRED,
        "A member with this email exists: sign in as that member, then link this provider "
        "(startExternalLogin with the member's session, then linkExternalIdentity).",
        property="email",
    )


async def _match(
    services: Services,
    caller: Caller,
    provider: ExternalProvider,
    profile: ExternalProfile,
    guest_id: uuid.UUID | None,
) -> ExternalSignIn:
    """Sign in the member linked to the provider account, or link or create one (issue 14 §2)."""
    existing = (
        await ExternalIdentity.filter(provider=provider.name, subject=profile.subject)
        .select_related("member__contact")
        .first()
    )
    if existing is not None:
        if profile.email and existing.email != profile.email:
            await ExternalIdentity.filter(id=existing.id).update(email=profile.email)
        return await _sign_in(services, caller, existing.member, provider, created=False, linked=False)
    if profile.email:
        same_email = await find_by_email(profile.email)
        if same_email is not None:
            if not (profile.email_verified and provider.trust_verified_email):
                raise _link_required()
            async with in_transaction() as connection:
                await _link(services, caller, same_email, provider, profile, connection, automatic=True)
                if not same_email.email_verified:
                    # The trusted provider vouches for the address, as an emailed link would.
                    await change(
                        same_email, connection, email_verified=True, confirm_jti=None, updated_at=services.clock.now()
                    )
                    await claim_contact(connection, same_email)
            return await _sign_in(services, caller, same_email, provider, created=False, linked=True)
    member = await _sign_up(services, caller, provider, profile, guest_id)
    return await _sign_in(services, caller, member, provider, created=True, linked=True)


async def _sign_up(
    services: Services,
    caller: Caller,
    provider: ExternalProvider,
    profile: ExternalProfile,
    guest_id: uuid.UUID | None,
) -> Member:
    settings = await services.registration_settings.get()
    if not provider.allow_signup or not settings.enabled:
        raise DomainError(
            ErrorCode.REGISTRATION_DISABLED,
            "No member is linked to this provider account, and signing up through this provider is not allowed.",
        )
    if profile.email is None:
        raise DomainError(
            ErrorCode.EMAIL_REQUIRED, "The provider shared no email address: a new member needs one.", property="email"
        )
    if not settings.identity_is_email:
        raise DomainError(
            ErrorCode.REGISTRATION_ERROR,
            "External sign-up creates members only while the email is the identity property.",
            property="email",
        )
    # The provider's claims fill the custom fields its mapping names, under the registration
    # settings' rules (declared, required, lengths), as a registration's customFields would.
    custom = check_custom_fields(settings, profile.custom_fields)
    trusted = profile.email_verified and provider.trust_verified_email
    automatic = settings.approval is ApprovalMode.AUTOMATIC
    email_key = normalise(profile.email)
    fields = MemberFields(
        identity=email_key,
        login_email=profile.email,
        email_key=email_key,
        password_hash=None,
        status=MemberStatus.APPROVED if automatic else MemberStatus.PENDING,
        privacy_status=PrivacyStatus.PRIVATE,
        nickname=profile.name or nickname_for(None, None, profile.email, profile.email),
        approval_jti=None if automatic else new_jti(),
        confirm_jti=new_jti() if settings.email_confirmation and not trusted else None,
        email_verified=trusted,
        claims_contact=True,
    )
    # Re-checked now: the guest may have been converted since the state was made.
    guest = await Member.filter(id=guest_id, is_guest=True).select_related("contact").first() if guest_id else None
    if guest_id is not None and guest is None:
        raise DomainError(ErrorCode.NOT_CONVERTIBLE, "This guest was already converted.", property="guestId")
    with identity_is_unique(message="A member with this email exists: sign in as that member and link the provider."):
        async with in_transaction() as connection:
            if guest is None:
                contact = await save_contact(connection, None, email_key, ContactInfo(), custom)
                member = await insert_member(connection, contact, fields)
            else:
                member = await guests.convert(connection, guest, fields)
                await save_contact(connection, guest.contact, email_key, ContactInfo(), custom)
            if trusted:
                await claim_contact(connection, member)
            if member.confirm_jti:
                await send_confirmation(services, connection, member)
            if member.status is MemberStatus.PENDING:
                await notify_admins_of_pending(services, connection)
            await record(
                services,
                connection,
                caller,
                member.id,
                EventKind.REGISTERED,
                fromGuest=guest is not None,
                provider=provider.name,
            )
            await _link(services, caller, member, provider, profile, connection)
    return member


# --- linking -----------------------------------------------------------------------------------


async def link_external_identity(services: Services, caller: Caller, state: str, code: str) -> IdentityRecord:
    member_id = caller.require_member()
    await services.rate_limits.take("externalLogin", caller)
    taken, provider, profile = await _answer(services, state, code)
    if taken["member_id"] != member_id:
        raise _state_invalid()
    member = await member_by_id(member_id)
    mine = await ExternalIdentity.filter(provider=provider.name, subject=profile.subject, member_id=member_id).first()
    if mine is not None:
        return IdentityRecord.of(mine)  # linked already: nothing to do
    async with in_transaction() as connection:
        identity = await _link(services, caller, member, provider, profile, connection)
    return IdentityRecord.of(identity)


async def unlink_external_identity(services: Services, caller: Caller, provider_name: str) -> MemberRecord:
    member_id = caller.require_member()
    async with in_transaction() as connection:
        # The member's row lock makes two unlinks of one member take turns (neither removes the other's last way in).
        locked = await Member.filter(id=member_id).using_db(connection).select_for_update().values_list("id", flat=True)
        member = await find_by_id(member_id, connection)
        if not locked or member is None:
            raise DomainError(ErrorCode.NOT_LOGGED_IN)
        identities = await ExternalIdentity.filter(member_id=member_id).using_db(connection)
        mine = [identity for identity in identities if identity.provider == provider_name]
        if not mine:
            raise DomainError(
                ErrorCode.UNKNOWN_PROVIDER, "No identity of that provider is linked.", property="provider"
            )
        if (
            member.password_hash is None
            and len(identities) == len(mine)
            and not await Passkey.filter(member_id=member_id).using_db(connection).exists()
        ):
            raise DomainError(
                ErrorCode.LAST_SIGN_IN_METHOD,
                "This is the member's last way to sign in: set a password (requestPasswordReset), link another "
                "provider or add a passkey first.",
                property="provider",
            )
        for identity in mine:
            await ExternalIdentity.filter(id=identity.id).using_db(connection).delete()
            await record(
                services,
                connection,
                caller,
                member_id,
                EventKind.EXTERNAL_IDENTITY_UNLINKED,
                provider=identity.provider,
                subject=identity.subject,
            )
    return MemberRecord.of(member)


async def identities_of(caller: Caller, member_id: uuid.UUID) -> list[IdentityRecord] | None:
    """A member's linked identities, to itself and to the backend (a key holding MEMBERS_READ); None to others."""
    if not caller.is_member(member_id) and not (
        caller.is_backend and await access.can(caller, Permission.MEMBERS_READ)
    ):
        return None
    rows = await ExternalIdentity.filter(member_id=member_id).order_by("linked_at", "id")
    return [IdentityRecord.of(row) for row in rows]
