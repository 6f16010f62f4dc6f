"""The `tortoise` CLI's config is built when the CLI asks for it, from the environment of that moment;
the domain opens transactions only through gql/db/transactions.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.db import setup


def test_the_cli_config_reads_the_environment_when_asked_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMBERS_DATABASE_URL", "sqlite:///tmp/asked-later.sqlite3")
    connection = setup.TORTOISE_ORM["connections"]["default"]
    assert connection["engine"] == "gql.db.sqlite"  # short statements on the loop's thread
    assert connection["credentials"]["file_path"] == "/tmp/asked-later.sqlite3"
    assert connection["credentials"]["busy_timeout"] == "5000"
    monkeypatch.delenv("MEMBERS_DATABASE_URL")
    assert setup.TORTOISE_ORM["connections"]["default"]["credentials"]["file_path"] == "members.sqlite3"
    monkeypatch.setenv("MEMBERS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/members")
    assert setup.TORTOISE_ORM["connections"]["default"] == "postgres://postgres@127.0.0.1:5432/members"
    assert setup.TORTOISE_ORM["apps"]["models"]["migrations"] == "gql.db.migrations"
    with pytest.raises(AttributeError):
        setup.NOT_A_SETTING  # noqa: B018 (the attribute access is the test)


def test_the_domain_opens_transactions_only_through_the_helper() -> None:
    package = Path(__file__).resolve().parents[2] / "gql"
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "tortoise.transactions" in path.read_text() and path != package / "db" / "transactions.py"
    ]
    assert offenders == []


def test_tortoise_parses_stored_datetimes_with_ciso8601() -> None:
    """A dependency of the product since issue 18: without it Tortoise falls back to the pure-Python
    iso8601 parser, a tenth of a members page's server CPU on SQLite (BENCHMARKS.md)."""
    import datetime

    import ciso8601
    from tortoise.fields import data

    assert data.parse_datetime is ciso8601.parse_datetime
    stored = "2026-12-03 08:23:11.682582+00:00"  # as Tortoise writes a DatetimeField to SQLite
    assert data.parse_datetime(stored) == datetime.datetime(2026, 12, 3, 8, 23, 11, 682582, tzinfo=datetime.UTC)
