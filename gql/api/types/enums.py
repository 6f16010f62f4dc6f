"""Enums of the schema (Wix's member statuses, sort keys, approval modes)."""

from __future__ import annotations

from enum import Enum

import strawberry

from gql.domain import registration


@strawberry.enum(description="A member's status; UNKNOWN when the caller may not see it; GUEST for guest logins.")
class MemberStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    BLOCKED = "BLOCKED"
    OFFLINE = "OFFLINE"
    GUEST = "GUEST"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="Whether other visitors may see the member; UNKNOWN when hidden from the caller.")
class PrivacyStatus(Enum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"
    UNKNOWN = "UNKNOWN"


@strawberry.enum
class ActivityStatus(Enum):
    ACTIVE = "ACTIVE"
    MUTED = "MUTED"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(
    description="ACTIVE: approved and logged in (sessionToken set). PENDING: waits for approval (and for email "
    "confirmation when it is on). EMAIL_CONFIRMATION_PENDING: approved, but no session until the emailed "
    "confirmation link is followed."
)
class RegistrationStatus(Enum):
    PENDING = registration.RegistrationStatus.PENDING
    ACTIVE = registration.RegistrationStatus.ACTIVE
    EMAIL_CONFIRMATION_PENDING = registration.RegistrationStatus.EMAIL_CONFIRMATION_PENDING


@strawberry.enum
class ApprovalMode(Enum):
    AUTOMATIC = "AUTOMATIC"
    MANUAL = "MANUAL"


@strawberry.enum
class MemberSortField(Enum):
    CREATED_DATE = "CREATED_DATE"
    NICKNAME = "NICKNAME"


@strawberry.enum
class SortOrder(Enum):
    ASC = "ASC"
    DESC = "DESC"
