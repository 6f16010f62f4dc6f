"""Every emailed link dies when what it was issued for changes (issue 9, items 3 and 10).

The review's case: requestPasswordReset, then the backend's changeLoginEmail — the old link
still reset the password and marked the new, never-confirmed address verified. The class:
reset, set-password and confirmation links, against a change of the login email, a password
change, a block, a block and unblock, a deletion; each tried through GraphQL and through the
HTML page behind the link.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_EMAIL,
    BLOCK_BY_EMAIL,
    PASSWORD,
    REGISTER,
    Client,
    Server,
    SharedServers,
    login,
    unique_email,
)
from tests.mailbox import Mailbox, link_in

REQUEST_RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }"
SEND_SET = "mutation ($e: String!) { sendSetPasswordEmail(email: $e) { __typename } }"
RESEND = "mutation ($e: String!) { resendEmailConfirmation(email: $e) { __typename ... on Error { code } } }"
RESET_PASSWORD = """mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) {
  __typename ... on Error { code message } } }"""
CONFIRM = "mutation ($t: String!) { confirmEmail(token: $t) { __typename ... on Error { code message } } }"
CHANGE_EMAIL = """mutation ($id: ID!, $e: String!) { changeLoginEmail(memberId: $id, newEmail: $e) {
  __typename ... on Error { code } } }"""
CHANGE_PASSWORD = """mutation ($old: String!, $new: String!) { changePassword(currentPassword: $old, newPassword: $new) {
  __typename ... on Error { code } } }"""
DELETE = "mutation ($id: ID!) { deleteMember(id: $id) { __typename ... on Error { code } } }"
MEMBER = "query ($id: ID!) { member(id: $id) { ... on Member { loginEmail loginEmailVerified } } }"
UPDATE_SETTINGS = """mutation ($input: RegistrationSettingsInput!) {
  updateRegistrationSettings(input: $input) { __typename } }"""


@pytest.fixture(scope="module")
def module_mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


class Account:
    def __init__(self, client: Client, email: str, member_id: str) -> None:
        self.client, self.email, self.id = client, email, member_id
        self.password = PASSWORD


Change = Callable[[Account], Awaitable[Any]]


async def change_login_email(account: Account) -> None:
    answer = await account.client.field(CHANGE_EMAIL, {"id": account.id, "e": unique_email("moved")}, api_key=ADMIN_KEY)
    assert answer["__typename"] == "ChangeLoginEmailPayload", answer


async def change_password(account: Account) -> None:
    session = (await login(account.client, account.email, account.password))["sessionToken"]
    answer = await account.client.field(CHANGE_PASSWORD, {"old": account.password, "new": "changed-pw"}, token=session)
    assert answer["__typename"] == "ChangePasswordPayload", answer


async def block(account: Account) -> None:
    assert (await account.client.field(BLOCK_BY_EMAIL, {"email": account.email}, api_key=ADMIN_KEY))[
        "__typename"
    ] == "BlockByEmailPayload"


async def block_and_unblock(account: Account) -> None:
    await block(account)
    unblocked = await account.client.field(APPROVE_BY_EMAIL, {"email": account.email}, api_key=ADMIN_KEY)
    # (A member still waiting for confirmation is unblocked all the same, but gets no session: 3087.)
    assert unblocked["__typename"] in ("ApproveByEmailPayload", "EmailNotConfirmedError"), unblocked


async def delete(account: Account) -> None:
    assert (await account.client.field(DELETE, {"id": account.id}, api_key=ADMIN_KEY))[
        "__typename"
    ] == "DeleteMemberPayload"


CHANGES: dict[str, Change] = {
    "login email changed": change_login_email,
    "password changed": change_password,
    "blocked": block,
    "blocked and unblocked": block_and_unblock,
    "deleted": delete,
}


def mail_server(shared_servers: SharedServers, mailbox: Mailbox, confirmation: bool) -> Server:
    name = "links-confirming" if confirmation else "links"
    return shared_servers(name, smtp_url=mailbox.url, email_confirmation=str(confirmation).lower())[0]


async def token_mailed(mailbox: Mailbox, email: str, subject: str) -> str:
    mails = await mailbox.wait_for(email)
    return link_in([m for m in mails if subject in m["Subject"]][-1]).split("token=", 1)[1]


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
@pytest.mark.parametrize("kind", ["reset", "set password"])
async def test_a_password_link_dies_when_the_account_changes(
    kind: str, change: str, shared_servers: SharedServers, http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    server = mail_server(shared_servers, module_mailbox, confirmation=False)
    client = Client(http, server.graphql_url)
    email = unique_email(kind.replace(" ", "-"))
    member = (await client.field(REGISTER, {"email": email, "password": PASSWORD}))["member"]
    account = Account(client, email, member["id"])
    if kind == "reset":
        await client.field(REQUEST_RESET, {"e": email})
        token = await token_mailed(module_mailbox, email, "Reset")
    else:
        await client.field(SEND_SET, {"e": email}, api_key=ADMIN_KEY)
        token = await token_mailed(module_mailbox, email, "Set your password")

    await CHANGES[change](account)

    answer = await client.field(RESET_PASSWORD, {"t": token, "p": "attackers-pw"})
    assert answer["__typename"] != "ResetPasswordPayload" and answer["code"] in (3201, 3000, 3030), answer
    page = await http.post(
        f"{server.url}/reset-password", data={"token": token, "password": "attackers-pw"}, headers=client.headers()
    )
    assert page.status_code in (400, 403) and "saved" not in page.text, page.text
    if change != "deleted":
        # Nothing was changed by the dead link: not the password, and no address became verified.
        state = await client.field(MEMBER, {"id": member["id"]}, api_key=ADMIN_KEY)
        assert state["loginEmailVerified"] is False, state
        if change == "login email changed":
            assert (await login(client, state["loginEmail"], "attackers-pw"))["code"] in (3003, 3000)


@pytest.mark.parametrize("change", [c for c in CHANGES if c != "password changed"])
async def test_a_confirmation_link_dies_when_the_account_changes(
    change: str, shared_servers: SharedServers, http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    # (A member waiting for confirmation cannot sign in, so it cannot change its password.)
    server = mail_server(shared_servers, module_mailbox, confirmation=True)
    client = Client(http, server.graphql_url)
    email = unique_email("confirm")
    member = (await client.field(REGISTER, {"email": email, "password": PASSWORD}))["member"]
    token = await token_mailed(module_mailbox, email, "Confirm")

    await CHANGES[change](Account(client, email, member["id"]))

    answer = await client.field(CONFIRM, {"t": token})
    assert answer["__typename"] != "ConfirmEmailPayload" and answer["code"] in (3201, 3203, 3000, 3030), answer
    page = await http.get(f"{server.url}/confirm-email", params={"token": token}, headers=client.headers())
    assert page.status_code in (400, 403) and "Email confirmed" not in page.text
    if change != "deleted":
        state = await client.field(MEMBER, {"id": member["id"]}, api_key=ADMIN_KEY)
        assert state["loginEmailVerified"] is False, state


async def test_the_review_case_a_reset_link_does_not_verify_a_changed_address(
    shared_servers: SharedServers, http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    server = mail_server(shared_servers, module_mailbox, confirmation=False)
    client = Client(http, server.graphql_url)
    email, new = unique_email("old-address"), unique_email("new-address")
    member = (await client.field(REGISTER, {"email": email, "password": PASSWORD}))["member"]
    await client.field(REQUEST_RESET, {"e": email})
    token = await token_mailed(module_mailbox, email, "Reset")
    await client.field(CHANGE_EMAIL, {"id": member["id"], "e": new}, api_key=ADMIN_KEY)
    answer = await client.field(RESET_PASSWORD, {"t": token, "p": "taken-over"})
    assert answer["code"] == 3201 and "account changed" in answer["message"], answer
    assert await client.field(MEMBER, {"id": member["id"]}, api_key=ADMIN_KEY) == {
        "loginEmail": new,
        "loginEmailVerified": False,
    }
    assert (await login(client, new, PASSWORD))["__typename"] == "LoginPayload"  # the password is unchanged
    # A link mailed to the new address works, and proves that address.
    await client.field(REQUEST_RESET, {"e": new})
    fresh = await token_mailed(module_mailbox, new, "Reset")
    assert (await client.field(RESET_PASSWORD, {"t": fresh, "p": "owners-new-pw"}))[
        "__typename"
    ] == "ResetPasswordPayload"
    assert (await client.field(MEMBER, {"id": member["id"]}, api_key=ADMIN_KEY))["loginEmailVerified"] is True


async def test_links_survive_what_does_not_concern_them(
    shared_servers: SharedServers, http: httpx.AsyncClient, module_mailbox: Mailbox
) -> None:
    """Not every change kills a link: a login, a profile update or a logout leave it working."""
    server = mail_server(shared_servers, module_mailbox, confirmation=False)
    client = Client(http, server.graphql_url)
    email = unique_email("unchanged")
    member = (await client.field(REGISTER, {"email": email, "password": PASSWORD}))["member"]
    await client.field(REQUEST_RESET, {"e": email})
    token = await token_mailed(module_mailbox, email, "Reset")
    session = (await login(client, email))["sessionToken"]
    update = 'mutation ($id: ID!) { updateMember(id: $id, input: { title: "Dr" }) { __typename } }'
    assert (await client.field(update, {"id": member["id"]}, token=session))["__typename"] == "UpdateMemberPayload"
    await client.post("mutation { logout { __typename } }", token=session)
    assert (await client.field(RESET_PASSWORD, {"t": token, "p": "still-works"}))[
        "__typename"
    ] == "ResetPasswordPayload"
