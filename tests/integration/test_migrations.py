"""Upgrading a database that holds members keeps them (0001 → latest), on SQLite and PostgreSQL.

Runs in a subprocess: migrating opens and closes Tortoise's global connections, which must not
touch the ones this test process's fixtures hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.databases import empty_database

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
        f"identity_property, declared_properties, updated_at) VALUES (1, TRUE, 'MANUAL', FALSE, FALSE, 'email', "
        f"'[{{\"name\": \"nick\", \"required\": true, \"maxLength\": 20}}]', '2026-01-01 00:00:00+00:00');"
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
    rows = await db.execute_query_dict("SELECT email_key, security_stamp, confirm_jti, claims_contact FROM member")
    contacts = await db.execute_query_dict("SELECT id, email_key, first_name FROM contact ORDER BY id")
    mails = await db.execute_query_dict("SELECT id, status, body_text, body_html FROM outbox ORDER BY id")
    tables = {"revoked_session": True}
    try:
        await db.execute_query_dict("SELECT COUNT(*) AS n FROM revoked_session")
    except Exception:
        tables["revoked_session"] = False
    from gql.domain.settings_store import RegistrationSettingsStore
    from gql.domain.registration_settings import RegistrationSettings
    stored = (await RegistrationSettingsStore(RegistrationSettings()).get()).to_json()
    audit_table = await db.execute_query_dict("SELECT COUNT(*) AS n FROM audit_event")
    roles = await db.execute_query_dict("SELECT name, require_mfa FROM role WHERE system = TRUE ORDER BY name")
    sessions = await db.execute_query_dict("SELECT COUNT(*) AS n FROM session")
    await Tortoise.close_connections()
    print(json.dumps({
        "members": [{**row, "claims_contact": bool(row["claims_contact"])} for row in rows],
        "contacts": [{k: str(v) if v is not None else None for k, v in c.items()} for c in contacts],
        "mails": [{k: str(v) if v is not None else None for k, v in m.items()} for m in mails],
        "revoked_table": tables["revoked_session"],
        "sessions": sessions[0]["n"],
        "settings": stored,
        "audit_events": audit_table[0]["n"],
        "roles": sorted(row["name"] for row in roles),
        "roles_requiring_mfa": [row["name"] for row in roles if row["require_mfa"]],
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
    with empty_database() as url:
        return run(url)


def test_upgrading_keeps_members_and_ends_old_sessions() -> None:
    result = _on_a_new_database(lambda url: _run_script(SCRIPT, url))
    assert result["members"] == [
        {
            "email_key": "kept@example.com",
            "security_stamp": 0,
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
    # Sessions of 0001's kind ended at 0002, the signed ones of 0002 at the sessions migration: none
    # is open after the upgrade; the signed tokens' logout table is gone.
    assert result["sessions"] == 0 and result["revoked_table"] is False
    # The settings row's columns became one JSON object (0005), every value carried over.
    assert result["settings"] == {
        "enabled": True,
        "approval": "MANUAL",
        "email_confirmation": False,
        "dynamic_properties": False,
        "identity_property": "email",
        "declared_properties": [{"name": "nick", "required": True, "maxLength": 20}],
        "passwordless_login": False,
        "passwordless_signup": False,
        "mfa_policy": "OPTIONAL",  # issue 15 §2: a setting the row lacks takes its default
    }
    assert result["audit_events"] == 0
    # 0007 makes the built-in roles.
    assert result["roles"] == ["AuthenticatedUser", "GuestUser", "SocialUser", "admin"]
    # 0013: no role requires MFA until the site says so.
    assert result["roles_requiring_mfa"] == []


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
        for model in (
            models.Member,
            models.Session,
            models.OutboxMessage,
            models.MemberEvent,
            models.LoginLockout,
            models.ExternalLoginState,
            models.ExternalIdentity,
        )
        for index in model._meta.indexes
    }

    def indexes(url: str) -> set[str]:
        return set(_run_script(INDEXES, url))

    found = _on_a_new_database(indexes)
    assert declared and declared <= found, sorted(declared - found)


LOCKOUT_UPGRADE = r"""
import asyncio, hashlib, json, sys, time
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from gql.db.setup import migrate as migrate_all, tortoise_config

url = sys.argv[1]
NOW = time.time()
MEMBER = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"
ACCOUNT = hashlib.sha256(b"kept@example.com").hexdigest()[:40]
GHOST = hashlib.sha256(b"ghost@example.com").hexdigest()[:40]
GONE = hashlib.sha256(b"gone@example.com").hexdigest()[:40]
# What 0003's lockout left in rate_limit_bucket: "updated_at" is the lock's end once the count
# reached the threshold (10), else the time of the last failure.
BUCKETS = [
    ("rl:login:198.51.100.9", 29.0, NOW - 10),  # a rate-limit bucket: stays
    (f"lock:{ACCOUNT}:198.51.100.1", 3, NOW - 600),  # counting, not locked
    (f"lock:{ACCOUNT}:198.51.100.2", 10, NOW + 3000),  # locked out for another 3000 s
    (f"lock:{ACCOUNT}:198.51.100.3", 12, NOW - 60),  # its lock ran out a minute ago
    (f"lock:{GHOST}", 0, NOW + 600),  # an unknown identity locked for everyone
    (f"lock:{GONE}", 0, NOW - 600),  # an account-wide lock that ran out
]

async def before() -> None:
    await migrate(config=tortoise_config(url), target="models.0003_link_state_and_rendered_mail")
    db = connections.get("default")
    await db.execute_script(
        f"INSERT INTO contact (id, email_key, phones, emails, custom_fields, created_at, updated_at) "
        f"VALUES ('{CONTACT}', 'kept@example.com', '[]', '[]', '{{}}', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');"
        f"INSERT INTO member (id, identity, login_email, email_key, password_hash, status, privacy_status, "
        f"activity_status, email_verified, is_guest, nickname, nickname_key, slug, created_at, "
        f"updated_at, contact_id) VALUES ('{MEMBER}', 'kept@example.com', 'kept@example.com', 'kept@example.com', "
        f"'x', 'APPROVED', 'PUBLIC', 'ACTIVE', FALSE, FALSE, 'Kept', 'kept', 'kept', "
        f"'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '{CONTACT}');"
        + "".join(
            f"INSERT INTO rate_limit_bucket (\"key\", tokens, updated_at) VALUES ('{key}', {tokens}, {at});"
            for key, tokens, at in BUCKETS
        )
    )
    await Tortoise.close_connections()

async def after() -> None:
    await migrate_all(url)
    await Tortoise.init(config=tortoise_config(url))
    from gql.config import Config
    from gql.db.models import Member
    from gql.domain import lockout
    from gql.domain.services import Services

    db = connections.get("default")
    buckets = await db.execute_query_dict('SELECT "key" FROM rate_limit_bucket')
    rows = await db.execute_query_dict(
        "SELECT account, address, failures, last_failure_at, locked_until FROM login_lockout ORDER BY account, address"
    )
    members = await db.execute_query_dict("SELECT email_key FROM member")
    # The carried-over rows under the new rules, with the default lockout (10 failures, 60 s doubling, 15 min).
    services = Services.from_config(Config(database_url=url, secret_key="s" * 40, bcrypt_cost=4))
    member = await Member.get(id=MEMBER)
    waits = {
        address: await lockout.seconds_locked(services, member, ACCOUNT, address)
        for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3")
    }
    # The address whose lock ran out counts on from 12: its next failure locks it for 60 s * 2**3.
    await lockout.record_failure(services, member, ACCOUNT, "198.51.100.3")
    relocked = await lockout.seconds_locked(services, member, ACCOUNT, "198.51.100.3")
    ghost = await lockout.account_lock(services, None, GHOST)
    services.close()
    await Tortoise.close_connections()
    print(json.dumps({
        "buckets": [row["key"] for row in buckets],
        "rows": [
            {
                "account": {ACCOUNT: "kept", GHOST: "ghost"}.get(row["account"], row["account"]),
                "address": row["address"],
                "failures": row["failures"],
                "last_failure_at": round(row["last_failure_at"] - NOW),
                "locked_until": None if row["locked_until"] is None else round(row["locked_until"] - NOW),
            }
            for row in rows
        ],
        "members": [row["email_key"] for row in members],
        "waits": {address: round(wait) for address, wait in waits.items()},
        "relocked": round(relocked),
        "ghost": round(ghost),
    }))

asyncio.run(before())
asyncio.run(after())
"""


def test_upgrading_carries_the_lockout_over_to_its_own_table() -> None:
    result = _on_a_new_database(lambda url: _run_script(LOCKOUT_UPGRADE, url))
    assert result["members"] == ["kept@example.com"]
    # Only rate-limit buckets stay in rate_limit_bucket.
    assert result["buckets"] == ["rl:login:198.51.100.9"]
    # Each column says one thing now: the live locks stay locks, the expired ones are counts.
    rows = sorted(result["rows"], key=lambda row: (row["account"] != "ghost", row["address"]))
    ghost = rows[0]
    assert 0 <= ghost.pop("last_failure_at") <= 60  # stamped when migrated: swept a day later
    assert rows == [
        {"account": "ghost", "address": "*", "failures": 0, "locked_until": 600},
        {"account": "kept", "address": "198.51.100.1", "failures": 3, "last_failure_at": -600, "locked_until": None},
        {"account": "kept", "address": "198.51.100.2", "failures": 10, "last_failure_at": 3000, "locked_until": 3000},
        {"account": "kept", "address": "198.51.100.3", "failures": 12, "last_failure_at": -60, "locked_until": None},
    ]
    # ...and the new rules read them as the old ones did (seconds left, less what the upgrade took).
    waits = result["waits"]
    assert waits["198.51.100.1"] == waits["198.51.100.3"] == 0 and 2940 <= waits["198.51.100.2"] <= 3000, waits
    assert 420 <= result["relocked"] <= 480  # 60 s doubled three times: the count went on from 12
    assert 540 <= result["ghost"] <= 600


CONTACTS_UPGRADE = r"""
import asyncio, json, sys
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from gql.db.setup import migrate as migrate_all, tortoise_config

url = sys.argv[1]
MEMBER = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"
BARE = "33333333-3333-3333-3333-333333333333"

async def before() -> None:
    await migrate(config=tortoise_config(url), target="models.0005_settings_as_data_and_audit")
    db = connections.get("default")
    await db.execute_script(
        f"INSERT INTO contact (id, email_key, first_name, phones, emails, custom_fields, created_at, updated_at) "
        f"VALUES ('{CONTACT}', 'kept@example.com', 'Kept', '[\"+1 555 0100\", \"+1 555 0199\"]', "
        f"'[\"kept.private@example.org\"]', '{{\"hobby\": \"chess\"}}', "
        f"'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');"
        f"INSERT INTO member (id, identity, login_email, email_key, password_hash, status, privacy_status, "
        f"activity_status, email_verified, is_guest, nickname, nickname_key, slug, created_at, "
        f"updated_at, contact_id) VALUES ('{MEMBER}', 'kept@example.com', 'kept@example.com', 'kept@example.com', "
        f"'x', 'APPROVED', 'PUBLIC', 'ACTIVE', FALSE, FALSE, 'Kept', 'kept', 'kept', "
        f"'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '{CONTACT}');"
        # A contact with empty lists, left as it is.
        f"INSERT INTO contact (id, email_key, phones, emails, custom_fields, created_at, updated_at) "
        f"VALUES ('{BARE}', NULL, '[]', '[]', '{{}}', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');"
    )
    await Tortoise.close_connections()

async def after() -> None:
    await migrate_all(url)
    await Tortoise.init(config=tortoise_config(url))
    from gql.db.models import Contact
    from gql.domain.lookup import find_by_id
    from gql.domain.records import MemberRecord

    member = MemberRecord.of(await find_by_id(MEMBER))
    contact = member.contact
    bare = await Contact.get(id=BARE)
    stored = await Contact.get(id=CONTACT)
    db = connections.get("default")
    indexes = await db.execute_query_dict(
        "SELECT sql AS definition FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contact'"
        if url.startswith("sqlite")
        else "SELECT indexdef AS definition FROM pg_indexes WHERE tablename = 'contact'"
    )
    await Tortoise.close_connections()
    print(json.dumps({
        "member": [str(member.id), member.login_email, member.status.value],
        "stored": [stored.phones, stored.emails],
        "phones": [[p.phone, p.tag.value, p.primary] for p in contact.phones],
        "emails": [[e.email, e.tag.value, e.primary] for e in contact.emails],
        "addresses": list(contact.addresses),
        "others": [contact.first_name, contact.custom_fields, contact.birthdate, contact.company, contact.job_title],
        "bare": [bare.phones, bare.emails, bare.addresses],
        "email_key_indexed": any("email_key" in (row["definition"] or "") for row in indexes),
    }))

asyncio.run(before())
asyncio.run(after())
"""


def test_upgrading_tags_the_contacts_phones_and_emails() -> None:
    """0006: each string of a contact's phones and emails becomes an untagged entry, in order;
    the member and the rest of its contact stay as they were."""
    result = _on_a_new_database(lambda url: _run_script(CONTACTS_UPGRADE, url))
    assert result["member"] == ["11111111-1111-1111-1111-111111111111", "kept@example.com", "APPROVED"]
    # Stored in the new layout (what the server reads back below would also read a bare string).
    assert result["stored"] == [
        [
            {"phone": "+1 555 0100", "tag": "UNTAGGED", "primary": False},
            {"phone": "+1 555 0199", "tag": "UNTAGGED", "primary": False},
        ],
        [{"email": "kept.private@example.org", "tag": "UNTAGGED", "primary": False}],
    ]
    assert result["phones"] == [["+1 555 0100", "UNTAGGED", False], ["+1 555 0199", "UNTAGGED", False]]
    assert result["emails"] == [["kept.private@example.org", "UNTAGGED", False]]
    assert result["addresses"] == []
    assert result["others"] == ["Kept", {"hobby": "chess"}, None, None, None]
    assert result["bare"] == [[], [], []]
    assert result["email_key_indexed"] is True  # the contact table kept its index


SESSIONS_UPGRADE = r"""
import asyncio, json, sys, time, uuid
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from gql.db.setup import migrate as migrate_all, tortoise_config

url = sys.argv[1]
SECRET = "upgrade-secret-key-that-is-long-enough-0123456789"
MEMBERS = {
    "11111111-1111-1111-1111-111111111111": ("one@example.com", 3, None),
    "11111111-1111-1111-1111-111111111112": ("two@example.com", 0, "0123456789abcdef0123456789abcdef"),
}
HASH = "$2b$04$Yq0e6k0S0Y3m1S7m1zq0GeNhG2rW6Ww0sEJq2V3GZQ2xQz9dJk1lW"

async def before() -> None:
    await migrate(config=tortoise_config(url), target="models.0005_settings_as_data_and_audit")
    db = connections.get("default")
    script = ""
    for n, (member_id, (email, epoch, kept)) in enumerate(MEMBERS.items()):
        contact = f"22222222-2222-2222-2222-22222222222{n}"
        script += (
            f"INSERT INTO contact (id, email_key, phones, emails, custom_fields, created_at, updated_at) "
            f"VALUES ('{contact}', '{email}', '[]', '[]', '{{}}', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00');"
            f"INSERT INTO member (id, identity, login_email, email_key, password_hash, status, privacy_status, "
            f"activity_status, email_verified, is_guest, nickname, nickname_key, slug, created_at, updated_at, "
            f"contact_id, session_epoch, kept_session_id, reset_jti, claims_contact) VALUES ('{member_id}', '{email}', "
            f"'{email}', '{email}', '{HASH}', 'APPROVED', 'PUBLIC', 'ACTIVE', TRUE, FALSE, 'N{n}', 'n{n}', 's{n}', "
            f"'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '{contact}', {epoch}, "
            + (f"'{kept}'" if kept else "NULL") + f", 'reset-jti-{n}', FALSE);"
        )
    script += (
        "INSERT INTO revoked_session (session_id, member_id, expires_at) VALUES "
        "('fedcba9876543210fedcba9876543210', '11111111-1111-1111-1111-111111111111', '2099-01-01 00:00:00+00:00');"
    )
    await db.execute_script(script)
    await Tortoise.close_connections()

async def after() -> None:
    await migrate_all(url)
    await Tortoise.init(config=tortoise_config(url))
    from gql.config import Config
    from gql.db.models import Member, Session
    from gql.domain import links, sessions
    from gql.domain.caller import anonymous
    from gql.domain.services import Services
    from gql.domain.tokens import Purpose

    db = connections.get("default")
    columns = [row["name"] for row in await db.execute_query_dict(
        "SELECT name FROM pragma_table_info('member')" if url.startswith("sqlite") else
        "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'member'"
    )]
    services = Services.from_config(Config(database_url=url, secret_key=SECRET, bcrypt_cost=4))
    # A reset link mailed before the upgrade: fingerprinted, as 0005's code did, with the session epoch.
    opened = {}
    for member_id, (email, epoch, _kept) in MEMBERS.items():
        member = await Member.get(id=member_id)
        n = list(MEMBERS).index(member_id)
        old_state = "\n".join([email, "False", str(epoch), HASH])
        old_link = services.tokens.issue(
            Purpose.RESET, uuid.UUID(member_id), f"reset-jti-{n}", services.tokens.fingerprint(Purpose.RESET, old_state)
        )
        claim, _ = await links.open_link(services, Purpose.RESET, old_link)
        opened[email] = {"stamp": member.security_stamp, "jti": claim.jti}
    # Signing in works at once and writes a session row (the upgrade's only change for members:
    # the sessions they had are gone).
    member = await Member.get(id="11111111-1111-1111-1111-111111111111").select_related("contact")
    grant = await sessions.open_session(services, anonymous("203.0.113.9"), member, sessions.SessionMethod.PASSWORD)
    caller = await sessions.caller_for_session(services, grant.session_token)
    session_count = await Session.all().count()
    services.close()
    await Tortoise.close_connections()
    print(json.dumps({
        "columns": sorted(c for c in columns if c in ("session_epoch", "kept_session_id", "security_stamp")),
        "opened": opened,
        "resolved": str(caller.member_id) if caller else None,
        "sessions": session_count,
    }))

asyncio.run(before())
asyncio.run(after())
"""


def test_upgrading_to_session_rows_keeps_members_and_their_links() -> None:
    """0005 → 0006 on a database holding members, one with a raised epoch and a kept session."""
    result = _on_a_new_database(lambda url: _run_script(SESSIONS_UPGRADE, url))
    assert result["columns"] == ["security_stamp"]  # the epoch renamed; kept_session_id gone
    # Links mailed before the upgrade still open: the stamp is the epoch's value under a new name.
    assert result["opened"] == {
        "one@example.com": {"stamp": 3, "jti": "reset-jti-0"},
        "two@example.com": {"stamp": 0, "jti": "reset-jti-1"},
    }
    assert result["resolved"] == "11111111-1111-1111-1111-111111111111" and result["sessions"] == 1


SECOND_FACTORS_UPGRADE = r"""
import asyncio, json, sys
from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate
from gql.db.setup import migrate as migrate_all, tortoise_config

url = sys.argv[1]
MEMBER = "11111111-1111-1111-1111-111111111111"

async def before() -> None:
    await migrate(config=tortoise_config(url), target="models.0009_external_identities")
    await Tortoise.init(config=tortoise_config(url))
    from gql.db.models import Contact
    contact = await Contact.create(email_key="one@example.com")
    db = connections.get("default")
    await db.execute_script(
        "INSERT INTO member (id, identity, login_email, email_key, password_hash, status, privacy_status, "
        "activity_status, email_verified, is_guest, nickname, nickname_key, slug, created_at, updated_at, contact_id) "
        f"VALUES ('{MEMBER}', 'one@example.com', 'one@example.com', 'one@example.com', NULL, 'APPROVED', 'PUBLIC', "
        f"'ACTIVE', TRUE, FALSE, 'N', 'n', 's', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '{contact.id}');"
        "INSERT INTO session (id, token_hash, member_id, method, stay_logged_in, created_at, last_seen_at, expires_at) "
        f"VALUES ('33333333-3333-3333-3333-333333333333', '{'a' * 64}', '{MEMBER}', 'PASSWORD', TRUE, "
        "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '2099-01-01 00:00:00+00:00');"
    )
    await Tortoise.close_connections()

async def after() -> None:
    await migrate_all(url)
    await Tortoise.init(config=tortoise_config(url))
    from gql.db.models import Member, Session
    member = await Member.get(id=MEMBER)
    session = await Session.get(id="33333333-3333-3333-3333-333333333333")
    await Tortoise.close_connections()
    print(json.dumps({"mfa": member.mfa_enabled, "factor": session.second_factor, "at": session.second_factor_at}))

asyncio.run(before())
asyncio.run(after())
"""


def test_upgrading_to_second_factors_keeps_members_and_their_sessions() -> None:
    """0009 → 0010 on a database holding a member with a session: nobody has a factor after it,
    and the open session stays (it proved none)."""
    result = _on_a_new_database(lambda url: _run_script(SECOND_FACTORS_UPGRADE, url))
    assert result == {"mfa": False, "factor": None, "at": None}
