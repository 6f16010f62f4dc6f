"""The schema's enums. Each is derived from the domain's own enum (values and descriptions),
so a state is declared once, in ``gql/domain``; input and output share an enum only where
every value makes sense both ways (no enum here has a "hidden" placeholder value)."""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Any

import strawberry

from gql.domain import members
from gql.domain.caller import CallerKind
from gql.domain.events import EventKind
from gql.domain.permissions import Permission as DomainPermission
from gql.domain.statuses import ActivityStatus as DomainActivityStatus
from gql.domain.statuses import ApprovalMode as DomainApprovalMode
from gql.domain.statuses import ClientAuthMethod, Described
from gql.domain.statuses import MemberStatus as DomainMemberStatus
from gql.domain.statuses import MfaPolicy as DomainMfaPolicy
from gql.domain.statuses import PrivacyStatus as DomainPrivacyStatus
from gql.domain.statuses import ProviderKind as DomainProviderKind
from gql.domain.statuses import RegistrationStatus as DomainRegistrationStatus
from gql.domain.statuses import SecondFactor as DomainSecondFactor
from gql.domain.statuses import SessionMethod as DomainSessionMethod


def schema_enum(domain: type[Described], name: str | None = None) -> Any:
    """The GraphQL enum of a domain enum: same names, the domain's descriptions.

    Convert with ``api_enum[value.name]`` one way and ``domain_enum[value.name]`` the other.
    """
    values = {m.name: strawberry.enum_value(m.name, description=m.description) for m in domain}
    return strawberry.enum(Enum(name or domain.__name__, values), description=inspect.getdoc(domain))  # type: ignore[misc]


MemberStatus = schema_enum(DomainMemberStatus)
PrivacyStatus = schema_enum(DomainPrivacyStatus)
ActivityStatus = schema_enum(DomainActivityStatus)
ApprovalMode = schema_enum(DomainApprovalMode)
RegistrationStatus = schema_enum(DomainRegistrationStatus)
MemberSortField = schema_enum(members.SortField, "MemberSortField")
MemberEventKind = schema_enum(EventKind, "MemberEventKind")
EventActor = schema_enum(CallerKind, "EventActor")
Permission = schema_enum(DomainPermission)
SessionMethod = schema_enum(DomainSessionMethod)
ExternalProviderKind = schema_enum(DomainProviderKind, "ExternalProviderKind")
TokenEndpointAuthMethod = schema_enum(ClientAuthMethod, "TokenEndpointAuthMethod")
SecondFactor = schema_enum(DomainSecondFactor)
MfaPolicy = schema_enum(DomainMfaPolicy)


@strawberry.enum(description="A sort direction.")
class SortOrder(Enum):
    ASC = strawberry.enum_value("ASC", description="Ascending: oldest or A first.")
    DESC = strawberry.enum_value("DESC", description="Descending: newest or Z first.")
