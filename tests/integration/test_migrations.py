"""Upgrading a database that holds members keeps them (0001 → latest), on SQLite and PostgreSQL.

Runs in a subprocess: migrating opens and closes Tortoise's global connections, which must not
touch the ones this test process's fixtures hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.conftest import BACKEND, POSTGRES_URL, _admin_execute, _server_url

SCRIPT = r"""
import asyncio, json, sys
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from gql.db.setup import migrate as migrate_all, tortoise_config

url = sys.argv[1]
MEMBER = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"
ORPHAN = "33333333-3333-3333-3333-333333333333"
OLD_MAILS = [
    ("44444444-4444-4444-4444-444444444441", "SENT", "Choose: http://x/reset-password?token=JWS.a.b.c"),
    ("44444444-4444-4444-4444-444444444442", "PENDING", "Confirm: http://x/confirm-email?token=JWS.d.e.f"),
    ("44444444-4444-4444-4444-444444444443", "PENDING", "Welcome, you are approved."),
]

async def before() -> None:
    await migrate(config=tortoise_config(url), target="models.0001_initial")
    db = connections.get("default")
    await db.execute_script(
        f"INSERT INTO contact (id, email_key, phones, emails, custom_fields, created_at, updated_at) "
        f"VALUES ('{CONTACT}', 'kept@example.com', '[]', '[]', '{{}}', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');"
        f"INSERT INTO member (id, identity, login_email, email_key, password_hash, status, privacy_status, "
        f"activity_status, email_verified, is_guest, nickname, nickname_key, slug, failed_logins, created_at, "
        f"updated_at, contact_id) VALUES ('{MEMBER}', 'kept@example.com', 'kept@example.com', 'kept@example.com', "
        f"'x', 'APPROVED', 'PUBLIC', 'ACTIVE', FALSE, FALSE, 'Kept', 'kept', 'kept', 0, "
        f"'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '{CONTACT}');"
        f"INSERT INTO session (token_hash, member_id, created_at, expires_at) VALUES "
        f"('{'a' * 64}', '{MEMBER}', '2026-01-01 00:00:00+00:00', '2099-01-01 00:00:00+00:00');"
        # Left by a deleted member: a contact with an address and no member.
        f"INSERT INTO contact (id, email_key, first_name, phones, emails, custom_fields, created_at, updated_at) "
        f"VALUES ('{ORPHAN}', 'gone@example.com', 'Gone', '[\"555\"]', '[]', '{{}}', "
        f"'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');"
        # Confirmation is off, yet the member is still marked as waiting for it.
        f"UPDATE member SET confirm_jti = 'waiting' WHERE id = '{MEMBER}';"
        f"INSERT INTO registration_settings (id, enabled, approval, email_confirmation, dynamic_properties, "
        f"identity_property, declared_properties, updated_at) VALUES (1, TRUE, 'AUTOMATIC', FALSE, TRUE, 'email', "
        f"'[]', '2026-01-01 00:00:00+00:00');"
        + "".join(
            f"INSERT INTO outbox (id, kind, recipient, subject, body_text, body_html, status, attempts, "
            f"next_attempt_at, created_at) VALUES ('{mail_id}', 'email', 'kept@example.com', 's', '{body}', "
            f"'<p>{body}</p>', '{status}', 0, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');"
            for mail_id, status, body in OLD_MAILS
        )
    )
    await Tortoise.close_connections()

async def after() -> None:
    await migrate_all(url)
    await Tortoise.init(config=tortoise_config(url))
    db = connections.get("default")
    rows = await db.execute_query_dict(
        "SELECT email_key, session_epoch, kept_session_id, confirm_jti, claims_contact FROM member"
    )
    contacts = await db.execute_query_dict("SELECT id, email_key, first_name FROM contact ORDER BY id")
    mails = await db.execute_query_dict("SELECT id, status, body_text, body_html FROM outbox ORDER BY id")
    revoked = await db.execute_query_dict("SELECT COUNT(*) AS n FROM revoked_session")
    try:
        await db.execute_query_dict("SELECT COUNT(*) AS n FROM session")
        session_table = True
    except Exception:
        session_table = False
    await Tortoise.close_connections()
    print(json.dumps({
        "members": [{**row, "claims_contact": bool(row["claims_contact"])} for row in rows],
        "contacts": [{k: str(v) if v is not None else None for k, v in c.items()} for c in contacts],
        "mails": [{k: str(v) if v is not None else None for k, v in m.items()} for m in mails],
        "revoked": revoked[0]["n"],
        "session_table": session_table,
    }))

asyncio.run(before())
asyncio.run(after())
"""


T = TypeVar("T")


def _run_script(script: str, url: str) -> Any:
    """Run ``script`` on ``url`` in a fresh interpreter; its last line of output, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _on_a_new_database(run: Callable[[str], T]) -> T:
    """``run(url)`` on an empty database of the backend under test, dropped afterwards."""
    if BACKEND == "postgres":
        import asyncio

        name = f"members_migrations_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
        try:
            return run(f"{_server_url(POSTGRES_URL)[0]}/{name}")
        finally:
            asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    with tempfile.TemporaryDirectory() as directory:
        return run(f"sqlite://{Path(directory) / 'members.sqlite3'}")


def test_upgrading_keeps_members_and_ends_old_sessions() -> None:
    result = _on_a_new_database(lambda url: _run_script(SCRIPT, url))
    assert result["members"] == [
        {
            "email_key": "kept@example.com",
            "session_epoch": 0,
            "kept_session_id": None,
            "confirm_jti": None,  # confirmation is off: no longer waiting for it
            "claims_contact": False,
        }
    ]
    # The deleted member's contact stays for the site, detached from its address.
    assert result["contacts"] == [
        {"id": "22222222-2222-2222-2222-222222222222", "email_key": "kept@example.com", "first_name": None},
        {"id": "33333333-3333-3333-3333-333333333333", "email_key": None, "first_name": "Gone"},
    ]
    # Sent mail keeps no body (its link held a live token); queued mail with a link from before is
    # dropped (the link no longer opens); queued mail without one is still sent.
    assert result["mails"] == [
        {"id": "44444444-4444-4444-4444-444444444441", "status": "SENT", "body_text": None, "body_html": None},
        {"id": "44444444-4444-4444-4444-444444444442", "status": "SUPERSEDED", "body_text": None, "body_html": None},
        {
            "id": "44444444-4444-4444-4444-444444444443",
            "status": "PENDING",
            "body_text": "Welcome, you are approved.",
            "body_html": "<p>Welcome, you are approved.</p>",
        },
    ]
    # Sessions of the old kind (a stored token hash) end: their members log in again once.
    assert result["session_table"] is False and result["revoked"] == 0


INDEXES = r"""
import asyncio, json, sys
from tortoise import Tortoise, connections
from gql.db.setup import migrate, tortoise_config

url = sys.argv[1]

async def main() -> None:
    await migrate(url)
    await Tortoise.init(config=tortoise_config(url))
    db = connections.get("default")
    if url.startswith("sqlite"):
        rows = await db.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        rows = await db.execute_query_dict("SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'")
    await Tortoise.close_connections()
    print(json.dumps(sorted(row["name"] for row in rows)))

asyncio.run(main())
"""


def test_every_declared_index_exists_after_all_migrations() -> None:
    """A migration that rebuilds a table must not lose its indexes (SQLite remakes tables)."""
    from gql.db import models

    declared = {
        index.name
        for model in (models.Member, models.RevokedSession, models.OutboxMessage, models.MemberEvent)
        for index in model._meta.indexes
    }

    def indexes(url: str) -> set[str]:
        return set(_run_script(INDEXES, url))

    found = _on_a_new_database(indexes)
    assert declared and declared <= found, sorted(declared - found)
