"""The cursor codec alone: round trips, tampering, another listing's associated data."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gql.domain.cursors import MAX_CURSOR_LENGTH, Cursors, Listing, Position, derive_key
from gql.domain.encoding import b64url_decode, b64url_encode
from gql.domain.errors import DomainError, ErrorCode

SECRET = "unit-secret-key-0123456789-0123456789-abcdef"
BY_NICKNAME = Listing(("members", "NICKNAME", "ASC"), str)
BY_NICKNAME_DESC = Listing(("members", "NICKNAME", "DESC"), str)
BY_DATE = Listing(("members", "CREATED_DATE", "ASC"), datetime)
CREATED = datetime(2024, 5, 17, 9, 30, 1, 123456, tzinfo=timezone.utc)
ROW = uuid.UUID("3bd11341-a307-4c2d-aad5-826636f6d95d")


def refused(cursors: Cursors, listing: Listing, text: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        cursors.decode(listing, text)
    error = caught.value
    assert error.code == ErrorCode.INVALID_ARGUMENT and error.details == {"property": "after"}
    assert error.message == "The cursor is malformed or belongs to another listing or sort order."
    return error


@pytest.fixture
def cursors() -> Cursors:
    return Cursors(SECRET)


@pytest.mark.parametrize(
    ("listing", "key"),
    [
        (BY_NICKNAME, "ada lovelace"),
        (BY_NICKNAME, ""),
        (BY_NICKNAME, 'ｅｍｏｊｉ 😀 | "quoted" ,[]'),
        (BY_NICKNAME, "x" * 500),  # the longest nickname key the model holds
        (BY_DATE, CREATED),
        (BY_DATE, datetime(2024, 5, 17, 9, 30, 1)),  # what a naive column gives back stays naive
    ],
)
def test_round_trip(cursors: Cursors, listing: Listing, key: str | datetime) -> None:
    text = cursors.encode(listing, Position(key, ROW))
    assert len(text) <= MAX_CURSOR_LENGTH
    decoded = cursors.decode(listing, text)
    assert decoded == Position(key, ROW) and type(decoded.key) is type(key)
    assert Cursors(SECRET).decode(listing, text) == decoded  # another process with the same secret


def test_opaque_and_the_nonce_repeats_only_with_the_position(cursors: Cursors) -> None:
    first = cursors.encode(BY_DATE, Position(CREATED, ROW))
    assert cursors.encode(BY_DATE, Position(CREATED, ROW)) == first  # a synthetic nonce: same position, same cursor
    second = cursors.encode(BY_DATE, Position(CREATED, uuid.uuid4()))
    other_listing = cursors.encode(BY_NICKNAME, Position(CREATED.isoformat(), ROW))
    nonces = {b64url_decode(text)[:12] for text in (first, second, other_listing)}
    assert len(nonces) == 3  # any other position or listing: another nonce
    for text in (first, second):
        raw = b64url_decode(text)
        for secret in (CREATED.isoformat().encode(), b"2024-05-17", str(ROW).encode(), ROW.hex.encode(), ROW.bytes):
            assert secret not in raw


def test_every_one_character_change_and_truncation_is_refused(cursors: Cursors) -> None:
    text = cursors.encode(BY_NICKNAME, Position("ada", ROW))
    for i in range(len(text)):
        refused(cursors, BY_NICKNAME, text[:i] + ("B" if text[i] == "A" else "A") + text[i + 1 :])
    for end in range(len(text)):
        refused(cursors, BY_NICKNAME, text[:end])
    refused(cursors, BY_NICKNAME, text + "A")
    refused(cursors, BY_NICKNAME, text + "=")  # padded: not the canonical spelling


def test_every_flipped_bit_is_refused(cursors: Cursors) -> None:
    raw = b64url_decode(cursors.encode(BY_DATE, Position(CREATED, ROW)))
    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        refused(cursors, BY_DATE, b64url_encode(bytes(flipped)))


def test_another_listing_sort_or_key_is_refused(cursors: Cursors) -> None:
    text = cursors.encode(BY_NICKNAME, Position("ada", ROW))
    for other in (BY_NICKNAME_DESC, BY_DATE, Listing(("memberEvents", str(ROW)), datetime), Listing(("members",), str)):
        refused(cursors, other, text)
    refused(Cursors(SECRET + "-other"), BY_NICKNAME, text)


def test_listing_parts_cannot_run_into_each_other() -> None:
    with pytest.raises(ValueError):
        Listing(("members|NICKNAME", "ASC"), str)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "A",
        "A" * 38,  # shorter than a nonce and a tag
        "A" * (MAX_CURSOR_LENGTH + 1),
        "WyJOSUNLTkFNRSIsZmFsc2UsImEiLDVd",  # the old format: base64 of ["NICKNAME",false,"a",5]
        "WyJOSUNLTkFNRSIsZmFsc2UsImFiIiw1XQ==",  # the old format, padded: ["NICKNAME",false,"ab",5]
        "not+base64/at+all",
    ],
)
def test_malformed_text_is_refused(cursors: Cursors, text: str) -> None:
    refused(cursors, BY_NICKNAME, text)


def _sealed(payload: bytes, listing: Listing) -> str:
    """A cursor the key really made, with a payload ``Cursors.encode`` would never write."""
    nonce = b"\x00" * 12
    return b64url_encode(nonce + AESGCM(derive_key(SECRET)).encrypt(nonce, payload, listing.associated_data))


@pytest.mark.parametrize(
    "payload",
    [
        b'["a",5]',
        b'["a"]',
        b'["a","' + ROW.hex.encode() + b'","extra"]',
        b'{"key":"a"}',
        b'"a"',
        b"[1," + json.dumps(ROW.hex).encode() + b"]",
        b'["a","' + str(ROW).encode() + b'"]',  # the id in another spelling
        b'["a","' + ROW.hex.upper().encode() + b'"]',
        b"not json",
        b"\xff\xfe",
        b"",
    ],
)
def test_authentic_payload_of_the_wrong_shape_is_refused(cursors: Cursors, payload: bytes) -> None:
    refused(cursors, BY_NICKNAME, _sealed(payload, BY_NICKNAME))


def test_authentic_payload_with_a_bad_date_is_refused(cursors: Cursors) -> None:
    good = json.dumps([CREATED.isoformat(), ROW.hex]).encode()
    assert cursors.decode(BY_DATE, _sealed(good, BY_DATE)) == Position(CREATED, ROW)
    for key in ("yesterday", "", "2024-13-01T00:00:00"):
        refused(cursors, BY_DATE, _sealed(json.dumps([key, ROW.hex]).encode(), BY_DATE))


def test_the_key_is_derived_for_cursors_only() -> None:
    key = derive_key(SECRET)
    assert len(key) == 32 and key == derive_key(SECRET)
    assert key != derive_key(SECRET + "x")
    # Bound to its use: the same secret under another label (the session tokens') gives another key.
    assert key != derive_key(SECRET, b"members/session-token/v1")
    assert key != hashlib.sha256(SECRET.encode()).digest()
