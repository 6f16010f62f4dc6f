"""The pure rules of passwordless sign-in (gql/domain/passwordless.py): how a code and a link are
made from a nonce, and what the database keeps of them."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from gql.domain.passwordless import Recipe, code_hash, link_hash, secrets_of, signup_open
from gql.domain.policy import LOGIN_CODE_DIGITS
from gql.domain.registration_settings import RegistrationSettings
from gql.domain.sessions import _TOKEN


def services(secret: str = "unit-secret-key-that-is-long-enough-0123456789") -> Any:
    return SimpleNamespace(config=SimpleNamespace(secret_key=secret))


def test_a_nonce_gives_a_code_of_the_declared_digits_and_a_256_bit_link_token() -> None:
    for _ in range(200):
        code, token = secrets_of(services(), os.urandom(16))
        assert len(code) == LOGIN_CODE_DIGITS and code.isascii() and code.isdigit()
        assert _TOKEN.fullmatch(token)  # 43 base64url characters, as session tokens


def test_the_same_nonce_gives_the_same_secrets_only_with_the_same_server_secret() -> None:
    nonce = os.urandom(16)
    assert secrets_of(services(), nonce) == secrets_of(services(), nonce)
    assert secrets_of(services(), nonce)[1] != secrets_of(services("another-secret-key-0123456789abcdefgh"), nonce)[1]


def test_codes_spread_over_every_digit() -> None:
    firsts = {secrets_of(services(), os.urandom(16))[0][0] for _ in range(500)}
    assert firsts == set("0123456789")


def test_what_is_stored_is_keyed_bound_to_the_address_and_not_the_secret() -> None:
    digest = code_hash(services(), "ada@example.com", "123456")
    assert "123456" not in digest and len(digest) == 64
    assert digest != code_hash(services(), "bob@example.com", "123456")
    assert digest != code_hash(services("another-secret-key-0123456789abcdefgh"), "ada@example.com", "123456")
    token = secrets_of(services(), os.urandom(16))[1]
    assert token not in link_hash(token) and len(link_hash(token)) == 64


def test_the_recipe_round_trips_and_names_its_kind() -> None:
    recipe = Recipe("ada@example.com", os.urandom(16))
    data = recipe.to_json()
    assert Recipe.is_one(data) and Recipe.from_json(data) == recipe
    assert not Recipe.is_one({"purpose": "RESET"}) and not Recipe.is_one(None)


def test_signup_needs_the_setting_open_registration_and_the_email_as_identity() -> None:
    assert not signup_open(RegistrationSettings())
    assert signup_open(RegistrationSettings(passwordless_signup=True))
    assert not signup_open(RegistrationSettings(passwordless_signup=True, enabled=False))
