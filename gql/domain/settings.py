"""Registration settings: one stored row, defaults from the environment, partial updates."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from gql.config import RegistrationDefaults
from gql.db.models import Member, RegistrationSettingsRow
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.statuses import ApprovalMode

if TYPE_CHECKING:
    from gql.domain.services import Services

DEFAULT_VALUE_LIMIT = 500
MAX_VALUE_LIMIT = 10_000
PROPERTY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

# Names that identify records and can never be set by a registrant (3039).
RESERVED_NAMES = frozenset(
    n.casefold()
    for n in (
        "id",
        "_id",
        "objectId",
        "ownerId",
        "memberId",
        "contactId",
        "created",
        "updated",
        "createdDate",
        "updatedDate",
        "lastLoginDate",
        "userStatus",
        "status",
    )
)
# Fields the schema already has; a custom field of the same name would be ambiguous (3043).
BUILT_IN_NAMES = frozenset(
    n.casefold()
    for n in (
        "email",
        "loginEmail",
        "password",
        "firstName",
        "lastName",
        "phones",
        "emails",
        "picture",
        "photo",
        "nickname",
        "slug",
        "title",
        "privacyStatus",
        "activityStatus",
        "loginEmailVerified",
        "guestId",
        "customFields",
    )
)


@dataclass(frozen=True)
class DeclaredProperty:
    name: str
    required: bool = False
    max_length: int = DEFAULT_VALUE_LIMIT

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "required": self.required, "maxLength": self.max_length}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeclaredProperty:
        return cls(name=data["name"], required=bool(data["required"]), max_length=int(data["maxLength"]))


@dataclass(frozen=True)
class RegistrationSettings:
    enabled: bool
    approval: ApprovalMode
    email_confirmation: bool
    dynamic_properties: bool
    identity_property: str
    declared_properties: tuple[DeclaredProperty, ...] = field(default=())

    def declared(self, name: str) -> DeclaredProperty | None:
        key = name.casefold()
        return next((p for p in self.declared_properties if p.name.casefold() == key), None)

    @property
    def identity_is_email(self) -> bool:
        return self.identity_property == "email"


@dataclass(frozen=True)
class SettingsChange:
    """A partial update: None means 'leave as it is'."""

    enabled: bool | None = None
    approval: ApprovalMode | None = None
    email_confirmation: bool | None = None
    dynamic_properties: bool | None = None
    identity_property: str | None = None
    declared_properties: tuple[DeclaredProperty, ...] | None = None


def check_property_name(name: str) -> None:
    if name.casefold() in RESERVED_NAMES:
        raise DomainError(
            ErrorCode.RESERVED_PROPERTY, f'Property "{name}" is reserved and cannot be used.', property=name
        )
    if name.casefold() in BUILT_IN_NAMES:
        raise DomainError(
            ErrorCode.DUPLICATE_PROPERTY, f'Property "{name}" clashes with a built-in field.', property=name
        )
    if not PROPERTY_NAME.match(name):
        raise DomainError(
            ErrorCode.REGISTRATION_ERROR,
            f'Property name "{name}" must start with a letter and hold at most 64 letters, digits, "_" or "-".',
            property=name,
        )


def _validated(settings: RegistrationSettings) -> RegistrationSettings:
    seen: set[str] = set()
    for prop in settings.declared_properties:
        check_property_name(prop.name)
        if prop.name.casefold() in seen:
            raise DomainError(
                ErrorCode.DUPLICATE_PROPERTY, f'Property "{prop.name}" is declared twice.', property=prop.name
            )
        seen.add(prop.name.casefold())
        if not 1 <= prop.max_length <= MAX_VALUE_LIMIT:
            raise DomainError(
                ErrorCode.REGISTRATION_ERROR, f"maxLength must be between 1 and {MAX_VALUE_LIMIT}.", property=prop.name
            )
    if not settings.identity_is_email:
        identity = settings.declared(settings.identity_property)
        if identity is None:
            raise DomainError(
                ErrorCode.REGISTRATION_ERROR,
                'identityProperty must be "email" or a declared property.',
                property=settings.identity_property,
            )
        # The identity is what members log in with: always required.
        settings = replace(
            settings,
            identity_property=identity.name,
            declared_properties=tuple(
                replace(p, required=True) if p is identity else p for p in settings.declared_properties
            ),
        )
    return settings


class SettingsStore:
    """Reads and writes the settings row; each process trusts its copy for a short while.

    The row is the truth shared by every server process; the cache only saves one
    SELECT per registration and is dropped at once when this process writes.
    """

    def __init__(self, defaults: RegistrationDefaults, cache_seconds: float = 2.0) -> None:
        self._defaults = defaults
        self._cache_seconds = cache_seconds
        self._cached: RegistrationSettings | None = None
        self._cached_at = 0.0

    def _from_row(self, row: RegistrationSettingsRow) -> RegistrationSettings:
        return RegistrationSettings(
            enabled=row.enabled,
            approval=ApprovalMode(row.approval),
            email_confirmation=row.email_confirmation,
            dynamic_properties=row.dynamic_properties,
            identity_property=row.identity_property,
            declared_properties=tuple(DeclaredProperty.from_json(p) for p in row.declared_properties),
        )

    async def _load_row(self) -> RegistrationSettingsRow:
        row = await RegistrationSettingsRow.get_or_none(id=1)
        if row is None:
            d = self._defaults
            initial = _validated(
                RegistrationSettings(
                    d.enabled, d.approval, d.email_confirmation, d.dynamic_properties, d.identity_property
                )
            )
            row, _ = await RegistrationSettingsRow.get_or_create(
                id=1,
                defaults={
                    "enabled": initial.enabled,
                    "approval": initial.approval,
                    "email_confirmation": initial.email_confirmation,
                    "dynamic_properties": initial.dynamic_properties,
                    "identity_property": initial.identity_property,
                    "declared_properties": [],
                },
            )
        return row

    async def get(self) -> RegistrationSettings:
        now = time.monotonic()
        if self._cached is None or now - self._cached_at > self._cache_seconds:
            self._cached = self._from_row(await self._load_row())
            self._cached_at = now
        return self._cached

    def forget(self) -> None:
        self._cached = None

    async def update(self, change: SettingsChange) -> RegistrationSettings:
        row = await self._load_row()
        current = self._from_row(row)
        updated = _validated(
            RegistrationSettings(
                enabled=current.enabled if change.enabled is None else change.enabled,
                approval=current.approval if change.approval is None else change.approval,
                email_confirmation=current.email_confirmation
                if change.email_confirmation is None
                else change.email_confirmation,
                dynamic_properties=current.dynamic_properties
                if change.dynamic_properties is None
                else change.dynamic_properties,
                identity_property=current.identity_property
                if change.identity_property is None
                else change.identity_property,
                declared_properties=current.declared_properties
                if change.declared_properties is None
                else change.declared_properties,
            )
        )
        if updated.identity_property.casefold() != current.identity_property.casefold() and await Member.exists():
            raise DomainError(
                ErrorCode.REGISTRATION_ERROR,
                "identityProperty can only change while there are no members: existing members log in with the old one.",
                property="identityProperty",
            )
        if current.email_confirmation and not updated.email_confirmation:
            # Confirmation is off: members still waiting for it are released (their links
            # stop working; sessions need no confirmation now, gql/domain/sessions.py).
            await Member.filter(confirm_jti__isnull=False, email_verified=False).update(confirm_jti=None)
        row.enabled = updated.enabled
        row.approval = updated.approval
        row.email_confirmation = updated.email_confirmation
        row.dynamic_properties = updated.dynamic_properties
        row.identity_property = updated.identity_property
        row.declared_properties = [p.to_json() for p in updated.declared_properties]
        await row.save()
        self._cached, self._cached_at = updated, time.monotonic()
        return updated


async def update_settings(services: Services, caller: Caller, change: SettingsChange) -> RegistrationSettings:
    """The backend's partial update of the registration settings."""
    caller.require_backend()
    return await services.settings.update(change)
