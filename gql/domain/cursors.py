"""Pagination cursors: opaque, authenticated, and good only for the listing that issued them.

A cursor names a position in a keyset-paginated listing: the sort key of the last row
shown and that row's id. It used to be readable base64 JSON, which told anonymous callers
the createdDate they may not see, and let anyone hand the keyset query values the server
never issued. Now every listing's cursors go through ``Cursors``:

* AES-256-GCM (authenticated encryption) under a key derived from ``MEMBERS_SECRET_KEY``
  for cursors only, so the key that signs tokens and sessions never meets this use;
* a synthetic nonce, HMAC-SHA256 of the associated data and the payload under a second derived
  key: random nonces would make a busy server approach GCM's 2^32-encryptions-per-key limit,
  while a nonce that repeats only for the very same position and listing repeats only the
  very same cursor (all a repeat then tells is that two cursors are equal);
* the listing and its sort order as associated data: a cursor of one listing or sort order
  fails authentication on any other, with nothing in the cursor to edit;
* a compact JSON payload, ``[key, id-hex]``, whose shape and types are checked again after
  decrypting (only this module writes it, but a mistake must not reach the query);
* canonical unpadded base64url text (``gql.domain.encoding``).

Anything wrong answers one ``DomainError`` (3209, property "after") that says nothing
about which check failed. Changing the secret key makes every cursor invalid, which costs
a client no more than starting its listing again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gql.domain.encoding import EncodingError, b64url_decode, b64url_encode
from gql.domain.errors import DomainError, ErrorCode

_PURPOSE = b"members/cursor/v1"  # a new payload layout gets a new label, hence a new key
_NONCE_SIZE = 12
_TAG_SIZE = 16
_SEPARATOR = "|"
_ROW_ID = re.compile(r"[0-9a-f]{32}")
# Far above the longest cursor (a 500-character nickname key, 4 bytes a character, is
# about 2.8k characters of text), so only junk is refused unread.
MAX_CURSOR_LENGTH = 4096

Key = str | datetime


def derive_key(secret_key: str, label: bytes = _PURPOSE) -> bytes:
    """A 256-bit key for cursors: HMAC-SHA256 of a fixed label under the secret."""
    return hmac.new(secret_key.encode(), label, hashlib.sha256).digest()


@dataclass(frozen=True)
class Listing:
    """What a cursor belongs to, e.g. ``("members", "NICKNAME", "ASC")``, and its key's type.

    The parts become the associated data; they are names and ids, never client text.
    """

    parts: tuple[str, ...]
    key_type: type[str] | type[datetime]

    def __post_init__(self) -> None:
        # "a|b", "c" and "a", "b|c" must not authenticate as one another.
        if not self.parts or any(_SEPARATOR in part for part in self.parts):
            raise ValueError(f"listing parts must be non-empty and free of {_SEPARATOR!r}: {self.parts!r}")

    @property
    def associated_data(self) -> bytes:
        return _SEPARATOR.join(self.parts).encode()


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last row's sort key and id (ties on the key are broken by id)."""

    key: Key
    row_id: uuid.UUID


def _invalid(argument: str = "after") -> DomainError:
    return DomainError(
        ErrorCode.INVALID_ARGUMENT,
        "The cursor is malformed or belongs to another listing or sort order.",
        property=argument,
    )


class Cursors:
    """Encodes and decodes the cursors of every listing; built once from the settings."""

    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(derive_key(secret_key))
        self._nonce_key = derive_key(secret_key, _PURPOSE + b"/nonce")

    def encode(self, listing: Listing, position: Position) -> str:
        key = position.key.isoformat() if isinstance(position.key, datetime) else position.key
        payload = json.dumps([key, position.row_id.hex], separators=(",", ":"), ensure_ascii=False).encode()
        data = listing.associated_data
        nonce = hmac.new(self._nonce_key, data + b"\x00" + payload, hashlib.sha256).digest()[:_NONCE_SIZE]
        return b64url_encode(nonce + self._aead.encrypt(nonce, payload, data))

    def decode(self, listing: Listing, text: str, argument: str = "after") -> Position:
        """The position ``text`` names in ``listing``; 3209 (naming ``argument``) for anything the
        server did not issue there."""
        if len(text) > MAX_CURSOR_LENGTH:
            raise _invalid(argument)
        try:
            raw = b64url_decode(text)
        except EncodingError:
            raise _invalid(argument) from None
        if len(raw) < _NONCE_SIZE + _TAG_SIZE:
            raise _invalid(argument)
        try:
            payload = self._aead.decrypt(raw[:_NONCE_SIZE], raw[_NONCE_SIZE:], listing.associated_data)
        except InvalidTag:
            raise _invalid(argument) from None
        position = _position(listing, payload)
        if position is None:
            raise _invalid(argument)
        return position


def _position(listing: Listing, payload: bytes) -> Position | None:
    """The payload checked as strictly as if a client had written it (None: not a position)."""
    try:
        value = json.loads(payload)
    except ValueError:  # also UnicodeDecodeError
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(item, str) for item in value)):
        return None
    key_text, row_hex = value
    if not _ROW_ID.fullmatch(row_hex):
        return None
    key: Key = key_text
    if listing.key_type is datetime:
        try:
            key = datetime.fromisoformat(key_text)
        except ValueError:
            return None
    return Position(key, uuid.UUID(hex=row_hex))
