"""Signed single-purpose tokens (JWS, HS256) and random session tokens.

Each token names its purpose (approve, confirm, reset) and carries a ``jti``; the
member row keeps the one ``jti`` still valid per purpose, so a token works once and a
newer token of the same purpose invalidates older ones.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

import jwt

from gql.domain.errors import DomainError, ErrorCode

_ALGORITHM = "HS256"  # pinned: decoding never trusts the token's own "alg" header
_PREFIX = "JWS."  # as Wix's approval tokens look


class Purpose(Enum):
    APPROVE = ("approve", timedelta(hours=30), "approval")
    CONFIRM = ("confirm", timedelta(hours=48), "email confirmation")
    RESET = ("reset", timedelta(hours=3), "password")

    def __init__(self, claim: str, ttl: timedelta, label: str) -> None:
        self.claim = claim
        self.ttl = ttl
        self.label = label


APPROVAL_TTL = Purpose.APPROVE.ttl


@dataclass(frozen=True)
class TokenClaim:
    member_id: uuid.UUID
    jti: str


class SignedTokens:
    def __init__(self, secret_key: str) -> None:
        self._key = secret_key

    def issue(self, purpose: Purpose, member_id: uuid.UUID, jti: str, now: datetime | None = None) -> str:
        issued = now or datetime.now(timezone.utc)
        claims = {"sub": str(member_id), "pur": purpose.claim, "jti": jti, "iat": issued, "exp": issued + purpose.ttl}
        return _PREFIX + jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def read(self, purpose: Purpose, token: str) -> TokenClaim:
        raw = token.strip().removeprefix(_PREFIX)
        invalid = DomainError(ErrorCode.TOKEN_INVALID, f"The {purpose.label} token is invalid.", property="token")
        try:
            claims = jwt.decode(
                raw, self._key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "jti", "pur"]}
            )
        except jwt.ExpiredSignatureError:
            raise DomainError(
                ErrorCode.TOKEN_EXPIRED, f"The {purpose.label} token has expired.", property="token"
            ) from None
        except jwt.PyJWTError:
            raise invalid from None
        if claims.get("pur") != purpose.claim:
            raise invalid
        try:
            return TokenClaim(member_id=uuid.UUID(str(claims["sub"])), jti=str(claims["jti"]))
        except ValueError:
            raise invalid from None


def new_jti() -> str:
    return secrets.token_urlsafe(16)


def new_session_token() -> str:
    """256 random bits; only its hash is ever stored."""
    return secrets.token_urlsafe(32)


def session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
