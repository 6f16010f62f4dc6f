"""The lifecycle end to end: the real server delivers real mail to an SMTP server run by
the test (aiosmtpd); the test reads the message, follows its link over HTTP, logs in."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

import httpx

from tests.documents import LOGIN
from tests.e2e.conftest import Server, StartServer, unique_email
from tests.mailbox import Mailbox, link_in
from tests.passwordless import from_mail
from tests.waiting import eventually


def wait_for_mail(mailbox: Mailbox, to: str, count: int = 1) -> EmailMessage:
    return asyncio.run(mailbox.wait_for(to, count=count, timeout=20))[-1]


def wait_for_output(server: Server, text: str, timeout: float = 20) -> None:
    """Wait until the server has printed ``text``; fail after ``timeout`` seconds."""
    eventually(lambda: text in server.output(), lambda: f"the server to print {text!r}:\n{server.output()}", timeout)


def test_confirm_email_by_link_then_log_in(start_server: StartServer, mailbox: Mailbox) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url, MEMBERS_EMAIL_CONFIRMATION="true", MEMBERS_SITE_NAME="Club")
    email = unique_email("confirm")
    registered = server.graphql(
        'mutation ($e: String!) { register(email: $e, password: "wonderland") { __typename '
        "... on RegisterPayload { status sessionToken } } }",
        {"e": email},
    )
    # Approved, but no session until the address is confirmed.
    assert registered["data"]["register"] == {
        "__typename": "RegisterPayload",
        "status": "EMAIL_CONFIRMATION_PENDING",
        "sessionToken": None,
    }
    assert server.graphql(LOGIN, {"identity": email, "password": "wonderland"})["data"]["login"]["code"] == 3087
    mail = wait_for_mail(mailbox, email)
    assert mail["Subject"] == "Confirm your email for Club"
    link = link_in(mail)
    assert link.startswith(server.base_url + "/confirm-email?token=")
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200 and "Email confirmed" in page.text
    assert (
        server.graphql(LOGIN, {"identity": email, "password": "wonderland"})["data"]["login"]["__typename"]
        == "LoginPayload"
    )
    output = server.stop()
    token = link.split("token=", 1)[1]
    assert token not in output and "wonderland" not in output


def test_reset_password_by_link_then_log_in(start_server: StartServer, mailbox: Mailbox) -> None:
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    email = unique_email("reset")
    server.graphql(
        'mutation ($e: String!) { register(email: $e, password: "old-secret") { __typename } }', {"e": email}
    )
    asked = server.graphql("mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }", {"e": email})
    assert asked["data"]["requestPasswordReset"]["__typename"] == "RequestPasswordResetPayload"
    link = link_in(wait_for_mail(mailbox, email))
    form = httpx.get(link, timeout=10)
    assert form.status_code == 200 and "<form" in form.text
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    saved = httpx.post(f"{server.base_url}/reset-password", data={"token": token, "password": "new-secret"}, timeout=10)
    assert saved.status_code == 200 and "Password saved" in saved.text
    assert server.graphql(LOGIN, {"identity": email, "password": "old-secret"})["data"]["login"]["code"] == 3003
    assert (
        server.graphql(LOGIN, {"identity": email, "password": "new-secret"})["data"]["login"]["__typename"]
        == "LoginPayload"
    )


def test_mail_queued_while_smtp_is_down_is_delivered_later(start_server: StartServer) -> None:
    mailbox = Mailbox()  # not started: the SMTP server is away when the member is invited
    server = start_server(MEMBERS_SMTP_URL=mailbox.url)
    email = unique_email("later")
    created = server.backend("mutation ($e: String!) { createMember(input: {email: $e}) { __typename } }", {"e": email})
    assert created["data"]["createMember"]["__typename"] == "CreateMemberPayload"
    # The worker tries, fails, and backs off: wait for the failed attempt in its log.
    wait_for_output(server, "attempt 1 failed")
    mailbox.start()
    try:
        mail = wait_for_mail(mailbox, email)  # the retry is due 5 s after the failure
    finally:
        mailbox.stop()
    assert mail["Subject"].startswith("Set your password")
    # Delivered by the second attempt: one failure, then the retry (and the mail only once).
    output = server.output()
    assert output.count("attempt 1 failed") == 1 and "attempt 2 failed" not in output, output
    assert [m["To"] for m in mailbox.messages] == [email]


def test_two_server_processes_deliver_each_mail_once(tmp_path, mailbox: Mailbox) -> None:
    from tests.e2e.conftest import Databases

    databases = Databases()
    url = databases.new(tmp_path)
    servers = []
    try:
        for n in range(2):
            workdir = tmp_path / f"s{n}"
            workdir.mkdir()
            servers.append(Server(workdir, url, MEMBERS_SMTP_URL=mailbox.url).start())
        emails = [unique_email(f"twice{i}") for i in range(20)]
        for i, email in enumerate(emails):  # both processes write, both workers deliver
            created = servers[i % 2].backend(
                "mutation ($e: String!) { createMember(input: {email: $e}) { __typename } }", {"e": email}
            )
            assert created["data"]["createMember"]["__typename"] == "CreateMemberPayload"
        for email in emails:
            wait_for_mail(mailbox, email)
        # A stopped server has finished (or abandoned) every send it began: once both have
        # stopped, no duplicate can still be on its way.
        for server in servers:
            server.stop()
        received = [m["To"] for m in mailbox.messages]
        assert sorted(received) == sorted(emails), received
        assert len({m["Message-ID"] for m in mailbox.messages}) == 20
    finally:
        for server in servers:
            server.stop()
        databases.drop()


REQUEST_CODE = "mutation ($e: String!) { requestLoginCode(email: $e) { __typename } }"
SIGNED_IN = "... on LoginPayload { sessionToken member { loginEmail loginEmailVerified status } session { method } }"
WITH_CODE = f"""mutation ($e: String!, $c: String!) {{ loginWithCode(email: $e, code: $c) {{
  __typename {SIGNED_IN} ... on Error {{ code }} }} }}"""
WITH_LINK = f"""mutation ($t: String!) {{ loginWithLinkToken(token: $t) {{
  __typename {SIGNED_IN} ... on Error {{ code }} }} }}"""


def test_sign_in_with_the_mailed_code(start_server: StartServer, mailbox: Mailbox) -> None:
    """Issue 14 §4: the code read from the delivered mail signs the member in, once."""
    server = start_server(MEMBERS_SMTP_URL=mailbox.url, MEMBERS_PASSWORDLESS_LOGIN="true", MEMBERS_SITE_NAME="Club")
    email = unique_email("code")
    server.graphql(
        'mutation ($e: String!) { register(email: $e, password: "wonderland") { __typename } }', {"e": email}
    )
    asked = server.graphql(REQUEST_CODE, {"e": email})
    assert asked["data"]["requestLoginCode"]["__typename"] == "RequestLoginCodePayload"
    mail = wait_for_mail(mailbox, email)
    assert mail["Subject"] == "Your Club sign-in code"
    code, token = from_mail(mail)
    assert link_in(mail) == f"{server.base_url}/login-with-link?token={token}"
    signed_in = server.graphql(WITH_CODE, {"e": email, "c": code})["data"]["loginWithCode"]
    assert signed_in["__typename"] == "LoginPayload", signed_in
    assert signed_in["session"]["method"] == "CODE" and signed_in["member"]["loginEmailVerified"] is True
    me = server.graphql("{ currentMember { loginEmail } }", token=signed_in["sessionToken"])
    assert me["data"]["currentMember"]["loginEmail"] == email
    assert server.graphql(WITH_CODE, {"e": email, "c": code})["data"]["loginWithCode"]["code"] == 3230
    assert server.graphql(WITH_LINK, {"t": token})["data"]["loginWithLinkToken"]["code"] == 3230
    output = server.stop()
    assert code not in output and token not in output


def test_sign_up_with_the_mailed_link(start_server: StartServer, mailbox: Mailbox) -> None:
    """With passwordless sign-up, the link in the mail to an unknown address creates the member."""
    server = start_server(
        MEMBERS_SMTP_URL=mailbox.url, MEMBERS_PASSWORDLESS_LOGIN="true", MEMBERS_PASSWORDLESS_SIGNUP="true"
    )
    email = unique_email("signup")
    assert server.graphql(REQUEST_CODE, {"e": email})["data"]["requestLoginCode"]["__typename"] == (
        "RequestLoginCodePayload"
    )
    _, token = from_mail(wait_for_mail(mailbox, email))
    signed_in = server.graphql(WITH_LINK, {"t": token})["data"]["loginWithLinkToken"]
    assert signed_in["__typename"] == "LoginPayload", signed_in
    assert signed_in["member"] == {"loginEmail": email, "loginEmailVerified": True, "status": "APPROVED"}
