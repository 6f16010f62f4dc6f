"""The audit trail: every state change of a member, written in the change's transaction.

Each event is also queued as a signed webhook call when ``MEMBERS_WEBHOOK_URL`` is set, and
published to live subscribers in every process once its transaction commits
(gql/domain/event_feed.py). Who may read events, listed or live, is ``require_reader``'s
one rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import MemberEvent
from gql.domain import access
from gql.domain.caller import Caller, CallerKind
from gql.domain.cursors import Cursors, Listing
from gql.domain.lookup import parse_id
from gql.domain.outbox import queue_webhook
from gql.domain.paging import Keyset, Page, PageRequest, check_page_size, keyset_page
from gql.domain.permissions import Permission
from gql.domain.services import Services
from gql.domain.statuses import Described


class EventKind(Described):
    """What happened to a member (the audit trail's and the webhooks' event types)."""

    REGISTERED = "REGISTERED", "Registered itself (or was registered by the backend), possibly from a guest."
    CREATED = "CREATED", "Created by the backend with createMember (an invitation)."
    GUEST_CREATED = "GUEST_CREATED", "A guest login was created."
    APPROVED = "APPROVED", "Approved (by token, by email or by id)."
    BLOCKED = "BLOCKED", "Blocked: it cannot log in and its sessions ended."
    UNBLOCKED = "UNBLOCKED", "Unblocked: it may log in again."
    EMAIL_CONFIRMED = "EMAIL_CONFIRMED", "Confirmed its login email by the emailed link."
    PASSWORD_CHANGED = "PASSWORD_CHANGED", "Changed its password, or set or reset it by an emailed link."
    PROFILE_UPDATED = "PROFILE_UPDATED", "Its profile or contact was updated (data.fields names what)."
    LOGIN_EMAIL_CHANGED = "LOGIN_EMAIL_CHANGED", "Its login email was changed by the backend."
    DELETED = "DELETED", "Deleted by the backend (its contact stays, detached)."
    ROLE_ASSIGNED = "ROLE_ASSIGNED", "A role was assigned to it (data.role names it)."
    ROLE_REMOVED = "ROLE_REMOVED", "A role was taken from it (data.role names it)."
    BADGE_ASSIGNED = "BADGE_ASSIGNED", "A badge was given to it (data.badge names it)."
    BADGE_REMOVED = "BADGE_REMOVED", "A badge was taken from it (data.badge names it)."
    TRUSTED_SIGN_IN = (
        "TRUSTED_SIGN_IN",
        "Signed in by a trusted caller (generateSessionToken); data.created says whether that created the member, "
        "data.confirmed whether it confirmed its email.",
    )
    MUTED = "MUTED", "Muted (activityStatus MUTED): it can still log in."
    UNMUTED = "UNMUTED", "Unmuted (activityStatus ACTIVE)."
    PASSWORD_VERIFIED = "PASSWORD_VERIFIED", "Proved its password again (verifyPassword, a step-up check)."
    EMAIL_CONFIRMATION_URL_CREATED = (
        "EMAIL_CONFIRMATION_URL_CREATED",
        "A confirmation link was handed to the caller instead of mailed (createEmailConfirmationUrl); older links "
        "stopped working.",
    )
    LOGGED_OUT = (
        "LOGGED_OUT",
        "Ended its own session with logout (data: the session's id, method, date, address, agent).",
    )
    SESSION_REVOKED = (
        "SESSION_REVOKED",
        'One session was ended: by revokeSession (data.reason "revoked"), or as the oldest past the session '
        'limit ("limit"); data also keeps the session\'s id, method, date, address and agent.',
    )
    SESSIONS_REVOKED = (
        "SESSIONS_REVOKED",
        "Its sessions were ended together by revokeOtherSessions or revokeAllSessions (data.count; data.kept: "
        "the session kept, if any).",
    )
    EXTERNAL_IDENTITY_LINKED = (
        "EXTERNAL_IDENTITY_LINKED",
        "An external provider's account was linked to it (data.provider, data.subject; data.automatic when its "
        "verified email linked it at sign-in).",
    )
    EXTERNAL_IDENTITY_UNLINKED = (
        "EXTERNAL_IDENTITY_UNLINKED",
        "An external provider's account was unlinked from it (data.provider, data.subject).",
    )
    EXTERNAL_SIGN_IN = "EXTERNAL_SIGN_IN", "Signed in through an external provider (data.provider)."
    TOTP_ENABLED = "TOTP_ENABLED", "Turned on an authenticator app (TOTP) as its second factor."
    TOTP_DISABLED = "TOTP_DISABLED", "Turned its second factor off (data.proof: TOTP or RECOVERY_CODE)."
    RECOVERY_CODES_REGENERATED = "RECOVERY_CODES_REGENERATED", "Replaced its recovery codes."
    MFA_RESET = "MFA_RESET", "Its second factor was turned off by the backend (resetMfa); the member was mailed."
    PASSKEY_ADDED = "PASSKEY_ADDED", "Registered a passkey (data.passkeyId, data.name)."
    PASSKEY_RENAMED = "PASSKEY_RENAMED", "Renamed a passkey (data.passkeyId, data.name)."
    PASSKEY_REMOVED = "PASSKEY_REMOVED", "Deleted a passkey (data.passkeyId, data.name)."
    SECOND_FACTOR_VERIFIED = (
        "SECOND_FACTOR_VERIFIED",
        "Proved its second factor: to finish a sign-in (verifyMfa) or as a step-up (reauthenticate); data.factor, "
        "data.purpose.",
    )
    ACCESS_TOKEN_ISSUED = (
        "ACCESS_TOKEN_ISSUED",
        "An access token was issued for one of its sessions (data: sessionId, audience, jti, expiresDate).",
    )
    LOGIN_CODE_REQUESTED = (
        "LOGIN_CODE_REQUESTED",
        "A passwordless sign-in code and link were asked for its email (requestLoginCode); older ones stopped working.",
    )
    LOGGED_IN_WITH_CODE = (
        "LOGGED_IN_WITH_CODE",
        'Signed in without a password (data.via: "code" or "link"; data.created: this sign-in created the member; '
        "data.confirmed: it confirmed the email; data.sessionId unless it waits for approval).",
    )


async def record(
    services: Services,
    connection: BaseDBAsyncClient | None,
    caller: Caller,
    member_id: uuid.UUID,
    kind: EventKind,
    **data: Any,
) -> MemberEvent:
    event = MemberEvent(
        id=uuid.uuid4(),
        member_id=member_id,
        kind=kind.value,
        actor=caller.kind.value,
        actor_member_id=caller.member_id,
        data=data,
        created_at=datetime.now(timezone.utc),
    )
    # Written by the feed's channel, which also publishes it to subscribers once committed.
    await services.event_feed.store(event, connection)
    await queue_webhook(
        services,
        connection,
        {
            "id": str(event.id),
            "type": f"member.{kind.value.lower()}",
            "memberId": str(member_id),
            "actor": caller.kind.value,
            "actorMemberId": str(caller.member_id) if caller.member_id else None,
            "data": data,
            "createdDate": event.created_at.isoformat(),
        },
    )
    return event


async def may_read(caller: Caller) -> bool:
    """Who may read the audit trail, listed (``memberEvents``, ``node``) or live (the subscription):
    holders of EVENTS_READ. This is the one place to say so."""
    return await access.can(caller, Permission.EVENTS_READ)


@dataclass(frozen=True)
class EventRecord:
    """One audit event as the domain hands it out."""

    id: uuid.UUID
    member_id: uuid.UUID
    kind: EventKind
    actor: CallerKind
    actor_member_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: MemberEvent) -> EventRecord:
        return cls(
            id=row.id,
            member_id=row.member_id,
            kind=EventKind(row.kind),
            actor=CallerKind(row.actor),
            actor_member_id=row.actor_member_id,
            data=dict(row.data or {}),
            created_at=row.created_at,
        )


async def require_reader(caller: Caller) -> None:
    """3029 unless the caller may read audit trails (``may_read``)."""
    await access.require(caller, Permission.EVENTS_READ)


def _keyset(member_id: uuid.UUID) -> Keyset:
    """Events cursors are bound to the member whose trail they page through."""
    return Keyset("created_at", False, Listing(("memberEvents", str(member_id), "CREATED_DATE", "ASC"), datetime))


async def list_events(caller: Caller, cursors: Cursors, member_id: str, request: PageRequest) -> Page[EventRecord]:
    """A member's audit trail, oldest first (``last`` gives the newest); one SELECT a page."""
    await require_reader(caller)
    parsed = parse_id(member_id)
    query = MemberEvent.filter(member_id=parsed) if parsed is not None else MemberEvent.filter(id__in=[])
    rows, encoded, has_next, has_previous = await keyset_page(
        query, _keyset(parsed or uuid.UUID(int=0)), request, cursors
    )
    return Page(
        items=[(EventRecord.of(row), cursor) for row, cursor in zip(rows, encoded, strict=True)],
        has_next_page=has_next,
        has_previous_page=has_previous,
        count=query.count,
    )


async def get_events(caller: Caller, event_ids: list[str]) -> list[EventRecord | None]:
    """Events by id in one SELECT (backend only), in the order asked; None for each unknown id."""
    await require_reader(caller)
    check_page_size(len(event_ids), "ids")
    parsed = [parse_id(value) for value in event_ids]
    wanted = [value for value in parsed if value is not None]
    rows = {row.id: row for row in await MemberEvent.filter(id__in=wanted)} if wanted else {}
    return [EventRecord.of(rows[value]) if value in rows else None for value in parsed]
