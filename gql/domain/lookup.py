"""Finding one member: by id or by email, the one way every rule does it.

Ids are UUIDs; a string that is not one names no member (it is not an error of its own:
the answer is the same as for an id nobody has, so malformed and unknown ids look alike).
Emails are compared by their normalised key (``gql.domain.identity.normalise``).
"""

from __future__ import annotations

import uuid

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member
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


def not_found(argument: str = "id") -> DomainError:
    return DomainError(ErrorCode.MEMBER_NOT_FOUND, property=argument)


async def find_by_id(member_id: str | uuid.UUID, connection: BaseDBAsyncClient | None = None) -> Member | None:
    """The member (with its contact) of that id, or None."""
    parsed = parse_id(member_id)
    if parsed is None:
        return None
    return await Member.filter(id=parsed).using_db(connection).select_related("contact").first()


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
    return await Member.filter(email_key=normalise(email)).using_db(connection).select_related("contact").first()


async def member_by_email(email: str, connection: BaseDBAsyncClient | None = None) -> Member:
    """The member with that login email; 3030 when there is none."""
    member = await find_by_email(email, connection)
    if member is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, "No member has that email.", property="email")
    return member
