"""Secrets from files: every setting declared secret may be given as ``MEMBERS_<NAME>_FILE``, the
path of a file holding it (systemd credentials, Docker and Kubernetes secrets), so the secret is in
no process environment (docs/production.md#secrets-from-files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.config import ConfigError, load_config, variables
from gql.db import setup

SECRETS = {
    # variable: (a value it accepts, the Config field it sets)
    "MEMBERS_ADMIN_API_KEY": ("a" * 40, "admin_api_key"),
    "MEMBERS_SECRET_KEY": ("s" * 40, "secret_key"),
    "MEMBERS_DATABASE_URL": ("postgres://members:pa55@db:5432/members", "database_url"),
    "MEMBERS_SMTP_URL": ("smtp://mailer:pa55@mail:587?starttls=true", "smtp_url"),
    "MEMBERS_REDIS_URL": ("redis://:pa55@redis:6379/0", "redis_url"),
    "MEMBERS_WEBHOOK_SECRET": ("w" * 40, "webhook_secret"),
}


def _base(tmp_path: Path) -> dict[str, str]:
    return {
        "MEMBERS_ENV": "test",
        "MEMBERS_ADMIN_API_KEY": "k" * 40,
        "MEMBERS_SECRET_KEY": "x" * 40,
        "MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'x.sqlite3'}",
    }


def test_the_secret_settings_are_the_ones_that_may_come_from_files() -> None:
    assert {v.name for v in variables() if v.secret} == set(SECRETS)
    assert all(v.file_variable is None for v in variables() if not v.secret)


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_each_secret_is_read_from_its_file_without_the_trailing_newline(tmp_path: Path, name: str) -> None:
    value, field = SECRETS[name]
    secret_file = tmp_path / "secret"
    secret_file.write_text(value + "\n")
    env = {k: v for k, v in _base(tmp_path).items() if k != name}
    config = load_config({**env, f"{name}_FILE": str(secret_file)})
    assert getattr(config, field) == value
    assert config == load_config({**env, name: value})  # the same as the variable itself


def test_production_takes_both_keys_from_files(tmp_path: Path) -> None:
    (tmp_path / "api-key").write_text("a" * 40)
    (tmp_path / "secret-key").write_text("s" * 40 + "\r\n")
    config = load_config(
        {
            "MEMBERS_ENV": "production",
            "MEMBERS_ADMIN_API_KEY_FILE": str(tmp_path / "api-key"),
            "MEMBERS_SECRET_KEY_FILE": str(tmp_path / "secret-key"),
            "MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'x.sqlite3'}",
        }
    )
    assert (config.admin_api_key, config.secret_key) == ("a" * 40, "s" * 40)
    assert not config.admin_api_key_generated


def test_a_file_that_cannot_be_used_stops_the_start_without_showing_its_content(tmp_path: Path) -> None:
    base = {k: v for k, v in _base(tmp_path).items() if k != "MEMBERS_SECRET_KEY"}
    with pytest.raises(ConfigError, match="MEMBERS_SECRET_KEY_FILE: cannot read .*missing"):
        load_config({**base, "MEMBERS_SECRET_KEY_FILE": str(tmp_path / "missing")})
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ConfigError, match="MEMBERS_SECRET_KEY_FILE: .*empty is empty"):
        load_config({**base, "MEMBERS_SECRET_KEY_FILE": str(tmp_path / "empty")})
    (tmp_path / "short").write_text("too-short-to-be-a-key")
    with pytest.raises(ConfigError, match="at least 32") as refused:
        load_config({**base, "MEMBERS_SECRET_KEY_FILE": str(tmp_path / "short")})
    assert "too-short-to-be-a-key" not in str(refused.value)


def test_the_variable_and_its_file_together_are_refused(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("s" * 40)
    with pytest.raises(ConfigError, match="set MEMBERS_SECRET_KEY or MEMBERS_SECRET_KEY_FILE, not both"):
        load_config({**_base(tmp_path), "MEMBERS_SECRET_KEY_FILE": str(tmp_path / "key")})


def test_settings_that_are_not_secret_have_no_file_variant(tmp_path: Path) -> None:
    (tmp_path / "name").write_text("From a file")
    config = load_config({**_base(tmp_path), "MEMBERS_SITE_NAME_FILE": str(tmp_path / "name")})
    assert config.site_name == "Members"


def test_the_tortoise_cli_reads_the_database_url_file_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "url").write_text("sqlite:///tmp/from-a-file.sqlite3\n")
    monkeypatch.delenv("MEMBERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("MEMBERS_DATABASE_URL_FILE", str(tmp_path / "url"))
    assert setup.TORTOISE_ORM["connections"]["default"]["credentials"]["file_path"] == "/tmp/from-a-file.sqlite3"


def test_the_database_password_is_never_printed(tmp_path: Path) -> None:
    """The start-up banner and `migrate` print the database URL without its password."""
    config = load_config({**_base(tmp_path), "MEMBERS_DATABASE_URL": "postgres://members:pa55w0rd@db:5432/members"})
    assert config.database_shown == "postgres://members:***@db:5432/members"
    odd = load_config({**_base(tmp_path), "MEMBERS_DATABASE_URL": "postgres://m:p@ss:w@rd@db/members?ssl=true"})
    assert "p@ss" not in odd.database_shown and odd.database_shown.endswith("@db/members?ssl=true")
    plain = load_config({**_base(tmp_path), "MEMBERS_DATABASE_URL": "postgres://members@db/members"})
    assert plain.database_shown == "postgres://members@db/members"
    sqlite = load_config(_base(tmp_path))
    assert sqlite.database_shown == sqlite.database_url
