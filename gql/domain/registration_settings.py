"""The registration settings (Backendless's registration settings): declared once, here.

Each setting is one field of ``RegistrationSettings`` with its type, default, description and,
for those a fresh database can take from the environment, its ``MEMBERS_*`` variable. From
these declarations follow the environment variables (``gql/config.py``), the stored row (one
JSON object: a setting added later takes its default from the declaration, no migration),
the partial update (any subset of the fields) and the GraphQL types
(``gql/api/types/settings.py``). The rules that tie the values together live here too
(``validated``); storing them is ``gql/domain/settings_store.py``'s business.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, get_type_hints

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.statuses import ApprovalMode, MfaPolicy

# Custom field values: at most this many characters unless a declared property allows more.
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
    """A custom field the site declares (Backendless: a Users table column)."""

    name: str
    required: bool = False
    max_length: int = DEFAULT_VALUE_LIMIT

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "required": self.required, "maxLength": self.max_length}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeclaredProperty:
        return cls(name=data["name"], required=bool(data["required"]), max_length=int(data["maxLength"]))


def option(default: Any, description: str, *, variable: str | None = None, default_factory: Any = None) -> Any:
    """A registration setting: its default, what it means, and the ``MEMBERS_<variable>`` a fresh
    database takes its first value from (None: no variable)."""
    metadata = {"description": description, "variable": variable}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class RegistrationSettings:
    enabled: bool = option(
        True, "Registration is open; when false, register fails with 3009.", variable="REGISTRATION_ENABLED"
    )
    approval: ApprovalMode = option(
        ApprovalMode.AUTOMATIC, "How new members are approved: `AUTOMATIC` or `MANUAL`.", variable="APPROVAL"
    )
    email_confirmation: bool = option(
        False,
        "Email confirmation is required: a member gets no session until it follows the emailed link.",
        variable="EMAIL_CONFIRMATION",
    )
    dynamic_properties: bool = option(
        True, "Undeclared custom fields are kept; when false they fail with 3010.", variable="DYNAMIC_PROPERTIES"
    )
    identity_property: str = option(
        "email",
        'The property members log in with: "email" or a declared property (changes only while there are no members).',
        variable="IDENTITY_PROPERTY",
    )
    declared_properties: tuple[DeclaredProperty, ...] = option(
        None, "The custom fields the site declares.", default_factory=tuple
    )
    passwordless_login: bool = option(
        False,
        "Members may sign in without a password: requestLoginCode mails a one-time code and link, loginWithCode "
        "and loginWithLinkToken use them; when false they fail with 3231.",
        variable="PASSWORDLESS_LOGIN",
    )
    passwordless_signup: bool = option(
        False,
        "With passwordlessLogin, a code asked for an address no member has creates the member when used (approved "
        "or pending as `approval` says, its email confirmed by the code), while registration is open.",
        variable="PASSWORDLESS_SIGNUP",
    )
    mfa_policy: MfaPolicy = option(
        MfaPolicy.OPTIONAL,
        "Second factors: `OPTIONAL` (only roles with requireMfa ask for one) or `REQUIRED` (every member but guests: "
        "a session that has not proved one may only enrol one or prove it, and anything else answers 3243).",
        variable="MFA_POLICY",
    )

    def declared(self, name: str) -> DeclaredProperty | None:
        key = name.casefold()
        return next((p for p in self.declared_properties if p.name.casefold() == key), None)

    @property
    def identity_is_email(self) -> bool:
        return self.identity_property == "email"

    def to_json(self) -> dict[str, Any]:
        """The stored form: one JSON object, keyed by field name."""
        data: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Enum):
                value = value.value
            elif item.name == "declared_properties":
                value = [p.to_json() for p in value]
            data[item.name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RegistrationSettings:
        """The stored form read back; a setting the row does not hold yet takes its declared default."""
        values: dict[str, Any] = {}
        kinds = get_type_hints(cls)
        for item in dataclasses.fields(cls):
            if item.name not in data:
                continue
            value = data[item.name]
            kind = kinds[item.name]
            if isinstance(kind, type) and issubclass(kind, Enum):
                value = kind(value)
            elif item.name == "declared_properties":
                value = tuple(DeclaredProperty.from_json(p) for p in value)
            values[item.name] = value
        return cls(**values)

    def changed(self, changes: Mapping[str, Any]) -> RegistrationSettings:
        """These settings with ``changes`` (any subset of the fields) applied and checked."""
        unknown = set(changes) - {item.name for item in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"not registration settings: {sorted(unknown)}")
        return validated(dataclasses.replace(self, **changes))


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


def validated(settings: RegistrationSettings) -> RegistrationSettings:
    """The settings if they make sense together (3039, 3043, 3021 otherwise); the identity property
    is spelt as declared and always required."""
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
                ErrorCode.REGISTRATION_ERROR,
                f"maxLength must be between 1 and {MAX_VALUE_LIMIT}.",
                property=prop.name,
                limit=MAX_VALUE_LIMIT,
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
        settings = dataclasses.replace(
            settings,
            identity_property=identity.name,
            declared_properties=tuple(
                dataclasses.replace(p, required=True) if p is identity else p for p in settings.declared_properties
            ),
        )
    return settings
