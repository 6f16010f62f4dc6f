"""Where the registration settings live: one row every server process shares, read through a
short per-process cache, and changed by the backend's partial update (audited).

The row is the truth; the cache only saves one SELECT per registration and is dropped at once
when this process writes (other processes see a change within ``settings_cache_seconds``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gql.db.models import Member, RegistrationSettingsRow
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.audit import AuditKind, audit
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import Permission
from gql.domain.registration_settings import RegistrationSettings, validated

if TYPE_CHECKING:
    from gql.domain.services import Services


class RegistrationSettingsStore:
    def __init__(self, defaults: RegistrationSettings, cache_seconds: float = 2.0) -> None:
        self._defaults = defaults
        self._cache_seconds = cache_seconds
        self._cached: RegistrationSettings | None = None
        self._cached_at = 0.0

    async def _load_row(self) -> RegistrationSettingsRow:
        row = await RegistrationSettingsRow.get_or_none(id=1)
        if row is None:
            # A fresh database starts from the environment's defaults (MEMBERS_APPROVAL, …).
            initial = validated(self._defaults)
            row, _ = await RegistrationSettingsRow.get_or_create(id=1, defaults={"data": initial.to_json()})
        return row

    async def get(self) -> RegistrationSettings:
        now = time.monotonic()
        if self._cached is None or now - self._cached_at > self._cache_seconds:
            self._cached = RegistrationSettings.from_json((await self._load_row()).data)
            self._cached_at = now
        return self._cached

    def forget(self) -> None:
        self._cached = None

    async def update(self, changes: Mapping[str, Any]) -> tuple[RegistrationSettings, RegistrationSettings]:
        """Apply a partial update; the settings before and after."""
        row = await self._load_row()
        current = RegistrationSettings.from_json(row.data)
        updated = current.changed(changes)
        if updated.identity_property.casefold() != current.identity_property.casefold() and await Member.exists():
            raise DomainError(
                ErrorCode.REGISTRATION_ERROR,
                "identityProperty can only change while there are no members: existing members log in with the old one.",
                property="identityProperty",
            )
        row.data = updated.to_json()
        await row.save()
        self._cached, self._cached_at = updated, time.monotonic()
        return current, updated


async def update_registration_settings(
    services: Services, caller: Caller, changes: Mapping[str, Any]
) -> RegistrationSettings:
    """The backend's partial update of the registration settings: omitted settings stay as they are."""
    await access.require(caller, Permission.SETTINGS_MANAGE)
    async with in_transaction() as connection:
        before, after = await services.registration_settings.update(changes)
        if before.email_confirmation and not after.email_confirmation:
            # Confirmation is off: members still waiting for it are released (their links stop
            # working; sessions need no confirmation now, gql/domain/sessions.py).
            await (
                Member.filter(confirm_jti__isnull=False, email_verified=False)
                .using_db(connection)
                .update(confirm_jti=None)
            )
        changed = [f.name for f in dataclasses.fields(after) if getattr(before, f.name) != getattr(after, f.name)]
        await audit(services, connection, caller, AuditKind.SETTINGS_UPDATED, fields=changed)
    return after


async def read_registration_settings(services: Services, caller: Caller) -> RegistrationSettings:
    await access.require(caller, Permission.SETTINGS_MANAGE)
    return await services.registration_settings.get()
