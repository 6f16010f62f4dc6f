"""Enums of the schema (Wix's member statuses, sort keys, approval modes)."""

from __future__ import annotations

from enum import Enum

import strawberry


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


@strawberry.enum(description="ACTIVE: approved and logged in (sessionToken set). PENDING: waits for approval.")
class RegistrationStatus(Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"


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
