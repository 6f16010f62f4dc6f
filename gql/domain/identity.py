"""Normalising identities and checking email addresses."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from email_validator import EmailNotValidError, validate_email
from tortoise.exceptions import IntegrityError

from gql.db.errors import violated_column
from gql.domain.errors import DomainError, ErrorCode

EMAIL_MAX_LENGTH = 320


def normalise(value: str) -> str:
    """The comparison key of an identity: NFKC, case-folded, trimmed.

    NFKC runs before and after case-folding (as Unicode's NFKC_Casefold does), so
    fullwidth letters, ligatures and case variants of one address meet on one key,
    and the unique index on that key decides who registered first.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded.strip()


def checked_email(email: str) -> str:
    """The canonical form of a well-formed address — what is stored and what mail goes to; 3040 otherwise.

    Canonical: trimmed, NFKC (compatibility characters such as fullwidth letters or the Kelvin
    sign become the letters they stand for), domain lower-cased. Stored raw, a lookalike such as
    "\u212aate@example.com" would hold the key of kate@example.com while mail went to the
    lookalike: the stored address and its key must name the same mailbox. Addresses whose key
    would still differ from a plain lower-casing (case folding turns "ß" into "ss", "ς" into "σ")
    are refused, since two different mailboxes would then share one key.
    """
    candidate = unicodedata.normalize("NFKC", email.strip())
    if len(candidate) > EMAIL_MAX_LENGTH:
        raise DomainError(ErrorCode.EMAIL_FORMAT, "The email address is too long.", property="email")
    try:
        canonical = validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise DomainError(
            ErrorCode.EMAIL_FORMAT, f"The email address is in the wrong format: {exc}", property="email"
        ) from None
    if normalise(canonical) != canonical.lower():
        raise DomainError(
            ErrorCode.EMAIL_FORMAT,
            "The email address holds letters that case folding changes (such as ß); write it with plain letters.",
            property="email",
        )
    return canonical


@contextmanager
def identity_is_unique(identity_property: str = "email", message: str | None = None) -> Iterator[None]:
    """A write inside that hits the unique index of the identity or the login email is 3033.

    Only the index decides who registered first: a look-up before the write would let two
    racing writers both find the identity free.
    """
    try:
        yield
    except IntegrityError as exc:
        column = violated_column(exc)
        if column not in ("identity", "email_key"):
            raise
        raise DomainError(
            ErrorCode.IDENTITY_TAKEN,
            message or "A member with the same identity already exists.",
            property="email" if column == "email_key" else identity_property,
        ) from None
