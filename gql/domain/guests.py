"""Guest login (Backendless): a member without email or password, converted later by register(guestId)."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from gql.db.models import Contact, Member
from gql.db.transactions import in_transaction
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, start_session
from gql.domain.views import GUEST, MemberView


async def login_as_guest(services: Services, caller: Caller) -> SessionGrant:
    await services.rate_limits.take("loginAsGuest", caller)
    if not (await services.settings.get()).enabled:
        raise DomainError(ErrorCode.REGISTRATION_DISABLED, "Registration is disabled, and guests with it.")
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        contact = await Contact.create(using_db=connection)
        member = await Member.create(
            identity=None,
            status=GUEST,
            is_guest=True,
            privacy_status="PRIVATE",
            contact=contact,
            nickname="Guest",
            nickname_key="guest",
            slug=f"guest-{secrets.token_hex(8)}",
            created_at=now,
            updated_at=now,
            using_db=connection,
        )
        token = start_session(services, member)
        await record(services, connection, caller, member.id, EventKind.GUEST_CREATED)
    return SessionGrant(session_token=token, member=MemberView(member, full=True))
