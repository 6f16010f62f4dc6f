"""Lookalike addresses: what is stored, what mail goes to and what the uniqueness key says agree.

Issue 9, item 13: an address was stored as typed while its uniqueness key was NFKC and
case-folded. "\\u212aate@example.com" (with U+212A KELVIN SIGN) holds the key of
kate@example.com, so it took that identity while every mail of the account went to the
lookalike mailbox. Now the stored address is the canonical (NFKC) one the key is made
from, and addresses that case folding would merge with another mailbox ("ß" → "ss") are
refused.

Every request goes over HTTP to a real server process; the database is read directly.
"""

from __future__ import annotations

import httpx
import pytest

from tests.attack.conftest import (
    ADMIN_KEY,
    REGISTER,
    Client,
    Server,
    SharedServers,
    StartServer,
    query_database,
    register,
    unique_email,
)
from tests.mailbox import Mailbox
from tests.waiting import until

KELVIN = "\u212a"
CHANGE_LOGIN_EMAIL = """mutation ($id: ID!, $e: String!) {
  changeLoginEmail(memberId: $id, newEmail: $e) {
    __typename ... on MemberPayload { member { loginEmail } } ... on Error { code message } } }"""


@pytest.fixture
def server(shared_servers: SharedServers) -> Server:
    (started,) = shared_servers("addresses")
    return started


def stored(server: Server, member_id: str) -> dict:
    (row,) = query_database(server.database_url, f"SELECT login_email, email_key FROM member WHERE id = '{member_id}'")
    return row


async def test_a_kelvin_sign_address_is_stored_and_mailed_as_the_plain_letter(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    client = Client(http, server.graphql_url)
    registered = await register(client, f"{KELVIN}ate@example.com")
    assert registered["__typename"] == "RegisterPayload", registered
    assert registered["member"]["loginEmail"] == "Kate@example.com"
    assert stored(server, registered["member"]["id"]) == {
        "login_email": "Kate@example.com",
        "email_key": "kate@example.com",
    }
    # Its key is kate@example.com's: the plain address is taken.
    taken = await register(Client(http, server.graphql_url), "kate@example.com")
    assert taken["__typename"] == "IdentityTakenError" and taken["code"] == 3033, taken

    # Mail for the account goes to the address the key names, never to a lookalike.
    asked = await client.field(
        "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }", {"e": "kate@example.com"}
    )
    assert asked["__typename"] == "RequestPasswordResetPayload", asked
    (mail,) = await until(lambda: mailbox.messages, "a mail", timeout=15)
    assert str(mail["To"]).lower() == "kate@example.com", mail["To"]
    assert KELVIN not in str(mail["To"]) and KELVIN not in mail.as_string(), mail["To"]


async def test_fullwidth_letters_are_stored_as_the_plain_address(server: Server, http: httpx.AsyncClient) -> None:
    client = Client(http, server.graphql_url)
    local = unique_email("bob").split("@")[0]
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in local)
    registered = await register(client, f"{fullwidth}@ｅｘａｍｐｌｅ.com")
    assert registered["__typename"] == "RegisterPayload", registered
    assert registered["member"]["loginEmail"] == f"{local}@example.com"
    assert stored(server, registered["member"]["id"]) == {
        "login_email": f"{local}@example.com",
        "email_key": f"{local}@example.com",
    }
    taken = await register(client, f"{local}@example.com")
    assert taken["__typename"] == "IdentityTakenError", taken


async def test_the_fullwidth_bob_of_the_review_is_stored_as_bob(server: Server, http: httpx.AsyncClient) -> None:
    client = Client(http, server.graphql_url)
    registered = await register(client, "ｂｏｂ@example.com")
    assert registered["__typename"] == "RegisterPayload", registered
    assert registered["member"]["loginEmail"] == "bob@example.com"
    assert stored(server, registered["member"]["id"])["login_email"] == "bob@example.com"


@pytest.mark.parametrize("address", ["Straße@example.de", "STRAẞE@example.de", "ςigma@example.gr"])
async def test_addresses_that_case_folding_merges_with_another_mailbox_are_refused(
    server: Server, http: httpx.AsyncClient, address: str
) -> None:
    client = Client(http, server.graphql_url)
    before = query_database(server.database_url, "SELECT COUNT(*) AS n FROM member")[0]["n"]
    refused = await client.field(REGISTER, {"email": address, "password": "correct horse"})
    assert refused["__typename"] == "EmailFormatError" and refused["code"] == 3040, refused
    assert query_database(server.database_url, "SELECT COUNT(*) AS n FROM member")[0]["n"] == before
    invited = await client.field(
        "mutation ($e: String!) { createMember(input: {email: $e}) { __typename ... on Error { code } } }",
        {"e": address},
        api_key=ADMIN_KEY,
    )
    assert invited == {"__typename": "EmailFormatError", "code": 3040}, invited


async def test_change_login_email_stores_the_canonical_address(server: Server, http: httpx.AsyncClient) -> None:
    client = Client(http, server.graphql_url)
    member = await register(client, unique_email("mover"))
    local = unique_email("ken").split("@")[0]  # "ken-…": a K, then lower-case
    lookalike = f"{KELVIN}{local[1:]}@EXAMPLE.com"
    changed = await client.field(CHANGE_LOGIN_EMAIL, {"id": member["member"]["id"], "e": lookalike}, api_key=ADMIN_KEY)
    assert changed == {
        "__typename": "ChangeLoginEmailPayload",
        "member": {"loginEmail": f"K{local[1:]}@example.com"},
    }, changed
    assert stored(server, member["member"]["id"]) == {
        "login_email": f"K{local[1:]}@example.com",
        "email_key": f"{local}@example.com",
    }
    refused = await client.field(
        CHANGE_LOGIN_EMAIL, {"id": member["member"]["id"], "e": "Straße@example.de"}, api_key=ADMIN_KEY
    )
    assert refused["__typename"] == "EmailFormatError" and refused["code"] == 3040, refused
    assert stored(server, member["member"]["id"])["login_email"] == f"K{local[1:]}@example.com"
