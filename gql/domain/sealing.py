"""Secrets the server must read back but a copy of the database must not reveal: sealed with
AES-256-GCM under a key derived from ``MEMBERS_SECRET_KEY`` for one purpose only.

Used for the access tokens' private keys (gql/domain/signing_keys.py) and the members' TOTP
secrets (gql/domain/totp.py). ``context`` binds a sealed value to its row (a key id, a member
id), so a value copied into another row does not open there.
"""

from __future__ import annotations

import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gql.domain.cursors import derive_key
from gql.domain.encoding import EncodingError, b64url_decode, b64url_encode

_NONCE_SIZE = 12


class Sealer:
    def __init__(self, secret_key: str, purpose: bytes) -> None:
        self._aead = AESGCM(derive_key(secret_key, purpose))

    def seal(self, plaintext: bytes, context: str) -> str:
        # Random 96-bit nonces: far fewer than 2**32 values are ever sealed under one key.
        nonce = secrets.token_bytes(_NONCE_SIZE)
        return b64url_encode(nonce + self._aead.encrypt(nonce, plaintext, context.encode()))

    def open(self, sealed: str, context: str) -> bytes | None:
        """The plaintext, or None when another secret key (or another row) sealed it."""
        try:
            raw = b64url_decode(sealed)
            return self._aead.decrypt(raw[:_NONCE_SIZE], raw[_NONCE_SIZE:], context.encode())
        except (EncodingError, InvalidTag, ValueError):
            return None
