"""The registration settings in the schema: ``RegistrationSettings`` and its partial-update input
``RegistrationSettingsInput``, both made from the one declaration of the settings
(``gql/domain/registration_settings.py``): every field of the dataclass becomes a field of the
type, with its description, and an optional field of the input. A setting added there appears
here without a line written.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

import strawberry

from gql.api.types.enums import ApprovalMode, MfaPolicy
from gql.domain import registration_settings as domain
from gql.domain.statuses import ApprovalMode as DomainApprovalMode
from gql.domain.statuses import MfaPolicy as DomainMfaPolicy


@strawberry.type(description="A custom field the site declares (Backendless: a Users table column).")
class DeclaredProperty:
    name: str = strawberry.field(description="The custom field's name, as clients send it in customFields.")
    required: bool = strawberry.field(description="Whether a registration must give it (3012 when missing).")
    max_length: int = strawberry.field(description="The longest value allowed (8000 when longer).")

    @classmethod
    def from_domain(cls, prop: domain.DeclaredProperty) -> DeclaredProperty:
        return cls(name=prop.name, required=prop.required, max_length=prop.max_length)


@strawberry.input(description="A custom field to declare.")
class DeclaredPropertyInput:
    name: str = strawberry.field(description="A letter, then up to 63 letters, digits, '_' or '-'.")
    required: bool = strawberry.field(default=False, description="Whether a registration must give it.")
    max_length: int = strawberry.field(
        default=domain.DEFAULT_VALUE_LIMIT, description=f"The longest value allowed (1 to {domain.MAX_VALUE_LIMIT})."
    )

    def to_domain(self) -> domain.DeclaredProperty:
        return domain.DeclaredProperty(name=self.name, required=self.required, max_length=self.max_length)


# How each kind of setting appears in the schema, and how a value crosses between the two sides.
_SCHEMA_TYPES: dict[Any, tuple[Any, Any]] = {
    bool: (bool, bool),
    str: (str, str),
    DomainApprovalMode: (ApprovalMode, ApprovalMode),
    DomainMfaPolicy: (MfaPolicy, MfaPolicy),
    tuple[domain.DeclaredProperty, ...]: (list[DeclaredProperty], list[DeclaredPropertyInput]),
}
_TO_SCHEMA = {
    DomainApprovalMode: lambda value: ApprovalMode[value.name],
    DomainMfaPolicy: lambda value: MfaPolicy[value.name],
    tuple[domain.DeclaredProperty, ...]: lambda value: [DeclaredProperty.from_domain(p) for p in value],
}
_TO_DOMAIN = {
    DomainApprovalMode: lambda value: DomainApprovalMode[value.name],
    DomainMfaPolicy: lambda value: DomainMfaPolicy[value.name],
    tuple[domain.DeclaredProperty, ...]: lambda value: tuple(p.to_domain() for p in value),
}
_KINDS = get_type_hints(domain.RegistrationSettings)
_FIELDS = dataclasses.fields(domain.RegistrationSettings)


def _output_type() -> type:
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__}
    for item in _FIELDS:
        namespace["__annotations__"][item.name] = _SCHEMA_TYPES[_KINDS[item.name]][0]
        namespace[item.name] = strawberry.field(description=item.metadata["description"])
    return strawberry.type(
        type("RegistrationSettings", (), namespace),
        description="How registration works on this site (Backendless's registration settings).",
    )


def _input_type() -> type:
    namespace: dict[str, Any] = {"__annotations__": {}, "__module__": __name__}
    for item in _FIELDS:
        namespace["__annotations__"][item.name] = _SCHEMA_TYPES[_KINDS[item.name]][1] | None
        namespace[item.name] = strawberry.field(default=None, description=item.metadata["description"])
    return strawberry.input(
        type("RegistrationSettingsInput", (), namespace),
        description="A partial update: omitted (or null) settings stay as they are; a list given replaces the "
        "whole list.",
    )


RegistrationSettings: Any = _output_type()
RegistrationSettingsInput: Any = _input_type()


def settings_from_domain(settings: domain.RegistrationSettings) -> Any:
    values = {}
    for item in _FIELDS:
        value = getattr(settings, item.name)
        convert = _TO_SCHEMA.get(_KINDS[item.name])
        values[item.name] = convert(value) if convert else value
    return RegistrationSettings(**values)


def changes_to_domain(update: Any) -> dict[str, Any]:
    """The settings an input gives (the others are left out: they stay as they are)."""
    changes = {}
    for item in _FIELDS:
        value = getattr(update, item.name)
        if value is not None:
            convert = _TO_DOMAIN.get(_KINDS[item.name])
            changes[item.name] = convert(value) if convert else value
    return changes
