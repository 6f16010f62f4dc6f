"""Signed single-purpose tokens (JWS, HS256): approval, email confirmation, password reset.

(Session tokens are opaque random values checked against their row, gql/domain/sessions.py;
access tokens are asymmetric JWTs, gql/domain/access_tokens.py.)

Each token names its purpose (approve, confirm, reset) and carries a ``jti``; the
member row keeps the one ``jti`` still valid per purpose, so a token works once and a
newer token of the same purpose invalidates older ones. It also carries a fingerprint of
the account state it was issued for (``fp``, see gql/domain/links.py): when that state
changes, the token is dead.

Every token is read strictly: one spelling per token (gql/domain/encoding.py), so no
padding, inserted characters or ``+/`` for ``-_`` are accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

import jwt

from gql.domain.encoding import EncodingError, b64url_decode, b64url_encode
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.policy import APPROVAL_TOKEN_LIFETIME, CONFIRMATION_LINK_LIFETIME, PASSWORD_LINK_LIFETIME

_ALGORITHM = "HS256"  # pinned: decoding never trusts the token's own "alg" header
_PREFIX = "JWS."  # as Wix's approval tokens look


_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class Purpose(Enum):
    # claim, lifetime, label, and whether a password change kills it (see gql/domain/links.py)
    APPROVE = ("approve", APPROVAL_TOKEN_LIFETIME, "approval", False)
    CONFIRM = ("confirm", CONFIRMATION_LINK_LIFETIME, "email confirmation", True)
    RESET = ("reset", PASSWORD_LINK_LIFETIME, "password", True)

    def __init__(self, claim: str, ttl: timedelta, label: str, binds_password: bool) -> None:
        self.claim = claim
        self.ttl = ttl
        self.label = label
        self.binds_password = binds_password


@dataclass(frozen=True)
class TokenClaim:
    member_id: uuid.UUID
    jti: str
    fingerprint: str  # of the account state the token was issued for


class SignedTokens:
    def __init__(self, secret_key: str) -> None:
        self._key = secret_key
        self._state_key = hmac.new(secret_key.encode(), b"members/link-state/v1", hashlib.sha256).digest()

    def fingerprint(self, purpose: Purpose, state: str) -> str:
        """A keyed digest of ``state`` (what the token is bound to): reveals nothing, forgeable by nobody."""
        digest = hmac.new(self._state_key, f"{purpose.claim}\n{state}".encode(), hashlib.sha256).digest()
        return b64url_encode(digest[:16])

    def issue(
        self, purpose: Purpose, member_id: uuid.UUID, jti: str, fingerprint: str, issued_at: datetime | None = None
    ) -> str:
        issued = issued_at or datetime.now(timezone.utc)
        claims = {
            "sub": str(member_id),
            "pur": purpose.claim,
            "jti": jti,
            "fp": fingerprint,
            "iat": issued,
            "exp": issued + purpose.ttl,
        }
        return _PREFIX + jwt.encode(claims, self._key, algorithm=_ALGORITHM)

    def read(self, purpose: Purpose, token: str) -> TokenClaim:
        invalid = DomainError(ErrorCode.TOKEN_INVALID, f"The {purpose.label} token is invalid.", property="token")
        raw = token.removeprefix(_PREFIX)
        if not token.startswith(_PREFIX) or not _JWS.fullmatch(raw):
            raise invalid
        try:
            for segment in raw.split("."):
                b64url_decode(segment)  # one spelling per token: refuse what PyJWT would let through
        except EncodingError:
            raise invalid from None
        try:
            claims = jwt.decode(
                raw, self._key, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "jti", "pur", "fp"]}
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
            return TokenClaim(
                member_id=uuid.UUID(str(claims["sub"])), jti=str(claims["jti"]), fingerprint=str(claims["fp"])
            )
        except ValueError:
            raise invalid from None


def new_jti() -> str:
    return secrets.token_urlsafe(16)
