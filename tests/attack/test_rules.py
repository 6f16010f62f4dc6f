"""The rules behind the defences, without a server: settings, lock durations, client addresses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gql.config import ConfigError, Settings, load_settings
from gql.domain.lockout import lock_seconds
from gql.domain.ratelimit import LIMITS, Limit, bucket_key
from gql.http import client_address

BASE = {"MEMBERS_ADMIN_API_KEY": "k", "MEMBERS_SECRET_KEY": "s" * 40, "MEMBERS_DATABASE_URL": "sqlite:///tmp/x.sqlite3"}


@pytest.mark.parametrize(
    ("value", "scale"), [("off", 0.0), ("0", 0.0), ("false", 0.0), ("on", 1.0), ("", 1.0), ("2", 2.0), ("0.5", 0.5)]
)
def test_rate_limit_setting(value: str, scale: float) -> None:
    assert load_settings({**BASE, "MEMBERS_RATE_LIMITS": value}).rate_limit_scale == scale


@pytest.mark.parametrize("bad", ["sometimes", "-1", "1e9"])
def test_bad_rate_limit_setting(bad: str) -> None:
    with pytest.raises(ConfigError):
        load_settings({**BASE, "MEMBERS_RATE_LIMITS": bad})


def test_defaults_by_environment() -> None:
    development = load_settings({**BASE})
    production = load_settings({**BASE, "MEMBERS_ENV": "production"})
    assert development.introspection and not production.introspection
    assert production.rate_limit_scale == 1.0 and production.cors_origins == () and production.trusted_proxies == ()
    assert (production.lockout_threshold, production.lockout_seconds, production.lockout_max_seconds) == (10, 60, 900)
    assert (production.max_body_bytes, production.max_tokens, production.max_list_items) == (100_000, 1000, 100)
    assert load_settings({**BASE, "MEMBERS_ENV": "production", "MEMBERS_INTROSPECTION": "on"}).introspection
    assert load_settings({**BASE, "MEMBERS_CORS_ORIGINS": "https://a.example, https://b.example"}).cors_origins == (
        "https://a.example",
        "https://b.example",
    )
    with pytest.raises(ConfigError):
        load_settings({**BASE, "MEMBERS_TRUSTED_PROXIES": "not-an-ip"})
    with pytest.raises(ConfigError):
        load_settings({**BASE, "MEMBERS_LOCKOUT_THRESHOLD": "101"})  # never more than 100 free guesses


def test_lock_durations_double_up_to_the_maximum() -> None:
    config = Settings()
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
