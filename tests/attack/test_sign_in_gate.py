"""Email confirmation cannot be skipped: with it on, a member gets no usable session from any
way in until it follows the link mailed to its address (issue 9, item 1 and its class)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_EMAIL,
    APPROVE_BY_TOKEN,
    CURRENT_MEMBER,
    PASSWORD,
    REGISTER,
    Client,
    Server,
    StartServer,
    login,
    unique_email,
    update_settings,
)
from tests.mailbox import Mailbox, link_in

UPDATE_MEMBER = """mutation ($id: ID!) { updateMember(id: $id, input: { title: "acting at once" }) {
  __typename ... on Error { code } } }"""
GUEST = "mutation { loginAsGuest { ... on SessionPayload { sessionToken member { id } } } }"
CHANGE_EMAIL = """mutation ($id: ID!, $e: String!) { changeLoginEmail(memberId: $id, newEmail: $e) {
  __typename ... on Error { code } } }"""
REQUEST_RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }"
RESET_PASSWORD = """mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) {
  __typename ... on SessionPayload { sessionToken member { loginEmailVerified } } ... on Error { code } } }"""


@pytest_asyncio.fixture
async def confirming(start_server: StartServer, mailbox: Mailbox) -> AsyncIterator[Server]:
    server = start_server(smtp_url=mailbox.url, email_confirmation="true")
    yield server


async def confirm(http: httpx.AsyncClient, mailbox: Mailbox, email: str) -> None:
    mails = await mailbox.wait_for(email)
    page = await http.get(link_in([m for m in mails if "Confirm" in m["Subject"]][-1]))
    assert page.status_code == 200 and "Email confirmed" in page.text, page.text


async def test_register_answers_no_session_until_the_email_is_confirmed(
    confirming: Server, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    client = Client(http, confirming.graphql_url)
    email = unique_email("someone-elses")  # anyone can type anybody's address
    registered = await client.field(REGISTER, {"email": email, "password": PASSWORD})
    assert registered["__typename"] == "RegisterPayload"
    assert registered["status"] == "EMAIL_CONFIRMATION_PENDING" and registered["sessionToken"] is None, registered
    assert registered["member"]["status"] == "APPROVED"
    assert (await login(client, email))["code"] == 3087
    # Only the mailbox's owner can go on.
    await confirm(http, mailbox, email)
    session = (await login(client, email))["sessionToken"]
    assert (await client.field(CURRENT_MEMBER, token=session))["loginEmail"] == email


async def test_a_guest_converted_with_an_unconfirmed_email_loses_its_session(
    confirming: Server, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    client = Client(http, confirming.graphql_url)
    guest = await client.field(GUEST)
    token, guest_id = guest["sessionToken"], guest["member"]["id"]
    assert (await client.field(CURRENT_MEMBER, token=token))["id"] == guest_id
    email = unique_email("converted")
    options = {"guestId": guest_id}
    converted = await client.field(REGISTER, {"email": email, "password": PASSWORD, "options": options}, token=token)
    assert converted["status"] == "EMAIL_CONFIRMATION_PENDING" and converted["sessionToken"] is None, converted
    # The guest's session would have been a way around the confirmation: it is dead now.
    assert (await client.post(CURRENT_MEMBER, token=token))["data"]["currentMember"] is None
    assert (await client.field(UPDATE_MEMBER, {"id": guest_id}, token=token))["code"] == 3030
    await confirm(http, mailbox, email)
    assert (await login(client, email))["__typename"] == "LoginPayload"


async def test_approval_gives_no_session_before_confirmation(
    confirming: Server, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    client = Client(http, confirming.graphql_url)
    await update_settings(client, approval="MANUAL")
    by_token, by_email = unique_email("token"), unique_email("email")
    registered = await client.field(REGISTER, {"email": by_token, "password": PASSWORD}, api_key=ADMIN_KEY)
    assert registered["status"] == "PENDING" and registered["sessionToken"] is None
    await client.field(REGISTER, {"email": by_email, "password": PASSWORD})

    # approveByToken (anyone holding the token): approved, but 3087 instead of a session.
    approved = await client.field(APPROVE_BY_TOKEN, {"token": registered["approvalToken"]})
    assert approved["__typename"] == "EmailNotConfirmedError" and approved["code"] == 3087, approved
    assert (await login(client, by_token))["code"] == 3087  # approved now: only the confirmation is missing
    # approveByEmail (backend): the same.
    assert (await client.field(APPROVE_BY_EMAIL, {"email": by_email}, api_key=ADMIN_KEY))["code"] == 3087
    assert (await login(client, by_email))["code"] == 3087

    for email in (by_token, by_email):
        await confirm(http, mailbox, email)
        assert (await login(client, email))["__typename"] == "LoginPayload"


async def test_a_changed_login_email_ends_sessions_until_it_is_confirmed(
    confirming: Server, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    client = Client(http, confirming.graphql_url)
    email, new = unique_email("before"), unique_email("after")
    member = (await client.field(REGISTER, {"email": email, "password": PASSWORD}))["member"]
    await confirm(http, mailbox, email)
    session = (await login(client, email))["sessionToken"]
    assert (await client.field(CURRENT_MEMBER, token=session))["id"] == member["id"]
    assert (await client.field(CHANGE_EMAIL, {"id": member["id"], "e": new}, api_key=ADMIN_KEY))[
        "__typename"
    ] == "ChangeLoginEmailPayload"
    # The account now answers to an address nobody has proved: no session works until it is.
    assert (await client.post(CURRENT_MEMBER, token=session))["data"]["currentMember"] is None
    assert (await login(client, new))["code"] == 3087
    await confirm(http, mailbox, new)
    assert (await client.field(CURRENT_MEMBER, token=session))["id"] == member["id"]


async def test_a_password_link_proves_the_address_it_was_sent_to(
    confirming: Server, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """The one way in besides the confirmation link: a reset link, mailed to the same address."""
    client = Client(http, confirming.graphql_url)
    email = unique_email("reset")
    await client.field(REGISTER, {"email": email, "password": PASSWORD})
    await mailbox.wait_for(email)
    await client.field(REQUEST_RESET, {"e": email})
    mails = await mailbox.wait_for(email, count=2)
    token = link_in([m for m in mails if "Reset" in m["Subject"]][-1]).split("token=", 1)[1]
    reset = await client.field(RESET_PASSWORD, {"t": token, "p": "a-new-password"})
    assert reset["__typename"] == "ResetPasswordPayload" and reset["member"]["loginEmailVerified"] is True, reset


async def test_turning_confirmation_off_releases_waiting_members(
    confirming: Server, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    client = Client(http, confirming.graphql_url)
    email = unique_email("waiting")
    await client.field(REGISTER, {"email": email, "password": PASSWORD})
    assert (await login(client, email))["code"] == 3087
    await update_settings(client, emailConfirmation=False)
    assert (await login(client, email))["__typename"] == "LoginPayload"
