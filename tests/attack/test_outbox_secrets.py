"""A copy of the database opens nothing: no live token at rest, not even in sent mail.

Issue 9, item 11: the outbox kept every mail's rendered body, with its working confirmation
or password link, for ever. Whoever read the database (a backup, a replica, a leaked dump)
could reset any recent member's password. Now a mail row holds only the recipe of its link;
the worker writes the token when it sends and blanks the recipe once the mail is out.

The test drives every flow that hands out a token, collects every token the clients and
the SMTP server received, waits until the outbox has nothing left to send, and then reads
every row of every table of the database directly.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import httpx

from tests.attack.conftest import (
    ADMIN_KEY,
    BACKEND,
    CURRENT_MEMBER,
    PASSWORD,
    Client,
    Server,
    StartServer,
    login,
    query_database,
    register,
    unique_email,
    update_settings,
)
from tests.mailbox import Mailbox, link_in, text_of
from tests.waiting import until

TOKEN_IN_LINK = re.compile(r"token=([A-Za-z0-9._~%-]+)")
GUEST_LOGIN = "mutation { loginAsGuest { __typename ... on SessionPayload { sessionToken } } }"
RESEND = "mutation ($e: String!) { resendEmailConfirmation(email: $e) { __typename ... on Error { code message } } }"
REQUEST_RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }"
SEND_SET_PASSWORD = "mutation ($e: String!) { sendSetPasswordEmail(email: $e) { __typename ... on Error { code } } }"
CREATE_MEMBER = "mutation ($e: String!) { createMember(input: {email: $e}) { __typename ... on Error { code } } }"
RESET_PASSWORD = """mutation ($t: String!, $p: String!) {
  resetPassword(token: $t, newPassword: $p) {
    __typename ... on SessionPayload { sessionToken member { loginEmail } } ... on Error { code message } } }"""


def token_in(message: EmailMessage) -> str:
    (token,) = set(TOKEN_IN_LINK.findall(text_of(message)))
    return token


def tables(server: Server) -> list[str]:
    if BACKEND == "postgres":
        sql = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    names = [row["name"] for row in query_database(server.database_url, sql)]
    assert {"member", "contact", "outbox", "member_event", "session"} <= set(names), names
    return names


def every_value(server: Server) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every column of every row of every table."""
    found = []
    for table in tables(server):
        for row in query_database(server.database_url, f'SELECT * FROM "{table}"'):
            for column, value in row.items():
                if value is not None:
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    found.append((table, column, text))
    return found


def secret_parts(token: str) -> dict[str, str]:
    """The token and the parts of it that are secret on their own (each long enough to be unmistakable)."""
    parts = {"whole": token}
    if token.startswith("JWS."):
        _header, payload, signature = token.removeprefix("JWS.").split(".")
        parts.update(without_prefix=token.removeprefix("JWS."), payload=payload, signature=signature)
    else:  # a session token: 256 random bits (43 characters); the row keeps only their SHA-256
        parts.update(first_half=token[:21], second_half=token[21:])
    return parts


def sqlite_files(server: Server) -> list[bytes]:
    """The bytes of the SQLite database and its journal files (none on PostgreSQL)."""
    if not server.database_url.startswith("sqlite://"):
        return []
    path = Path(server.database_url.removeprefix("sqlite://"))
    files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]
    assert path in files
    return [p.read_bytes() for p in files]


def nothing_pending(server: Server) -> bool:
    rows = query_database(server.database_url, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'PENDING'")
    return rows[0]["n"] == 0


async def test_no_token_handed_out_or_mailed_is_anywhere_in_the_database(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    client = Client(http, server.graphql_url)
    await update_settings(client, emailConfirmation=True)
    handed_out: dict[str, str] = {}

    # Registration (confirmation mail), a resent confirmation, confirming, logging in.
    ada = unique_email("ada")
    assert (await register(client, ada))["__typename"] == "RegisterPayload"
    await mailbox.wait_for(ada, count=1)  # sent before the resend, so it is not superseded
    assert (await client.field(RESEND, {"e": ada}))["__typename"] == "ResendEmailConfirmationPayload"
    confirm_link = link_in((await mailbox.wait_for(ada, count=2))[-1])
    confirmed = await http.get(confirm_link)
    assert confirmed.status_code == 200 and "Email confirmed" in confirmed.text, confirmed.text
    handed_out["session (login)"] = (await login(client, ada))["sessionToken"]
    handed_out["session (second login)"] = (await login(client, ada))["sessionToken"]
    handed_out["session (guest)"] = (await client.field(GUEST_LOGIN))["sessionToken"]
    # A password reset.
    assert (await client.field(REQUEST_RESET, {"e": ada}))["__typename"] == "RequestPasswordResetPayload"
    await mailbox.wait_for(ada, count=3)
    # An invited member, and the backend's set-password mail.
    bob = unique_email("bob")
    assert (await client.field(CREATE_MEMBER, {"e": bob}, api_key=ADMIN_KEY))["__typename"] == "CreateMemberPayload"
    await mailbox.wait_for(bob, count=1)
    assert (await client.field(SEND_SET_PASSWORD, {"e": bob}, api_key=ADMIN_KEY))[
        "__typename"
    ] == "SendSetPasswordEmailPayload"
    await mailbox.wait_for(bob, count=2)
    # Manual approval: the backend's registration gets the approval token (kept unused: live).
    await update_settings(client, approval="MANUAL")
    cleo = unique_email("cleo")
    pending = await register(client, cleo, api_key=ADMIN_KEY)
    assert pending["status"] == "PENDING" and pending["approvalToken"], pending
    handed_out["approval token"] = pending["approvalToken"]
    await mailbox.wait_for(cleo, count=1)  # its confirmation mail

    await until(lambda: nothing_pending(server), "the outbox emptying")
    mails = mailbox.messages
    assert sorted(m["To"] for m in mails) == sorted([ada] * 3 + [bob] * 2 + [cleo]), [m["To"] for m in mails]
    for i, mail in enumerate(mails):
        handed_out[f"mailed token {i} ({mail['Subject']} to {mail['To']})"] = token_in(mail)
    assert len(set(handed_out.values())) == len(handed_out) == 10  # 3 sessions, 1 approval, 6 mails

    values = every_value(server)
    assert any(table == "outbox" for table, _, _ in values)  # the scan reads what it should
    for name, token in handed_out.items():
        for part, secret in secret_parts(token).items():
            where = [(table, column) for table, column, text in values if secret in text]
            assert not where, f"the {part} of the {name} is stored in {where}"
    # A copy of the SQLite file is more than its rows: freed pages and the WAL keep old bytes.
    for raw in sqlite_files(server):
        for name, token in handed_out.items():
            for part, secret in secret_parts(token).items():
                assert secret.encode() not in raw, f"the {part} of the {name} is in the database file's bytes"

    # What a sent mail keeps: whom it went to, its subject and template; nothing that rendered it.
    rows = query_database(server.database_url, "SELECT * FROM outbox WHERE kind = 'email'")
    assert len(rows) == 6 and {row["status"] for row in rows} == {"SENT"}, rows
    for row in rows:
        assert row["body_text"] is None and row["body_html"] is None, row
        assert row["link"] is None and row["context"] is None, row
        assert row["recipient"] in (ada, bob, cleo) and row["subject"] and row["template"], row
    templates = sorted(row["template"] for row in rows)
    assert templates == sorted(["confirm_email"] * 3 + ["reset_password", "set_password", "set_password"]), rows


async def test_a_mailed_link_still_works_after_its_outbox_row_is_blanked(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    client = Client(http, server.graphql_url)
    email = unique_email("later")
    assert (await register(client, email))["__typename"] == "RegisterPayload"
    assert (await client.field(REQUEST_RESET, {"e": email}))["__typename"] == "RequestPasswordResetPayload"
    (mail,) = await mailbox.wait_for(email)
    await until(lambda: nothing_pending(server), "the outbox emptying")
    (row,) = query_database(server.database_url, "SELECT * FROM outbox")
    assert row["status"] == "SENT" and row["body_text"] is None and row["body_html"] is None, row
    assert row.get("link") is None and row.get("context") is None, row

    # The token was written when the mail went out, and it opens: a new password, a session.
    reset = await client.field(RESET_PASSWORD, {"t": token_in(mail), "p": "a brand new passphrase"})
    assert reset["__typename"] == "ResetPasswordPayload", reset
    assert reset["member"]["loginEmail"] == email
    current = await client.field(CURRENT_MEMBER, token=reset["sessionToken"])
    assert current["loginEmail"] == email
    assert (await login(client, email, "a brand new passphrase"))["__typename"] == "LoginPayload"
    assert (await login(client, email, PASSWORD))["__typename"] == "InvalidCredentialsError"
