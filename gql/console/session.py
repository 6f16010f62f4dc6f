"""The console's cookie: who is signed in, sealed, with its idle clock and its CSRF secret.

The cookie holds the credential the console calls the API with: a member's session token (from
``login``/``verifyMfa``) or an API key. It is AES-256-GCM-sealed under a key derived from
``MEMBERS_SECRET_KEY`` for this use only, so the browser can neither read nor alter it, and nothing
of it is stored server-side: a copy of the database opens no console. Every request re-checks
the credential through the API (a revoked session or key signs the console out at once) and the
idle clock (``MEMBERS_CONSOLE_IDLE_SECONDS``, kept in the sealed value and renewed by each request).

Every form carries a CSRF token: an HMAC of the cookie's random id, so only a page this console
rendered for this cookie holds it (and the cookie is ``SameSite=Strict`` besides).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from enum import Enum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gql.domain.cursors import derive_key
from gql.domain.encoding import EncodingError, b64url_decode, b64url_encode

COOKIE = "members_console"
# Before sign-in: the login form's CSRF value (a double-submit cookie), and a pending MFA step.
LOGIN_COOKIE = "members_console_login"
PATH = "/console"
_PURPOSE = b"members/console-cookie/v1"
_CSRF_PURPOSE = b"members/console-csrf/v1"
_NONCE = 12
# A console sign-in lasts at most this long, however active (the idle clock ends it sooner).
MAX_AGE_SECONDS = 12 * 3600


class Credential(Enum):
    SESSION = "session"  # a member's session token: Authorization: Bearer
    API_KEY = "key"  # an API key: X-Api-Key


@dataclass(frozen=True)
class ConsoleSession:
    kind: Credential
    secret: str
    sid: str  # random: what the CSRF token is made from
    started: float
    seen: float

    def headers(self) -> dict[str, str]:
        """Who the console calls the API as."""
        if self.kind is Credential.API_KEY:
            return {"x-api-key": self.secret}
        return {"authorization": f"Bearer {self.secret}"}


class Sealer:
    """Seals and opens the console's cookies; computes CSRF tokens."""

    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(derive_key(secret_key, _PURPOSE))
        self._csrf = derive_key(secret_key, _CSRF_PURPOSE)

    def seal(self, value: dict[str, object], label: str) -> str:
        nonce = secrets.token_bytes(_NONCE)
        data = json.dumps(value, separators=(",", ":")).encode()
        return b64url_encode(nonce + self._aead.encrypt(nonce, data, label.encode()))

    def open(self, sealed: str | None, label: str) -> dict[str, object] | None:
        if not sealed or len(sealed) > 4096:
            return None
        try:
            raw = b64url_decode(sealed)
            value = json.loads(self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], label.encode()))
        except (EncodingError, InvalidTag, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def session(self, sealed: str | None, now: float, idle_seconds: float) -> ConsoleSession | None:
        """The console session of this cookie, if it is well formed and neither idle nor too old."""
        value = self.open(sealed, COOKIE)
        if value is None:
            return None
        try:
            session = ConsoleSession(
                kind=Credential(value["k"]),
                secret=str(value["s"]),
                sid=str(value["i"]),
                started=float(value["t"]),  # type: ignore[arg-type]
                seen=float(value["a"]),  # type: ignore[arg-type]
            )
        except (KeyError, ValueError, TypeError):
            return None
        if not 0 <= now - session.seen <= idle_seconds or not 0 <= now - session.started <= MAX_AGE_SECONDS:
            return None
        return session

    def seal_session(self, session: ConsoleSession) -> str:
        return self.seal(
            {"k": session.kind.value, "s": session.secret, "i": session.sid, "t": session.started, "a": session.seen},
            COOKIE,
        )

    def csrf(self, sid: str) -> str:
        return hmac.new(self._csrf, sid.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, sid: str, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(self.csrf(sid), sent)


def new_session(kind: Credential, secret: str, now: float) -> ConsoleSession:
    return ConsoleSession(kind=kind, secret=secret, sid=secrets.token_urlsafe(16), started=now, seen=now)
