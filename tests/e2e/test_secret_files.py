"""A production server whose secrets are all files (docs/production.md#secrets-from-files): it
starts, takes the key from its file, and prints none of them."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.processes import ServerProcess, clean_env


def test_a_production_server_reads_its_secrets_from_files(tmp_path: Path) -> None:
    secrets = tmp_path / "credentials"
    secrets.mkdir(mode=0o700)
    api_key, secret_key = "file-admin-key-" + "a" * 32, "file-secret-key-" + "s" * 32
    database_url = f"sqlite://{tmp_path / 'members.sqlite3'}"
    for name, value in (("admin-api-key", api_key), ("secret-key", secret_key), ("database-url", database_url)):
        (secrets / name).write_text(value + "\n")
        (secrets / name).chmod(0o600)
    env = clean_env()
    env.update(
        MEMBERS_ENV="production",
        MEMBERS_BCRYPT_COST="4",
        MEMBERS_ADMIN_API_KEY_FILE=str(secrets / "admin-api-key"),
        MEMBERS_SECRET_KEY_FILE=str(secrets / "secret-key"),
        MEMBERS_DATABASE_URL_FILE=str(secrets / "database-url"),
    )
    server = ServerProcess(tmp_path, env)
    server.launch()
    try:
        query = {"query": "{ registrationSettings { approval } }"}
        answer = httpx.post(server.graphql_url, json=query, headers={"X-Api-Key": api_key}, timeout=30)
        assert answer.json() == {"data": {"registrationSettings": {"approval": "AUTOMATIC"}}}
        wrong = httpx.post(server.graphql_url, json=query, headers={"X-Api-Key": "x" * 40}, timeout=30)
        assert wrong.json()["errors"][0]["extensions"]["code"] == 2002
        assert httpx.get(server.url + "/ready", timeout=30).status_code == 200
    finally:
        printed = server.stop()
    assert api_key not in printed and secret_key not in printed
    assert (tmp_path / "members.sqlite3").exists() and not (tmp_path / "members.sqlite3.secret").exists()
