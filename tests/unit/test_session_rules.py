"""Pure rules of sessions and access tokens (issue 13): no database, no GraphQL."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gql.config import Config, ConfigError, load_config
from gql.db.sweep import Every
from gql.domain.services import Services
from gql.domain.sessions import expiry as session_expiry
from gql.domain.sessions import stays_logged_in, token_hash
from gql.domain.signing_keys import SigningKeyError, algorithm_of, public_jwk, thumbprint
from gql.domain.statuses import SessionLimitPolicy, SessionMethod

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def services(**changes: object) -> Services:
    return Services.from_config(Config(secret_key="s" * 40, bcrypt_cost=4, **changes))  # type: ignore[arg-type]


class TestExpiry:
    s = services(session_ttl_seconds=3600, session_idle_seconds=600)

    def test_kept_sessions_last_the_lifetime(self) -> None:
        assert session_expiry(self.s, T0, T0 + timedelta(seconds=3000), True) == T0 + timedelta(seconds=3600)

    def test_others_end_when_idle(self) -> None:
        assert session_expiry(self.s, T0, T0, False) == T0 + timedelta(seconds=600)
        assert session_expiry(self.s, T0, T0 + timedelta(seconds=1000), False) == T0 + timedelta(seconds=1600)

    def test_never_past_the_lifetime(self) -> None:
        assert session_expiry(self.s, T0, T0 + timedelta(seconds=3300), False) == T0 + timedelta(seconds=3600)

    def test_guests_are_kept_logged_in(self) -> None:
        assert stays_logged_in(SessionMethod.GUEST, False)
        assert not stays_logged_in(SessionMethod.PASSWORD, False) and stays_logged_in(SessionMethod.PASSWORD, True)


def test_a_token_is_kept_as_its_sha256() -> None:
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


class TestEvery:
    def test_first_due_one_interval_after_first_asked(self) -> None:
        gate = Every(600)
        assert not gate.due(1000.0)
        assert not gate.due(1599.0)
        assert gate.due(1600.0)
        assert not gate.due(1700.0)
        assert gate.due(2200.0)


class TestKeys:
    def test_the_kid_is_the_rfc7638_thumbprint_of_the_public_key(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        jwk = public_jwk(key)
        assert set(jwk) == {"kty", "crv", "x", "y"} and "d" not in jwk
        assert thumbprint(jwk) == thumbprint(dict(reversed(list(jwk.items()))))  # member order does not matter
        assert thumbprint(jwk) != thumbprint(public_jwk(ec.generate_private_key(ec.SECP256R1())))
        assert len(thumbprint(jwk)) == 43

    def test_only_p256_and_ed25519(self) -> None:
        assert algorithm_of(ec.generate_private_key(ec.SECP256R1())) == "ES256"
        with pytest.raises(SigningKeyError):
            algorithm_of(ec.generate_private_key(ec.SECP384R1()))


class TestSettings:
    def base(self, tmp_path: Path) -> dict[str, str]:
        return {"MEMBERS_SECRET_KEY": "k" * 40, "MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'x.sqlite3'}"}

    def test_defaults(self, tmp_path: Path) -> None:
        config = load_config(self.base(tmp_path))
        assert (config.session_ttl_seconds, config.session_idle_seconds) == (30 * 24 * 3600, 2 * 3600)
        assert (config.max_sessions, config.session_limit_policy) == (50, SessionLimitPolicy.END_OLDEST)
        assert (config.access_token_ttl_seconds, config.access_token_algorithm) == (900, "ES256")
        assert config.access_token_audiences == () and config.signing_key_refresh_seconds == 60

    def test_each_is_read(self, tmp_path: Path) -> None:
        config = load_config(
            {
                **self.base(tmp_path),
                "MEMBERS_SESSION_IDLE_SECONDS": "900",
                "MEMBERS_MAX_SESSIONS": "3",
                "MEMBERS_SESSION_LIMIT_POLICY": "refuse",
                "MEMBERS_ACCESS_TOKEN_TTL_SECONDS": "60",
                "MEMBERS_ACCESS_TOKEN_ALGORITHM": "eddsa",
                "MEMBERS_ACCESS_TOKEN_AUDIENCES": "https://a.example, https://b.example",
                "MEMBERS_SIGNING_KEY_REFRESH_SECONDS": "5",
            }
        )
        assert (config.session_idle_seconds, config.max_sessions) == (900, 3)
        assert config.session_limit_policy is SessionLimitPolicy.REFUSE
        assert (config.access_token_ttl_seconds, config.access_token_algorithm) == (60, "EdDSA")
        assert config.access_token_audiences == ("https://a.example", "https://b.example")
        assert config.signing_key_refresh_seconds == 5

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("MEMBERS_SESSION_LIMIT_POLICY", "drop"),
            ("MEMBERS_ACCESS_TOKEN_ALGORITHM", "HS256"),
            ("MEMBERS_ACCESS_TOKEN_ALGORITHM", "RS256"),
            ("MEMBERS_MAX_SESSIONS", "0"),
            ("MEMBERS_SESSION_IDLE_SECONDS", "10"),
        ],
    )
    def test_refused_values(self, tmp_path: Path, name: str, value: str) -> None:
        with pytest.raises(ConfigError):
            load_config({**self.base(tmp_path), name: value})


def test_every_way_in_has_its_amr() -> None:
    from gql.domain.access_tokens import AMR

    assert set(AMR) == set(SessionMethod) and all(AMR.values())
