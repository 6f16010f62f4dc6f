"""Normalising identities and checking email addresses."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

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
    """The email as given (trimmed) when it is well-formed; 3040 otherwise."""
    candidate = email.strip()
    if len(candidate) > EMAIL_MAX_LENGTH:
        raise DomainError(ErrorCode.EMAIL_FORMAT, "The email address is too long.", property="email")
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise DomainError(
            ErrorCode.EMAIL_FORMAT, f"The email address is in the wrong format: {exc}", property="email"
        ) from None
    return candidate
