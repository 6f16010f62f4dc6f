from __future__ import annotations

import strawberry

from gql.api.types.enums import ApprovalMode
from gql.domain import settings as domain


@strawberry.type(description="A custom field the site declares (Backendless: a Users table column).")
class DeclaredProperty:
    name: str
    required: bool
    max_length: int

    @classmethod
    def from_domain(cls, prop: domain.DeclaredProperty) -> DeclaredProperty:
        return cls(name=prop.name, required=prop.required, max_length=prop.max_length)


@strawberry.type
class RegistrationSettings:
    enabled: bool = strawberry.field(description="When false, register fails with 3009.")
    approval: ApprovalMode
    email_confirmation: bool
    dynamic_properties: bool = strawberry.field(description="When false, undeclared custom fields fail with 3010.")
    identity_property: str = strawberry.field(description='"email" or a declared property members log in with.')
    declared_properties: list[DeclaredProperty]

    @classmethod
    def from_domain(cls, s: domain.RegistrationSettings) -> RegistrationSettings:
        return cls(
            enabled=s.enabled,
            approval=ApprovalMode(s.approval),
            email_confirmation=s.email_confirmation,
            dynamic_properties=s.dynamic_properties,
            identity_property=s.identity_property,
            declared_properties=[DeclaredProperty.from_domain(p) for p in s.declared_properties],
        )


@strawberry.input
class DeclaredPropertyInput:
    name: str
    required: bool = False
    max_length: int = domain.DEFAULT_VALUE_LIMIT

    def to_domain(self) -> domain.DeclaredProperty:
        return domain.DeclaredProperty(name=self.name, required=self.required, max_length=self.max_length)


@strawberry.input(description="A partial update: omitted fields stay as they are.")
class RegistrationSettingsInput:
    enabled: bool | None = None
    approval: ApprovalMode | None = None
    email_confirmation: bool | None = None
    dynamic_properties: bool | None = None
    identity_property: str | None = None
    declared_properties: list[DeclaredPropertyInput] | None = strawberry.field(
        default=None, description="Replaces the whole list when given."
    )

    def to_domain(self) -> domain.SettingsChange:
        return domain.SettingsChange(
            enabled=self.enabled,
            approval=self.approval.value if self.approval else None,
            email_confirmation=self.email_confirmation,
            dynamic_properties=self.dynamic_properties,
            identity_property=self.identity_property,
            declared_properties=None
            if self.declared_properties is None
            else tuple(p.to_domain() for p in self.declared_properties),
        )


@strawberry.type
class SettingsUpdated:
    settings: RegistrationSettings
