"""Trusted sign-in (Wix ``generateSessionToken``, Backendless's login by id): a caller that
holds MEMBERS_CREATE and SESSIONS_MANAGE — the site's backend, after a third party (its own
identity provider, a partner) authenticated somebody — opens a session for the member with
that email, creating the member when there is none.

- A member created this way is APPROVED (whatever the approval mode) and has no password: no
  password hash is stored, so no password matches it (login answers 3003 as for a wrong one,
  and every check still costs one hash); it may set one later with ``requestPasswordReset``.
- Its email counts as verified: the trusted caller vouches that the person controls it. So it
  needs no confirmation link even with confirmation on, and, like a member that proved its
  address by a link, it takes over the site's unowned contact of that address
  (gql/domain/contacts.py). An existing member still waiting for confirmation is confirmed
  the same way.
- A blocked member is refused (3000), a pending one (3204): trusted sign-in does not approve.
- Every sign-in is audited (``TRUSTED_SIGN_IN``, with ``created`` and ``confirmed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.contacts import ContactInfo, claim_contact, save_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import checked_email, identity_is_unique, normalise
from gql.domain.lookup import find_by_email
from gql.domain.permissions import Permission
from gql.domain.profiles import nickname_for
from gql.domain.registration import MemberFields, insert_member
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, open_session
from gql.domain.statuses import MemberStatus, PrivacyStatus, SessionMethod


@dataclass(frozen=True)
class TrustedSignIn:
    """A session for the member, and whether this sign-in created it."""

    grant: SessionGrant
    created: bool


async def generate_session_token(services: Services, caller: Caller, email: str) -> TrustedSignIn:
    await access.require(caller, Permission.MEMBERS_CREATE, Permission.SESSIONS_MANAGE)
    address = checked_email(email)
    for _attempt in range(_ATTEMPTS):
        member = await find_by_email(address)
        if member is not None:
            await _sign_in_existing(services, caller, member)
            return TrustedSignIn(await open_session(services, caller, member, SessionMethod.TRUSTED), created=False)
        try:
            member = await _create(services, caller, address)
        except DomainError as exc:
            if exc.code is not ErrorCode.IDENTITY_TAKEN:
                raise
            continue  # a concurrent call (or a registration) created it first: sign that member in
        return TrustedSignIn(await open_session(services, caller, member, SessionMethod.TRUSTED), created=True)
    # Created by another call and deleted again, each time: rare enough to be worth a retry by the caller.
    raise DomainError(ErrorCode.REGISTRATION_ERROR, "The member changed while signing it in; try again.")


_ATTEMPTS = 3


async def _create(services: Services, caller: Caller, address: str) -> Member:
    settings = await services.registration_settings.get()
    if not settings.identity_is_email:
        raise DomainError(
            ErrorCode.REGISTRATION_ERROR,
            "generateSessionToken creates members only while the email is the identity property.",
            property="email",
        )
    email_key = normalise(address)
    fields = MemberFields(
        identity=email_key,
        login_email=address,
        email_key=email_key,
        password_hash=None,
        status=MemberStatus.APPROVED,
        privacy_status=PrivacyStatus.PRIVATE,
        nickname=nickname_for(None, None, address, address),
        email_verified=True,
        claims_contact=True,
    )
    with identity_is_unique():
        async with in_transaction() as connection:
            contact = await save_contact(connection, None, email_key, ContactInfo(), {})
            member = await insert_member(connection, contact, fields)
            await claim_contact(connection, member)
            await _audit(services, connection, caller, member, created=True, confirmed=True)
    return member


async def _sign_in_existing(services: Services, caller: Caller, member: Member) -> None:
    if member.status is MemberStatus.BLOCKED:
        raise DomainError(ErrorCode.LOGIN_DISABLED)
    if member.status is MemberStatus.PENDING:
        raise DomainError(ErrorCode.PENDING_APPROVAL)
    async with in_transaction() as connection:
        confirmed = not member.email_verified
        if confirmed:
            await change(
                member, connection, email_verified=True, confirm_jti=None, updated_at=datetime.now(timezone.utc)
            )
            await claim_contact(connection, member)
        await _audit(services, connection, caller, member, created=False, confirmed=confirmed)


async def _audit(
    services: Services,
    connection: BaseDBAsyncClient,
    caller: Caller,
    member: Member,
    *,
    created: bool,
    confirmed: bool,
) -> None:
    await record(
        services, connection, caller, member.id, EventKind.TRUSTED_SIGN_IN, created=created, confirmed=confirmed
    )
