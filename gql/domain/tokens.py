"""Signed approval tokens (JWS, HS256) and random session tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt

from gql.domain.errors import DomainError, ErrorCode

APPROVAL_TTL = timedelta(hours=30)
_ALGORITHM = "HS256"  # pinned: decode never trusts the token's own "alg" header
_PREFIX = "JWS."  # as Wix's approval tokens look


@dataclass(frozen=True)
class ApprovalClaim:
    member_id: uuid.UUID
    jti: str


class ApprovalTokens:
    def __init__(self, secret_key: str) -> None:
        self._key = secret_key

    def issue(self, member_id: uuid.UUID, jti: str, now: datetime | None = None) -> str:
        issued = now or datetime.now(timezone.utc)
        claims = {
            "sub": str(member_id),
            "pur": "approve",
            "jti": jti,
            "iat": issued,
            "exp": issued + APPROVAL_TTL,
        }
        return _PREFIX + jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def read(self, token: str) -> ApprovalClaim:
        raw = token.strip().removeprefix(_PREFIX)
        try:
            claims = jwt.decode(
                raw, self._key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "jti", "pur"]}
            )
        except jwt.ExpiredSignatureError:
            raise DomainError(ErrorCode.TOKEN_EXPIRED, "The approval token has expired.") from None
        except jwt.PyJWTError:
            raise DomainError(ErrorCode.TOKEN_INVALID, "The approval token is invalid.") from None
        if claims.get("pur") != "approve":
            raise DomainError(ErrorCode.TOKEN_INVALID, "This token is not an approval token.")
        try:
            member_id = uuid.UUID(str(claims["sub"]))
        except ValueError:
            raise DomainError(ErrorCode.TOKEN_INVALID, "The approval token is invalid.") from None
        return ApprovalClaim(member_id=member_id, jti=str(claims["jti"]))


def new_jti() -> str:
    return secrets.token_urlsafe(16)


def new_session_token() -> str:
    """256 random bits; only its hash is ever stored."""
    return secrets.token_urlsafe(32)


def session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
