"""Guests (Backendless): a member without email or password, signed in at once, and later
converted into a registered member by ``register(options: {guestId})``, keeping its id."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.db.models import Contact, Member
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.lookup import find_by_id
from gql.domain.permissions import Permission
from gql.domain.profiles import with_free_slug
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, open_session
from gql.domain.statuses import MemberStatus, PrivacyStatus, SessionMethod

if TYPE_CHECKING:
    from gql.domain.registration import MemberFields


async def login_as_guest(services: Services, caller: Caller) -> SessionGrant:
    await services.rate_limits.take("loginAsGuest", caller)
    if not (await services.registration_settings.get()).enabled:
        raise DomainError(ErrorCode.REGISTRATION_DISABLED, "Registration is disabled, and guests with it.")
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        contact = await Contact.create(using_db=connection)
        member = await Member.create(
            identity=None,
            status=MemberStatus.GUEST,
            is_guest=True,
            privacy_status=PrivacyStatus.PRIVATE,
            contact=contact,
            nickname="Guest",
            nickname_key="guest",
            slug=f"guest-{secrets.token_hex(8)}",
            created_at=now,
            updated_at=now,
            using_db=connection,
        )
        await record(services, connection, caller, member.id, EventKind.GUEST_CREATED)
    return await open_session(services, caller, member, SessionMethod.GUEST)


def _not_convertible(message: str) -> DomainError:
    return DomainError(ErrorCode.NOT_CONVERTIBLE, message, property="guestId")


async def convertible(caller: Caller, guest_id: str) -> Member:
    """The guest to turn into a member: it must be a guest, and the caller its own session or the backend.

    One answer for every refusal (a malformed id included), so it never tells a guest's id from any other id.
    """
    guest = await find_by_id(guest_id)
    may = caller.is_member(guest.id) if guest is not None else False
    if guest is not None and not may:
        may = await access.can(caller, Permission.MEMBERS_CREATE)
    if guest is None or not guest.is_guest or not may:
        raise _not_convertible("Only a guest's own session may convert that guest.")
    return guest


async def convert(connection: BaseDBAsyncClient, guest: Member, fields: MemberFields) -> Member:
    """The guest's row becomes the member's, keeping its id; a racing second conversion finds no guest."""

    async def write(slug: str) -> Member:
        converted = await change(
            guest,
            connection,
            where=Q(is_guest=True),
            updated_at=datetime.now(timezone.utc),
            **fields.columns(slug),
        )
        if not converted:
            raise _not_convertible("This guest was already converted.")
        return guest

    return await with_free_slug(fields.nickname, write)
