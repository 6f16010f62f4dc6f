"""The `tortoise` CLI's config is built when the CLI asks for it, from the environment of that moment;
the domain opens transactions only through gql/db/transactions.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from gql.db import setup


def test_the_cli_config_reads_the_environment_when_asked_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMBERS_DATABASE_URL", "sqlite:///tmp/asked-later.sqlite3")
    assert setup.TORTOISE_ORM["connections"]["default"].startswith("sqlite:///tmp/asked-later.sqlite3?")
    monkeypatch.delenv("MEMBERS_DATABASE_URL")
    assert setup.TORTOISE_ORM["connections"]["default"].startswith("sqlite://members.sqlite3?")
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
