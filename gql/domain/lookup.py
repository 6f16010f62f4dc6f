"""Finding one member: by id or by email, the one way every rule does it.

Ids are UUIDs; a string that is not one names no member (it is not an error of its own:
the answer is the same as for an id nobody has, so malformed and unknown ids look alike).
Emails are compared by their normalised key (``gql.domain.identity.normalise``).
"""

from __future__ import annotations

import uuid
from typing import Literal

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member
from gql.db.prepared import Prepared
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import normalise


def parse_id(value: str | uuid.UUID) -> uuid.UUID | None:
    """The UUID ``value`` spells, or None."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _with_contact(column: str) -> Prepared[Member]:
    return Prepared(
        Member, lambda value: Member.filter(**{column: value}).select_related("contact").limit(1), value=column
    )


# Prepared (gql/db/prepared.py): a login, a Bearer currentMember and member(id) each ask one of these.
_WITH_CONTACT_BY = {column: _with_contact(column) for column in ("id", "identity", "email_key")}


async def member_with_contact(
    column: Literal["id", "identity", "email_key"], value: object, connection: BaseDBAsyncClient | None = None
) -> Member | None:
    """The member whose unique ``column`` ("id", "identity" or "email_key") is ``value``, with its contact.
    A text longer than the column names no member (Tortoise would refuse to send it: a login with a
    5,000-character identity is a wrong login, not an unexpected error)."""
    max_length = getattr(Member._meta.fields_map[column], "max_length", None)
    if isinstance(value, str) and max_length is not None and len(value) > max_length:
        return None
    return await _WITH_CONTACT_BY[column].first(connection, value=value)


def not_found(argument: str = "id") -> DomainError:
    return DomainError(ErrorCode.MEMBER_NOT_FOUND, property=argument)


async def find_by_id(member_id: str | uuid.UUID, connection: BaseDBAsyncClient | None = None) -> Member | None:
    """The member (with its contact) of that id, or None."""
    parsed = parse_id(member_id)
    if parsed is None:
        return None
    return await member_with_contact("id", parsed, connection)


async def member_by_id(
    member_id: str | uuid.UUID, connection: BaseDBAsyncClient | None = None, *, argument: str = "id"
) -> Member:
    """The member of that id; 3030 (naming ``argument``) when there is none."""
    member = await find_by_id(member_id, connection)
    if member is None:
        raise not_found(argument)
    return member


async def find_by_email(email: str, connection: BaseDBAsyncClient | None = None) -> Member | None:
    """The member whose login email has the same key as ``email``, with its contact, or None."""
    if not email.strip():
        return None
    return await member_with_contact("email_key", normalise(email), connection)


async def member_by_email(email: str, connection: BaseDBAsyncClient | None = None) -> Member:
    """The member with that login email; 3030 when there is none."""
    member = await find_by_email(email, connection)
    if member is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, "No member has that email.", property="email")
    return member
