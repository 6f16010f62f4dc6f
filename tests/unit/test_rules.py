"""Pure rules: no database, no GraphQL."""

from __future__ import annotations

import asyncio
import string
import uuid
from datetime import datetime, timedelta, timezone

import bcrypt
import jwt
import pytest

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import checked_email, normalise
from gql.domain.passwords import PasswordHasher, _prehash, check_policy
from gql.domain.profiles import base_slug, nickname_for, slug_candidates
from gql.domain.properties import check_custom_fields
from gql.domain.registration_settings import DeclaredProperty, RegistrationSettings, validated
from gql.domain.tokens import Purpose, SignedTokens

SECRET = "unit-secret-key-0123456789-0123456789-abcdef"


def code_of(fn, *args) -> ErrorCode:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as caught:
        fn(*args)
    return caught.value.code


def settings(**changes) -> RegistrationSettings:  # type: ignore[no-untyped-def]
    base = dict(
        enabled=True, approval="AUTOMATIC", email_confirmation=False, dynamic_properties=True, identity_property="email"
    )
    base.update(changes)
    return validated(RegistrationSettings(**base))


class TestIdentity:
    @pytest.mark.parametrize(
        "variant", ["Alice@Example.com", "  alice@example.com ", "ＡＬＩＣＥ@example.com", "alice@EXAMPLE.COM\u3000"]
    )
    def test_variants_share_one_key(self, variant: str) -> None:
        assert normalise(variant) == "alice@example.com"

    def test_distinct_addresses_stay_distinct(self) -> None:
        assert normalise("alice@example.com") != normalise("alice2@example.com")

    @pytest.mark.parametrize("bad", ["plain", "a@", "@b.co", "a b@c.co", "a@b@c.co", "x" * 320 + "@b.co"])
    def test_bad_emails_are_3040(self, bad: str) -> None:
        assert code_of(checked_email, bad) is ErrorCode.EMAIL_FORMAT

    def test_good_email_is_trimmed(self) -> None:
        assert checked_email("  bob@example.com ") == "bob@example.com"


class TestPasswordPolicy:
    @pytest.mark.parametrize("ok", ["abcd", " " * 4, "~" * 100, "Pa ss!{}"])
    def test_accepts_4_to_100_printable_ascii(self, ok: str) -> None:
        check_policy(ok)

    @pytest.mark.parametrize("bad", ["abc", "a" * 101, "pässword", "tab\there", "new\nline", "emoji🙂x"])
    def test_refuses_others_with_3200(self, bad: str) -> None:
        assert code_of(check_policy, bad) is ErrorCode.PASSWORD_POLICY

    def test_empty_is_missing_3011(self) -> None:
        assert code_of(check_policy, "") is ErrorCode.MISSING_PASSWORD


class TestHasher:
    def test_every_one_of_100_characters_counts(self) -> None:
        hasher = PasswordHasher(cost=4, threads=1)
        password = "a" * 99 + "b"

        async def run() -> tuple[bool, bool, bool]:
            stored = await hasher.hash(password)
            return (
                await hasher.verify(password, stored),
                await hasher.verify("a" * 99 + "c", stored),  # differs only in the 100th character
                await hasher.verify("a" * 72, stored),  # what plain bcrypt would have kept
            )

        assert asyncio.run(run()) == (True, False, False)
        hasher.close()

    def test_unknown_account_costs_one_hash_and_fails(self) -> None:
        hasher = PasswordHasher(cost=4, threads=1)
        assert asyncio.run(hasher.verify("whatever", None)) is False
        assert hasher.computations == 1
        hasher.close()

    def test_the_stored_hash_is_salted_bcrypt_of_the_keyed_digest(self) -> None:
        """What is stored: bcrypt at the configured cost, salted (one password, two hashes), of the
        HMAC digest of the password — not of the password itself, which bcrypt would cut at 72 bytes."""
        hasher = PasswordHasher(cost=5, threads=1)
        first, second = asyncio.run(hasher.hash("wonderland")), asyncio.run(hasher.hash("wonderland"))
        assert first.startswith("$2b$05$") and second.startswith("$2b$05$") and first != second
        assert bcrypt.checkpw(_prehash("wonderland"), first.encode())
        assert not bcrypt.checkpw(b"wonderland", first.encode())
        hasher.close()


def approve_reader(tokens: SignedTokens):  # type: ignore[no-untyped-def]
    return lambda token: tokens.read(Purpose.APPROVE, token)


class TestApprovalTokens:
    def test_round_trip(self) -> None:
        tokens = SignedTokens(SECRET)
        member_id = uuid.uuid4()
        claim = tokens.read(Purpose.APPROVE, tokens.issue(Purpose.APPROVE, member_id, "jti-1", "fp"))
        assert (claim.member_id, claim.jti) == (member_id, "jti-1")

    def test_other_key_is_3201(self) -> None:
        token = SignedTokens(SECRET).issue(Purpose.APPROVE, uuid.uuid4(), "j", "fp")
        assert (
            code_of(approve_reader(SignedTokens("another-secret-key-0123456789-0123456789")), token)
            is ErrorCode.TOKEN_INVALID
        )

    def test_expired_after_30_hours_is_3202(self) -> None:
        tokens = SignedTokens(SECRET)
        issued = datetime.now(timezone.utc) - timedelta(hours=30, seconds=1)
        assert (
            code_of(approve_reader(tokens), tokens.issue(Purpose.APPROVE, uuid.uuid4(), "j", "fp", issued_at=issued))
            is ErrorCode.TOKEN_EXPIRED
        )
        fresh = datetime.now(timezone.utc) - timedelta(hours=29, minutes=59)
        tokens.read(Purpose.APPROVE, tokens.issue(Purpose.APPROVE, uuid.uuid4(), "j", "fp", issued_at=fresh))

    def test_alg_none_and_garbage_are_3201(self) -> None:
        unsigned = jwt.encode(
            {"sub": str(uuid.uuid4()), "jti": "j", "pur": "approve", "exp": 9999999999}, None, algorithm="none"
        )
        tokens = SignedTokens(SECRET)
        assert code_of(approve_reader(tokens), unsigned) is ErrorCode.TOKEN_INVALID
        assert code_of(approve_reader(tokens), "JWS.not.a.token") is ErrorCode.TOKEN_INVALID
        assert code_of(approve_reader(tokens), "") is ErrorCode.TOKEN_INVALID

    def test_wrong_purpose_is_3201(self) -> None:
        tokens = SignedTokens(SECRET)
        reset = tokens.issue(Purpose.RESET, uuid.uuid4(), "j", "fp")
        assert code_of(approve_reader(tokens), reset) is ErrorCode.TOKEN_INVALID
        tokens.read(Purpose.RESET, reset)

    def test_reset_tokens_last_3_hours(self) -> None:
        tokens = SignedTokens(SECRET)
        old = tokens.issue(
            Purpose.RESET, uuid.uuid4(), "j", "fp", issued_at=datetime.now(timezone.utc) - timedelta(hours=3, seconds=1)
        )
        with pytest.raises(DomainError) as caught:
            tokens.read(Purpose.RESET, old)
        assert caught.value.code is ErrorCode.TOKEN_EXPIRED


ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


class TestStrictLinkTokens:
    tokens = SignedTokens(SECRET)

    def test_only_the_exact_spelling_is_read(self) -> None:
        token = self.tokens.issue(Purpose.RESET, uuid.uuid4(), "j", "fp")
        self.tokens.read(Purpose.RESET, token)
        head, payload, signature = token.removeprefix("JWS.").split(".")
        for variant in (
            token + "=",
            f"JWS.{head}.{payload}.{signature}==",
            f"JWS.{head}.{payload}!!!.{signature}",
            f"JWS.{head}.{payload}.{signature[:5]}+/{signature[7:]}",
            token.removeprefix("JWS."),  # the prefix is part of the format
            " " + token,
            token + "\n",
        ):
            assert code_of(lambda t: self.tokens.read(Purpose.RESET, t), variant) is ErrorCode.TOKEN_INVALID, variant

    def test_the_account_fingerprint_is_keyed(self) -> None:
        other = SignedTokens("another-secret-key-0123456789-0123456789")
        state = "kate@example.com\nFalse\n0\n$2b$hash"
        assert self.tokens.fingerprint(Purpose.RESET, state) == self.tokens.fingerprint(Purpose.RESET, state)
        assert self.tokens.fingerprint(Purpose.RESET, state) != other.fingerprint(Purpose.RESET, state)
        assert self.tokens.fingerprint(Purpose.RESET, state) != self.tokens.fingerprint(Purpose.CONFIRM, state)
        # A digest of fixed size, not an encoding of the state: a longer state gives no longer fingerprint.
        assert len(self.tokens.fingerprint(Purpose.RESET, state)) == 22
        assert len(self.tokens.fingerprint(Purpose.RESET, state * 20)) == 22


class TestProfiles:
    def test_nickname_from_names_else_email_local_part(self) -> None:
        assert nickname_for("Javier", "Doe", "j@x.co", "j@x.co") == "Javier Doe"
        assert nickname_for(None, " ", "jdoe@x.co", "jdoe@x.co") == "jdoe"
        assert nickname_for(None, None, None, "captain") == "captain"

    def test_slug_like_wix(self) -> None:
        assert base_slug("Javier Doe") == "javierdoe"
        assert base_slug("Zoë O'Brien") == "zoeobrien"
        assert base_slug("日本") == "member"

    def test_slug_candidates_start_plain_then_unique_suffixes(self) -> None:
        candidates = slug_candidates("Javier Doe")
        assert candidates[0] == "javierdoe"
        assert len(set(candidates)) == len(candidates)
        assert all(c.startswith("javierdoe-") for c in candidates[1:])


class TestCustomFields:
    def test_accepts_wix_example(self) -> None:
        fields = {"hobby": "Basketball", "favorite-meal": "Pasta"}
        assert check_custom_fields(settings(), fields) == fields

    @pytest.mark.parametrize("name", ["id", "ID", "objectId", "_id", "createdDate"])
    def test_reserved_names_3039(self, name: str) -> None:
        assert code_of(check_custom_fields, settings(), {name: "x"}) is ErrorCode.RESERVED_PROPERTY

    def test_case_insensitive_duplicates_3043(self) -> None:
        assert code_of(check_custom_fields, settings(), {"Hobby": "a", "hobby": "b"}) is ErrorCode.DUPLICATE_PROPERTY

    @pytest.mark.parametrize("name", ["email", "FirstName", "password", "nickname"])
    def test_clash_with_built_in_3043(self, name: str) -> None:
        assert code_of(check_custom_fields, settings(), {name: "x"}) is ErrorCode.DUPLICATE_PROPERTY

    def test_unknown_when_dynamic_off_3010(self) -> None:
        declared = (DeclaredProperty("hobby"),)
        s = settings(dynamic_properties=False, declared_properties=declared)
        assert check_custom_fields(s, {"HOBBY": "x"}) == {"hobby": "x"}  # declared name wins
        assert code_of(check_custom_fields, s, {"pet": "cat"}) is ErrorCode.UNKNOWN_PROPERTY

    def test_required_absent_3012_and_empty_3041(self) -> None:
        s = settings(declared_properties=(DeclaredProperty("city", required=True),))
        assert code_of(check_custom_fields, s, {}) is ErrorCode.REQUIRED_PROPERTY_MISSING
        assert code_of(check_custom_fields, s, {"city": "  "}) is ErrorCode.REQUIRED_PROPERTY_EMPTY
        assert code_of(check_custom_fields, s, {"city": None}) is ErrorCode.REQUIRED_PROPERTY_EMPTY

    def test_length_limits_8000(self) -> None:
        assert check_custom_fields(settings(), {"bio": "x" * 500})
        with pytest.raises(DomainError) as caught:
            check_custom_fields(settings(), {"bio": "x" * 501})
        assert (caught.value.code, caught.value.details["limit"]) == (ErrorCode.VALUE_TOO_LONG, 500)
        long_ok = settings(declared_properties=(DeclaredProperty("bio", max_length=2000),))
        assert check_custom_fields(long_ok, {"bio": "x" * 2000})
        assert code_of(check_custom_fields, long_ok, {"bio": "x" * 2001}) is ErrorCode.VALUE_TOO_LONG

    def test_custom_identity_missing_3013(self) -> None:
        s = settings(identity_property="username", declared_properties=(DeclaredProperty("username"),))
        assert s.declared("username").required  # the identity is always required
        assert code_of(check_custom_fields, s, {"username": ""}) is ErrorCode.MISSING_IDENTITY

    def test_nested_values_refused_3021(self) -> None:
        assert code_of(check_custom_fields, settings(), {"tags": ["a"]}) is ErrorCode.REGISTRATION_ERROR


class TestSettingsValidation:
    def test_identity_must_be_email_or_declared(self) -> None:
        with pytest.raises(DomainError) as caught:
            settings(identity_property="username")
        assert caught.value.code is ErrorCode.REGISTRATION_ERROR

    def test_declared_names_checked(self) -> None:
        with pytest.raises(DomainError) as reserved:
            settings(declared_properties=(DeclaredProperty("id"),))
        with pytest.raises(DomainError) as twice:
            settings(declared_properties=(DeclaredProperty("a"), DeclaredProperty("A")))
        assert (reserved.value.code, twice.value.code) == (ErrorCode.RESERVED_PROPERTY, ErrorCode.DUPLICATE_PROPERTY)
