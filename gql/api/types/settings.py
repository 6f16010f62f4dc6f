from __future__ import annotations

import strawberry

from gql.api.types.enums import ApprovalMode
from gql.domain import settings as domain
from gql.domain.statuses import ApprovalMode as DomainApprovalMode


@strawberry.type(description="A custom field the site declares (Backendless: a Users table column).")
class DeclaredProperty:
    name: str = strawberry.field(description="The custom field's name, as clients send it in customFields.")
    required: bool = strawberry.field(description="Whether a registration must give it (3012 when missing).")
    max_length: int = strawberry.field(description="The longest value allowed (8000 when longer).")

    @classmethod
    def from_domain(cls, prop: domain.DeclaredProperty) -> DeclaredProperty:
        return cls(name=prop.name, required=prop.required, max_length=prop.max_length)


@strawberry.type(description="How registration works on this site (Backendless's registration settings).")
class RegistrationSettings:
    enabled: bool = strawberry.field(description="When false, register fails with 3009.")
    approval: ApprovalMode = strawberry.field(description="How new members are approved.")  # type: ignore[valid-type]
    email_confirmation: bool = strawberry.field(
        description="When true, a member gets no session until it follows the emailed confirmation link."
    )
    dynamic_properties: bool = strawberry.field(description="When false, undeclared custom fields fail with 3010.")
    identity_property: str = strawberry.field(description='"email" or a declared property members log in with.')
    declared_properties: list[DeclaredProperty] = strawberry.field(description="The custom fields the site declares.")

    @classmethod
    def from_domain(cls, s: domain.RegistrationSettings) -> RegistrationSettings:
        return cls(
            enabled=s.enabled,
            approval=ApprovalMode[s.approval.name],
            email_confirmation=s.email_confirmation,
            dynamic_properties=s.dynamic_properties,
            identity_property=s.identity_property,
            declared_properties=[DeclaredProperty.from_domain(p) for p in s.declared_properties],
        )


@strawberry.input(description="A custom field to declare.")
class DeclaredPropertyInput:
    name: str = strawberry.field(description="A letter, then up to 63 letters, digits, '_' or '-'.")
    required: bool = strawberry.field(default=False, description="Whether a registration must give it.")
    max_length: int = strawberry.field(
        default=domain.DEFAULT_VALUE_LIMIT, description=f"The longest value allowed (1 to {domain.MAX_VALUE_LIMIT})."
    )

    def to_domain(self) -> domain.DeclaredProperty:
        return domain.DeclaredProperty(name=self.name, required=self.required, max_length=self.max_length)


@strawberry.input(description="A partial update: omitted fields stay as they are.")
class RegistrationSettingsInput:
    enabled: bool | None = strawberry.field(default=None, description="Whether registration is open.")
    approval: ApprovalMode | None = strawberry.field(default=None, description="How new members are approved.")  # type: ignore[valid-type]
    email_confirmation: bool | None = strawberry.field(default=None, description="Whether emails must be confirmed.")
    dynamic_properties: bool | None = strawberry.field(
        default=None, description="Whether undeclared custom fields are kept."
    )
    identity_property: str | None = strawberry.field(
        default=None, description='"email" or a declared property; changes only while there are no members (3021).'
    )
    declared_properties: list[DeclaredPropertyInput] | None = strawberry.field(
        default=None, description="Replaces the whole list when given."
    )

    def to_domain(self) -> domain.SettingsChange:
        return domain.SettingsChange(
            enabled=self.enabled,
            approval=DomainApprovalMode[self.approval.name] if self.approval else None,
            email_confirmation=self.email_confirmation,
            dynamic_properties=self.dynamic_properties,
            identity_property=self.identity_property,
            declared_properties=None
            if self.declared_properties is None
            else tuple(p.to_domain() for p in self.declared_properties),
        )
