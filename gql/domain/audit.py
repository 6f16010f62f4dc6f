"""The audit of changes that are not about one member (the registration settings; later roles,
badges and API keys), written in the change's transaction with who made it. A member's own
trail is ``gql/domain/events.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import AuditEvent
from gql.domain.caller import Caller
from gql.domain.statuses import Described

if TYPE_CHECKING:
    from gql.domain.services import Services


class AuditKind(Described):
    """What changed."""

    SETTINGS_UPDATED = "SETTINGS_UPDATED", "The registration settings were changed (data.fields names which)."
    ROLE_CREATED = "ROLE_CREATED", "A role was created."
    ROLE_UPDATED = "ROLE_UPDATED", "A role was changed (data.fields names what)."
    ROLE_DELETED = "ROLE_DELETED", "A role was deleted (its assignments with it)."
    BADGE_CREATED = "BADGE_CREATED", "A badge was created."
    BADGE_UPDATED = "BADGE_UPDATED", "A badge was changed (data.fields names what)."
    BADGE_DELETED = "BADGE_DELETED", "A badge was deleted (its assignments with it)."
    API_KEY_CREATED = "API_KEY_CREATED", "An API key was created (data.permissions lists what it holds)."
    API_KEY_REVOKED = "API_KEY_REVOKED", "An API key was revoked."
    EXTERNAL_PROVIDER_SAVED = (
        "EXTERNAL_PROVIDER_SAVED",
        "An external provider was added or changed (data.provider, data.created, data.fields; never the secret).",
    )
    EXTERNAL_PROVIDER_DELETED = "EXTERNAL_PROVIDER_DELETED", "An external provider was deleted (data.provider)."
    LOGIN_CODE_REQUESTED = (
        "LOGIN_CODE_REQUESTED",
        "A passwordless sign-in code was asked for an address no member has (data.account: a digest of it); it is "
        "mailed only when passwordless sign-up is on.",
    )


async def audit(
    services: Services, connection: BaseDBAsyncClient | None, caller: Caller, kind: AuditKind, **data: Any
) -> AuditEvent:
    return await AuditEvent.create(
        kind=kind.value,
        actor=caller.kind.value,
        actor_member_id=caller.member_id,
        data=data,
        created_at=services.clock.now(),
        using_db=connection,
    )
