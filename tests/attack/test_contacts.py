"""A member's contact record is never handed to someone who merely types its email address.

Issue 9, item 2: a site's own registrant used to reuse the contact that already had its
email. After the backend deleted a member (its contact stays for the site), whoever
registered that email next received the old member's phones, other emails, custom fields
and name, in the registration's answer and in ``currentMember`` — with email confirmation
on, even before proving the address, and still after proving it.

Every request goes over HTTP to a real server process; mail goes to a real SMTP server.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.attack.conftest import (
    ADMIN_KEY,
    ERROR,
    LOGIN,
    PASSWORD,
    Client,
    Server,
    SharedServers,
    StartServer,
    query_database,
    unique_email,
    update_settings,
)
from tests.mailbox import Mailbox, link_in

CONTACT = "contactId contact { firstName lastName phones { phone } emails { email } picture customFields }"
REGISTER_WITH_CONTACT = f"""mutation ($email: String, $password: String!, $options: RegistrationOptions) {{
  register(email: $email, password: $password, options: $options) {{
    __typename ... on RegisterPayload {{ sessionToken member {{ id loginEmail {CONTACT} }} }} {ERROR}
  }} }}"""
CURRENT_CONTACT = f"{{ currentMember {{ id {CONTACT} }} }}"
DELETE_MEMBER = """mutation ($id: ID!) {
  deleteMember(id: $id) { __typename ... on DeleteMemberPayload { member { id } } ... on Error { code message } } }"""

OLD_CONTACT = {
    "firstName": "Olivia",
    "lastName": "Oldfield",
    "phones": [{"phone": "+1 555 0100 7788", "tag": "MOBILE", "primary": True}],
    "emails": [{"email": "olivia.private@mailbox.example.org", "tag": "HOME"}],
    "customFields": {"secretNote": "safe code 4711", "loyaltyNumber": "LN-998877"},
}
OLD_VALUES = ("Olivia", "Oldfield", "555 0100 7788", "olivia.private", "safe code 4711", "LN-998877", "secretNote")


@pytest.fixture
def server(shared_servers: SharedServers) -> Server:
    (started,) = shared_servers("contacts")
    return started


def assert_holds_nothing_old(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    for old in OLD_VALUES:
        assert old not in text, f"{old!r} of the deleted member's contact reached the new registrant: {text}"


async def register_with(client: Client, email: str, contact: dict[str, Any] | None, **auth: str | None) -> dict:
    options = {"contactInfo": contact} if contact is not None else None
    return await client.field(REGISTER_WITH_CONTACT, {"email": email, "password": PASSWORD, "options": options}, **auth)


async def register_and_delete_old_member(client: Client, email: str) -> str:
    """A member with a full contact registers; the backend deletes it. Returns the old contact id."""
    old = await register_with(client, email, OLD_CONTACT)
    assert old["__typename"] == "RegisterPayload", old
    assert old["member"]["contact"]["customFields"] == OLD_CONTACT["customFields"]  # the data was stored
    deleted = await client.field(DELETE_MEMBER, {"id": old["member"]["id"]}, api_key=ADMIN_KEY)
    assert deleted == {"__typename": "DeleteMemberPayload", "member": {"id": old["member"]["id"]}}, deleted
    return old["member"]["contactId"]


@pytest.mark.parametrize("new_contact", [None, {"firstName": "Newton"}], ids=["no-contact-info", "other-contact-info"])
async def test_a_deleted_members_contact_is_not_given_to_the_next_registrant_of_its_email(
    server: Server, http: httpx.AsyncClient, new_contact: dict[str, Any] | None
) -> None:
    client = Client(http, server.graphql_url)
    email = unique_email("reused")
    old_contact_id = await register_and_delete_old_member(client, email)

    stranger = Client(http, server.graphql_url)  # another address, anonymous
    registered = await register_with(stranger, email.upper(), new_contact)
    assert registered["__typename"] == "RegisterPayload", registered
    assert_holds_nothing_old(registered)
    assert registered["member"]["contactId"] != old_contact_id
    expected_first_name = (new_contact or {}).get("firstName")
    assert registered["member"]["contact"] == {
        "firstName": expected_first_name,
        "lastName": None,
        "phones": [],
        "emails": [],
        "picture": None,
        "customFields": {},
    }

    session = registered["sessionToken"]
    current = await stranger.field(CURRENT_CONTACT, token=session)
    assert current["id"] == registered["member"]["id"]
    assert_holds_nothing_old(current)
    assert current["contactId"] != old_contact_id
    # Logging in afresh changes nothing either.
    again = await stranger.field(LOGIN, {"identity": email, "password": PASSWORD})
    assert again["__typename"] == "LoginPayload", again
    assert_holds_nothing_old(await stranger.field(CURRENT_CONTACT, token=again["sessionToken"]))


async def test_proving_the_address_does_not_hand_over_a_deleted_members_contact(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    client = Client(http, server.graphql_url)
    await update_settings(client, emailConfirmation=True)
    email = unique_email("proved")
    # The old member proves its address too before it is deleted: its contact is as real as they come.
    old = await register_with(client, email, OLD_CONTACT)
    assert old["__typename"] == "RegisterPayload", old
    confirmed = await http.get(link_in((await mailbox.wait_for(email, count=1))[-1]))
    assert confirmed.status_code == 200 and "Email confirmed" in confirmed.text, confirmed.text
    deleted = await client.field(DELETE_MEMBER, {"id": old["member"]["id"]}, api_key=ADMIN_KEY)
    assert deleted["__typename"] == "DeleteMemberPayload", deleted

    stranger = Client(http, server.graphql_url)
    registered = await register_with(stranger, email, {"lastName": "Newcomer"})
    assert registered["__typename"] == "RegisterPayload", registered
    assert_holds_nothing_old(registered)
    assert registered["member"]["contactId"] != old["member"]["contactId"]
    assert registered["sessionToken"] is None  # no session before the address is proved

    # The new registrant owns the mailbox: it follows its own confirmation link.
    link = link_in((await mailbox.wait_for(email, count=2))[-1])
    page = await http.get(link)
    assert page.status_code == 200 and "Email confirmed" in page.text, page.text
    assert_holds_nothing_old(page.text)
    logged_in = await stranger.field(LOGIN, {"identity": email, "password": PASSWORD})
    assert logged_in["__typename"] == "LoginPayload", logged_in
    current = await stranger.field(CURRENT_CONTACT, token=logged_in["sessionToken"])
    assert current["id"] == registered["member"]["id"]
    assert_holds_nothing_old(current)
    assert current["contactId"] != old["member"]["contactId"]
    assert current["contact"]["lastName"] == "Newcomer"


async def test_registering_a_taken_email_answers_3033_and_reveals_nothing_of_its_member(
    server: Server, http: httpx.AsyncClient
) -> None:
    owner = Client(http, server.graphql_url)
    email = unique_email("taken")
    existing = await register_with(owner, email, OLD_CONTACT)
    assert existing["__typename"] == "RegisterPayload", existing
    invited = unique_email("invited")
    created = await owner.field(
        """mutation ($input: CreateMemberInput!) { createMember(input: $input) { __typename } }""",
        {"input": {"email": invited, "contactInfo": OLD_CONTACT}},
        api_key=ADMIN_KEY,
    )
    assert created["__typename"] == "CreateMemberPayload", created

    attacker = Client(http, server.graphql_url)
    for target in (email, f"  {email.upper()} ", invited):
        for contact in (None, {"firstName": "Mallory", "customFields": {"secretNote": "overwritten"}}):
            answer = await register_with(attacker, target, contact)
            assert answer == {
                "__typename": "IdentityTakenError",
                "code": 3033,
                "message": "A member with the same identity already exists.",
            }, answer
    # Nor did the attempts write into the existing members' contacts.
    for address in (email, invited):
        (row,) = query_database(
            server.database_url,
            "SELECT c.first_name, c.custom_fields FROM contact c JOIN member m ON m.contact_id = c.id "
            f"WHERE m.email_key = '{address}'",
        )
        fields = row["custom_fields"]
        assert row["first_name"] == "Olivia"
        assert (json.loads(fields) if isinstance(fields, str) else fields) == OLD_CONTACT["customFields"]
