"""Signed tokens: single-purpose ones (JWS, HS256: approval, email confirmation, password
reset) and session tokens (a compact HMAC-SHA256 layout, see gql/domain/sessions.py).

Each token names its purpose (approve, confirm, reset) and carries a ``jti``; the
member row keeps the one ``jti`` still valid per purpose, so a token works once and a
newer token of the same purpose invalidates older ones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
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


# --- session tokens -------------------------------------------------------------------

_VERSION = 1
# version, member id, session id, epoch, expiry (Unix seconds); then the 32-byte MAC.
_CLAIMS = struct.Struct(">B16s16sIQ")
_MAC_SIZE = 32


@dataclass(frozen=True)
class SessionClaim:
    member_id: uuid.UUID
    session_id: str  # 32 hex digits
    epoch: int
    expires_at: datetime


class SessionTokens:
    """Issues and reads session tokens; the key is derived from the secret for this use only."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._key = hmac.new(secret_key.encode(), b"members/session-token/v1", hashlib.sha256).digest()
        self._ttl = ttl_seconds

    def _mac(self, claims: bytes) -> bytes:
        return hmac.new(self._key, claims, hashlib.sha256).digest()

    def issue(self, member_id: uuid.UUID, epoch: int, now: float | None = None) -> str:
        expires = int((now if now is not None else time.time()) + self._ttl)
        claims = _CLAIMS.pack(_VERSION, member_id.bytes, secrets.token_bytes(16), epoch, expires)
        return base64.urlsafe_b64encode(claims + self._mac(claims)).decode().rstrip("=")

    def read(self, token: str, now: float | None = None) -> SessionClaim | None:
        """The token's claims, or None when it is malformed, forged or expired."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            return None
        if len(raw) != _CLAIMS.size + _MAC_SIZE:
            return None
        claims, mac = raw[: _CLAIMS.size], raw[_CLAIMS.size :]
        if not hmac.compare_digest(mac, self._mac(claims)):
            return None
        version, member_id, session_id, epoch, expires = _CLAIMS.unpack(claims)
        if version != _VERSION or expires <= (now if now is not None else time.time()):
            return None
        return SessionClaim(
            member_id=uuid.UUID(bytes=member_id),
            session_id=session_id.hex(),
            epoch=epoch,
            expires_at=datetime.fromtimestamp(expires, timezone.utc),
        )
