"""Profile defaults: a nickname from the name or the email, and a URL slug from the nickname."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tortoise.exceptions import IntegrityError

from gql.db.errors import violated_column
from gql.db.transactions import in_transaction
from gql.domain.errors import DomainError, ErrorCode

T = TypeVar("T")

SLUG_MAX_LENGTH = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def nickname_for(first_name: str | None, last_name: str | None, email: str | None, identity: str) -> str:
    full_name = " ".join(part.strip() for part in (first_name, last_name) if part and part.strip())
    if full_name:
        return full_name
    if email:
        return email.split("@", 1)[0]
    return identity


def base_slug(nickname: str) -> str:
    """ "Javier Doe" -> "javierdoe" (as Wix does); accents dropped, never empty."""
    ascii_only = unicodedata.normalize("NFKD", nickname).encode("ascii", "ignore").decode("ascii").lower()
    slug = _NOT_SLUG.sub("", ascii_only)[:SLUG_MAX_LENGTH]
    return slug or "member"


def slug_candidates(nickname: str, attempts: int = 6) -> list[str]:
    """The plain slug first; if the unique index refuses it, a short random suffix."""
    base = base_slug(nickname)
    trimmed = base[: SLUG_MAX_LENGTH - 7]
    return [base] + [f"{trimmed}-{secrets.token_hex(3)}" for _ in range(attempts - 1)]


async def with_free_slug(nickname: str, write: Callable[[str], Awaitable[T]]) -> T:
    """Run ``write(slug)`` with the plain slug, then suffixed ones until the unique index takes it.

    Each try is a savepoint inside the caller's transaction: a taken slug undoes only that
    write, not the rest of the transaction. Other integrity errors go to the caller.
    """
    for slug in slug_candidates(nickname):
        try:
            async with in_transaction():
                return await write(slug)
        except IntegrityError as exc:
            if violated_column(exc) != "slug":
                raise
    raise DomainError(ErrorCode.REGISTRATION_ERROR, "Could not find a free profile slug; try again.")
