"""The development API key: generated once, kept beside the database (mode 0600), the same at
every start; elsewhere a key is never written anywhere (issue 16)."""

from __future__ import annotations

import stat
from pathlib import Path

from gql.__main__ import logging_config
from gql.config import load_config


def test_kept_beside_the_sqlite_file_owner_only_and_the_same_at_the_next_start(tmp_path: Path) -> None:
    env = {"MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'members.sqlite3'}"}
    first = load_config(env)
    key_file = tmp_path / "members.sqlite3.api-key"
    assert first.admin_api_key_generated and first.admin_api_key_file == str(key_file)
    assert key_file.read_text() == first.admin_api_key and len(first.admin_api_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = load_config(env)
    assert second.admin_api_key == first.admin_api_key


def test_a_set_key_or_another_environment_keeps_no_file(tmp_path: Path) -> None:
    database = {"MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'members.sqlite3'}"}
    given = load_config({**database, "MEMBERS_ADMIN_API_KEY": "k" * 40})
    assert given.admin_api_key == "k" * 40 and not given.admin_api_key_generated and not given.admin_api_key_file
    test = load_config({**database, "MEMBERS_ENV": "test"})
    assert test.admin_api_key_generated and not test.admin_api_key_file
    assert not (tmp_path / "members.sqlite3.api-key").exists()


def test_server_logs_have_timestamps_and_info_lines_of_the_server() -> None:
    config = logging_config()
    assert config["loggers"]["gql"]["level"] == "INFO"
    assert all("%(asctime)s" in formatter["fmt"] for formatter in config["formatters"].values())
    # Applied in the server process only (tests/e2e/test_dev_start.py reads its output): here it
    # would stop the gql loggers from propagating to the records other tests capture.
    assert config["loggers"]["gql"]["handlers"] == ["server"] and config["handlers"]["server"]["formatter"] == "server"
