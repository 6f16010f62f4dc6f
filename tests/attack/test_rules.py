"""The rules behind the defences, without a server: settings, lock durations, client addresses, custom fields."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from gql.config import MIN_KEY_LENGTH, Config, ConfigError, load_config
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.lockout import lock_seconds
from gql.domain.properties import check_custom_fields
from gql.domain.ratelimit import LIMITS, Limit, bucket_key
from gql.domain.registration_settings import RegistrationSettings
from gql.http import client_address

# Keys long enough for production (MIN_KEY_LENGTH), so each test changes only what it tests.
BASE = {
    "MEMBERS_ADMIN_API_KEY": "k" * 32,
    "MEMBERS_SECRET_KEY": "s" * 40,
    "MEMBERS_DATABASE_URL": "sqlite:///tmp/x.sqlite3",
}


@pytest.mark.parametrize(
    ("value", "scale"), [("off", 0.0), ("0", 0.0), ("false", 0.0), ("on", 1.0), ("", 1.0), ("2", 2.0), ("0.5", 0.5)]
)
def test_rate_limit_setting(value: str, scale: float) -> None:
    assert load_config({**BASE, "MEMBERS_RATE_LIMITS": value}).rate_limit_scale == scale


@pytest.mark.parametrize("bad", ["sometimes", "-1", "1e9"])
def test_bad_rate_limit_setting(bad: str) -> None:
    with pytest.raises(ConfigError):
        load_config({**BASE, "MEMBERS_RATE_LIMITS": bad})


def test_defaults_by_environment() -> None:
    development = load_config({**BASE})
    production = load_config({**BASE, "MEMBERS_ENV": "production"})
    assert development.introspection and not production.introspection
    assert production.rate_limit_scale == 1.0 and production.cors_origins == () and production.trusted_proxies == ()
    assert (production.lockout_threshold, production.lockout_seconds, production.lockout_max_seconds) == (10, 60, 900)
    assert (production.max_body_bytes, production.max_tokens, production.max_list_items) == (100_000, 1000, 100)
    assert load_config({**BASE, "MEMBERS_ENV": "production", "MEMBERS_INTROSPECTION": "on"}).introspection
    assert load_config({**BASE, "MEMBERS_CORS_ORIGINS": "https://a.example, https://b.example"}).cors_origins == (
        "https://a.example",
        "https://b.example",
    )
    with pytest.raises(ConfigError):
        load_config({**BASE, "MEMBERS_TRUSTED_PROXIES": "not-an-ip"})
    with pytest.raises(ConfigError):
        load_config({**BASE, "MEMBERS_LOCKOUT_THRESHOLD": "101"})  # never more than 100 free guesses


def test_lock_durations_double_up_to_the_maximum() -> None:
    config = Config()
    assert [lock_seconds(config, n) for n in (1, 9)] == [0, 0]
    assert [lock_seconds(config, n) for n in range(10, 17)] == [60, 120, 240, 480, 900, 900, 900]
    assert lock_seconds(config, 10_000) == 900


def test_limits_scale_but_never_below_one_token() -> None:
    assert LIMITS["login"].scaled(2) == Limit(60, 300)
    assert LIMITS["mailbox-address"].scaled(0.01).capacity == 1
    assert bucket_key("mailbox", "a@example.com") != "rl:mailbox:a@example.com"  # no emails stored


def request(peer: str, *forwarded: str) -> SimpleNamespace:
    return SimpleNamespace(
        client=SimpleNamespace(host=peer), headers=SimpleNamespace(getlist=lambda name: list(forwarded))
    )


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", ["198.51.100.1"], (), "203.0.113.9"),  # nobody trusted: the peer
        ("10.0.0.2", ["198.51.100.1"], ("10.0.0.0/8",), "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], ("10.0.0.0/8",), "198.51.100.1"),  # client-written part ignored
        ("10.0.0.2", ["198.51.100.1, 10.0.0.7"], ("10.0.0.0/8",), "198.51.100.1"),  # two proxies
        ("10.0.0.2", ["garbage"], ("10.0.0.0/8",), "10.0.0.2"),
        ("10.0.0.2", [], ("10.0.0.0/8",), "10.0.0.2"),
        ("2001:db8::1", [], (), "2001:db8::/64"),  # IPv6 per /64
        ("::ffff:198.51.100.7", [], (), "198.51.100.7"),
    ],
)
def test_client_address(peer: str, forwarded: list[str], trusted: tuple[str, ...], expected: str) -> None:
    assert client_address(request(peer, *forwarded), trusted) == expected  # type: ignore[arg-type]


# --- key lengths ---------------------------------------------------------------------------


def test_min_key_length_is_32() -> None:
    assert MIN_KEY_LENGTH == 32


@pytest.mark.parametrize("length", [1, 31])
def test_production_refuses_a_short_admin_api_key(length: int) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({**BASE, "MEMBERS_ENV": "production", "MEMBERS_ADMIN_API_KEY": "k" * length})
    assert "MEMBERS_ADMIN_API_KEY" in str(refused.value) and "32" in str(refused.value)
    assert (
        load_config({**BASE, "MEMBERS_ENV": "production", "MEMBERS_ADMIN_API_KEY": "k" * 32}).environment
        == "production"
    )


@pytest.mark.parametrize("environment", ["production", "development", "test"])
def test_a_short_secret_key_is_refused_everywhere(environment: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config({**BASE, "MEMBERS_ENV": environment, "MEMBERS_SECRET_KEY": "s"})
    assert "MEMBERS_SECRET_KEY" in str(refused.value) and "32" in str(refused.value)


def test_a_short_admin_api_key_is_allowed_outside_production() -> None:
    # Development and test setups may pick any key; only production insists on a long one.
    for environment in ("development", "test"):
        assert load_config({**BASE, "MEMBERS_ENV": environment, "MEMBERS_ADMIN_API_KEY": "k"}).admin_api_key == "k"


def test_development_without_keys_generates_long_enough_ones(tmp_path: Path) -> None:
    config = load_config({"MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'members.sqlite3'}"})
    assert config.admin_api_key_generated and len(config.admin_api_key) >= MIN_KEY_LENGTH
    assert len(config.secret_key) >= MIN_KEY_LENGTH
    # The secret is kept beside the database, so the next start signs with the same key.
    again = load_config({"MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'members.sqlite3'}"})
    assert again.secret_key == config.secret_key


# --- custom fields -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_custom_fields_refuse_non_finite_numbers(number: float) -> None:
    settings = RegistrationSettings(
        enabled=True, approval="AUTOMATIC", email_confirmation=False, dynamic_properties=True, identity_property="email"
    )
    with pytest.raises(DomainError) as refused:
        check_custom_fields(settings, {"hobby": "chess", "score": number})
    assert refused.value.code is ErrorCode.INVALID_ARGUMENT
    assert refused.value.details == {"property": "score"} and '"score"' in refused.value.message
    assert check_custom_fields(settings, {"score": 1.7976931348623157e308}) == {"score": 1.7976931348623157e308}
