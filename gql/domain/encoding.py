"""Unpadded base64url, decoded strictly: every token and cursor the server hands out uses it.

``base64.urlsafe_b64decode`` skips characters outside the alphabet and accepts padding and
``+/`` in places, so many different strings would decode to one token. Here a string
decodes only if it is exactly what ``b64url_encode`` makes of the decoded bytes: one
spelling per value, anything else is refused.
"""

from __future__ import annotations

import base64
import binascii
import re

_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


class EncodingError(ValueError):
    """The text is not the canonical unpadded base64url spelling of any bytes."""


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    """The bytes ``text`` spells, or ``EncodingError`` for anything but the canonical spelling."""
    if not isinstance(text, str) or not _ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        raise EncodingError("not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise EncodingError("not unpadded base64url") from None
    if b64url_encode(raw) != text:  # unused low bits set: another spelling of the same bytes
        raise EncodingError("not the canonical base64url spelling")
    return raw
