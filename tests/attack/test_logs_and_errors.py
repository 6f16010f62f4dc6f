"""Unexpected errors are masked (with a request id) and secrets never reach the logs."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from gql.domain import members
from gql.domain.services import Services
from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_TOKEN,
    CURRENT_MEMBER,
    LOGOUT,
    Client,
    StartServer,
    login,
    manual_approval,
    query_database,
    register,
    unique_email,
)
from tests.conftest import GraphQLClient
from tests.logs import capturing
from tests.mailbox import Mailbox, text_of
from tests.waiting import until

PASSWORD = "Sup3r-Secret-Pa55word"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        """What the server logged; the test's own HTTP client (httpx, httpcore) is not the server."""
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        own = ("httpx", "httpcore")
        return "\n".join(formatter.format(r) for r in self.records if not r.name.startswith(own))


@pytest.fixture
def all_logs() -> Iterator[Capture]:
    """Every logger at DEBUG, everything captured (with tracebacks)."""
    with capturing(Capture()) as capture:
        yield capture


async def test_unexpected_exceptions_are_masked_with_a_request_id(
    gql: GraphQLClient, all_logs: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"internal detail: password={PASSWORD}")

    monkeypatch.setattr(members, "current_member", broken)
    body = await gql.post(CURRENT_MEMBER, **{"Authorization": "Bearer whatever"})
    (error,) = body["errors"]
    assert error["message"] == "Unexpected error."
    request_id = error["extensions"]["requestId"]
    assert re.fullmatch(r"[0-9a-f]{12}", request_id)
    assert "internal detail" not in str(body) and "Traceback" not in str(body)
    # The trace is in the log, under the same request id, for the operator.
    logged = [r for r in all_logs.records if r.name == "gql.errors" and request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None


async def test_a_whole_flow_logs_no_password_hash_or_token_in_process(
    gql: GraphQLClient, services: Services, all_logs: Capture
) -> None:
    await gql.backend("mutation { updateRegistrationSettings(input: {approval: MANUAL}) { __typename } }")
    registered = await gql.backend(
        'mutation ($p: String!) { register(email: "flow@example.com", password: $p) { ... on RegisterPayload { approvalToken } } }',
        {"p": PASSWORD},
    )
    approval_token = registered["data"]["register"]["approvalToken"]
    approved = await gql.anonymous(APPROVE_BY_TOKEN, {"token": approval_token})
    session = approved["data"]["approveByToken"]["sessionToken"]
    await gql.anonymous(
        'mutation ($p: String!) { login(identity: "flow@example.com", password: $p) { __typename } }',
        {"p": PASSWORD + "x"},
    )
    logged_in = await gql.anonymous(
        'mutation ($p: String!) { login(identity: "flow@example.com", password: $p) { ... on SessionPayload { sessionToken } } }',
        {"p": PASSWORD},
    )
    second_session = logged_in["data"]["login"]["sessionToken"]
    await gql.member(session, CURRENT_MEMBER)
    await gql.member(second_session, LOGOUT)
    await gql.anonymous('mutation { requestPasswordReset(email: "flow@example.com") { __typename } }')
    await gql.http.get(
        "/graphql",
        params={"query": 'mutation { login(identity: "flow@example.com", password: "%s") { __typename } }' % PASSWORD},
    )
    # Errors quote the document around them: a password literal next to a mistake.
    await gql.anonymous('mutation { login(identity: "flow@example.com", password: "%s") { nope } }' % PASSWORD)
    await gql.anonymous(
        'mutation { login(identity: "flow@example.com", password: "%s", extra: 1) { __typename } }' % PASSWORD
    )

    from gql.db.models import Member

    password_hash = (await Member.get(email_key="flow@example.com")).password_hash
    assert password_hash
    secrets = {
        "password": PASSWORD,
        "bcrypt hash": password_hash,
        "bcrypt salt": password_hash[7:29],
        "approval token": approval_token.removeprefix("JWS."),
        "session token": session,
        "second session token": second_session,
        "admin key": ADMIN_KEY,
    }
    text = all_logs.text()
    assert "SELECT" in text or "INSERT" in text  # the SQL log was captured (without its values)
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} is in the logs"


async def test_a_whole_flow_logs_no_password_hash_or_token_from_the_server(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    mailbox = Mailbox()
    mailbox.start()
    server = start_server(MEMBERS_ENV="production", MEMBERS_SMTP_URL=mailbox.url)
    client = Client(http, server.graphql_url)
    await manual_approval(client)
    email = unique_email("flow")
    registered = await register(client, email, PASSWORD, api_key=ADMIN_KEY)
    approval_token = registered["approvalToken"]
    session = (await client.field(APPROVE_BY_TOKEN, {"token": approval_token}))["sessionToken"]
    await login(client, email, PASSWORD + "x")
    second = (await login(client, email, PASSWORD))["sessionToken"]
    await client.post(CURRENT_MEMBER, token=session)
    await client.post(LOGOUT, token=second)
    await client.post("mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }", {"e": email})
    # A careless client puts the password in a GET URL: the access log must not keep it.
    await http.get(
        server.graphql_url,
        params={"query": f'mutation {{ login(identity: "{email}", password: "{PASSWORD}") {{ __typename }} }}'},
    )
    await http.get(
        server.graphql_url, params={"query": "{ currentMember { id } }", "variables": f'{{"password": "{PASSWORD}"}}'}
    )
    await client.post(f'mutation {{ login(identity: "{email}", password: "{PASSWORD}") {{ nope }} }}')
    await client.post(f'mutation {{ login(identity: "{email}", password: "{PASSWORD}", extra: 1) {{ __typename }} }}')

    (row,) = query_database(attack_database, f"SELECT password_hash FROM member WHERE email_key = '{email}'")
    # The reset link's token, from the mail the SMTP server received.
    try:
        mails = await mailbox.wait_for(email, count=2)  # "approved", then the reset link
    finally:
        mailbox.stop()
    links = [token for m in mails for token in re.findall(r"token=([A-Za-z0-9._~%-]{20,})", text_of(m))]
    assert links, mails
    output = server.stop()
    assert "POST /graphql" in output  # the access log was on
    for name, secret in {
        "password": PASSWORD,
        "bcrypt hash": row["password_hash"],
        "approval token": approval_token.removeprefix("JWS."),
        "session token": session,
        "second session token": second,
        "admin key": ADMIN_KEY,
        **{f"emailed token {i}": token for i, token in enumerate(links)},
    }.items():
        assert secret not in output, f"the {name} is in the server's output"


async def test_unsendable_mail_is_logged_without_its_body_outside_development(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server(MEMBERS_ENV="production")  # no MEMBERS_SMTP_URL: mail goes to the log
    client = Client(http, server.graphql_url)
    email = unique_email("logged")
    await register(client, email, PASSWORD)
    await client.post("mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }", {"e": email})
    logged = "body not logged outside development"
    await until(lambda: logged in server.output(), lambda: f"{logged!r} in:\n{server.output()}", timeout=15)
    output = server.stop()
    assert "token=" not in output and "/reset-password" not in output
