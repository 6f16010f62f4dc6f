"""What the domain hands out: plain, frozen values built from rows.

The GraphQL layer (and any other entry point) sees these, never a Tortoise row: a row is
storage's business, and a value cannot be saved back by accident. A caller sees a member
either whole (``MemberRecord``: itself, the backend) or as its public profile
(``PublicMemberRecord``: anybody else, when the member is PUBLIC and APPROVED) — Wix's
FULL and PUBLIC fieldsets as two types, so no field carries a placeholder meaning "hidden".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gql.db.columns import Row
from gql.db.models import Contact, Member
from gql.domain.contacts import Address, Email, Phone, addresses_of, emails_of, phones_of
from gql.domain.statuses import ActivityStatus, MemberStatus, PrivacyStatus


@dataclass(frozen=True)
class ProfileRecord:
    """What a member shows to others."""

    nickname: str
    slug: str
    photo: str | None
    title: str | None

    @classmethod
    def of(cls, row: Member | Row) -> ProfileRecord:
        return cls(nickname=row.nickname, slug=row.slug, photo=row.photo, title=row.title)


@dataclass(frozen=True)
class ContactRecord:
    """The member's contact (the site's CRM entry)."""

    id: uuid.UUID
    first_name: str | None
    last_name: str | None
    phones: tuple[Phone, ...]
    emails: tuple[Email, ...]
    picture: str | None
    custom_fields: dict[str, Any]
    addresses: tuple[Address, ...]
    birthdate: date | None
    company: str | None
    job_title: str | None

    @classmethod
    def of(cls, row: Contact | Row) -> ContactRecord:
        return cls(
            id=row.id,
            first_name=row.first_name,
            last_name=row.last_name,
            phones=phones_of(row),
            emails=emails_of(row),
            picture=row.picture,
            custom_fields=dict(row.custom_fields or {}),
            addresses=addresses_of(row),
            birthdate=row.birthdate,
            company=row.company,
            job_title=row.job_title,
        )


@dataclass(frozen=True)
class MemberRecord:
    """Every field of a member: what the member itself and the backend see."""

    id: uuid.UUID
    login_email: str | None
    login_email_verified: bool
    status: MemberStatus
    privacy_status: PrivacyStatus
    activity_status: ActivityStatus
    contact: ContactRecord
    profile: ProfileRecord
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    mfa_enabled: bool = False

    @classmethod
    def of(cls, row: Member | Row) -> MemberRecord:
        """``row`` with its contact fetched (``select_related("contact")`` or assigned), or a listing's
        ``Row`` of these columns (gql/domain/members.py's ``LISTED``)."""
        return cls(
            id=row.id,
            login_email=row.login_email,
            login_email_verified=row.email_verified,
            status=MemberStatus(row.status),
            privacy_status=PrivacyStatus(row.privacy_status),
            activity_status=ActivityStatus(row.activity_status),
            contact=ContactRecord.of(row.contact),
            profile=ProfileRecord.of(row),
            created_at=row.created_at,
            updated_at=row.updated_at,
            last_login_at=row.last_login_at,
            mfa_enabled=row.mfa_enabled,
        )


@dataclass(frozen=True)
class PublicMemberRecord:
    """The public profile of a PUBLIC, APPROVED member: what everybody else sees."""

    id: uuid.UUID
    profile: ProfileRecord

    @classmethod
    def of(cls, row: Member | Row) -> PublicMemberRecord:
        return cls(id=row.id, profile=ProfileRecord.of(row))


# A member as one caller may see it.
MemberView = MemberRecord | PublicMemberRecord
