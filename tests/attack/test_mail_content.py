"""No text a registrant chooses is mailed to an address nobody has confirmed.

Issue 9, item 12: mails greeted the member by its nickname, made of the first and last
name the registrant typed. Anyone could register a stranger's address with a name such as
"URGENT: verify now at https://evil.example" and have the site send that text, from the
site's own address, to the stranger. Now a mail names the member only once its address is
proved (a confirmation or password link followed): then the name is the owner's own.

Every request goes over HTTP to a real server process; mail goes to a real SMTP server.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx

from tests.attack.conftest import (
    ADMIN_KEY,
    REGISTER,
    Client,
    StartServer,
    unique_email,
    update_settings,
)
from tests.mailbox import Mailbox, link_in, text_of

FIRST_NAME = "URGENT: verify now at https://evil.example"
LAST_NAME = "Click here"
INJECTED = ("evil.example", "URGENT", "Click here", "verify now")
REQUEST_RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }"
RESET_PASSWORD = """mutation ($t: String!, $p: String!) {
  resetPassword(token: $t, newPassword: $p) { __typename ... on Error { code message } } }"""


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None, message
    return body.get_content()


def every_part(message: EmailMessage) -> dict[str, str]:
    return {"Subject": str(message["Subject"]), "text": text_of(message), "html": html_of(message)}


async def register_named(client: Client, email: str, first: str, last: str) -> dict:
    contact = {"firstName": first, "lastName": last}
    return await client.field(
        REGISTER, {"email": email, "password": "correct horse", "options": {"contactInfo": contact}}
    )


async def test_a_confirmation_mail_carries_no_text_the_registrant_chose(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    client = Client(http, server.graphql_url)
    await update_settings(client, emailConfirmation=True)
    victim = unique_email("victim")
    registered = await register_named(client, victim, FIRST_NAME, LAST_NAME)
    assert registered["__typename"] == "RegisterPayload", registered

    (mail,) = await mailbox.wait_for(victim)
    for part, content in every_part(mail).items():
        for injected in INJECTED:
            assert injected not in content, f"{injected!r} is in the mail's {part}: {content}"
    # The only links in it are the site's own.
    text_links = re.findall(r"https?://\S+", text_of(mail))
    assert text_links and all(link.startswith(server.url + "/confirm-email?token=") for link in text_links), text_links
    html_links = re.findall(r"https?://[^\s\"'<>]+", html_of(mail))
    assert html_links and all(link.startswith(server.url + "/") for link in html_links), html_links
    assert text_of(mail).startswith("Hello,")


async def test_mail_greets_by_name_only_once_the_address_is_proved(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)  # email confirmation off: nobody proved anything
    client = Client(http, server.graphql_url)
    email = unique_email("dora")
    registered = await register_named(client, email, "Dora", "Explorer")
    assert registered["__typename"] == "RegisterPayload", registered
    nickname = "Dora Explorer"  # what the server makes of first and last name

    # The address was never confirmed: the reset mail names no one.
    assert (await client.field(REQUEST_RESET, {"e": email}))["__typename"] == "RequestPasswordResetPayload"
    (first,) = await mailbox.wait_for(email)
    for part, content in every_part(first).items():
        assert "Dora" not in content and "Explorer" not in content, f"the name is in the {part}: {content}"
    assert text_of(first).startswith("Hello,")

    # Following the mailed link proves the address (and sets a new password).
    reset = await client.field(RESET_PASSWORD, {"t": link_in(first).split("token=", 1)[1], "p": "a new passphrase"})
    assert reset["__typename"] == "ResetPasswordPayload", reset
    # Now the address is the member's own: a later mail may greet it by its own name.
    assert (await client.field(REQUEST_RESET, {"e": email}))["__typename"] == "RequestPasswordResetPayload"
    second = (await mailbox.wait_for(email, count=2))[-1]
    assert text_of(second).startswith(f"Hello {nickname},"), text_of(second)
    assert f"Hello {nickname}," in html_of(second)


async def test_an_injected_name_is_not_mailed_to_an_unconfirmed_address_by_any_template(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """Confirmation off: the reset mail anyone may ask for, and the set-password mail the backend sends."""
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    client = Client(http, server.graphql_url)
    victim = unique_email("victim")
    registered = await register_named(client, victim, FIRST_NAME, LAST_NAME)
    assert registered["__typename"] == "RegisterPayload", registered
    assert (await client.field(REQUEST_RESET, {"e": victim}))["__typename"] == "RequestPasswordResetPayload"
    await mailbox.wait_for(victim, count=1)
    sent = await client.field(
        "mutation ($e: String!) { sendSetPasswordEmail(email: $e) { __typename } }", {"e": victim}, api_key=ADMIN_KEY
    )
    assert sent["__typename"] == "SendSetPasswordEmailPayload", sent
    mails = await mailbox.wait_for(victim, count=2)
    assert sorted(m["Subject"] for m in mails) == ["Reset your Members password", "Set your password for Members"]
    for mail in mails:
        for part, content in every_part(mail).items():
            for injected in INJECTED:
                assert injected not in content, f"{injected!r} is in the {part} of {mail['Subject']!r}: {content}"
