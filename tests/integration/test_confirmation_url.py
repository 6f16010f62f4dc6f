"""createEmailConfirmationUrl (issue 12 §7, Backendless createEmailConfirmationURL): the
confirmation link handed to the caller instead of mailed, replacing older links; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from gql.db.models import OutboxMessage
from gql.domain.policy import CONFIRMATION_LINK_LIFETIME
from tests.conftest import GraphQLClient
from tests.integration.documents import (
    CREATE_CONFIRMATION_URL,
    ERROR_FIELDS,
    code,
    events_of,
    login,
    register,
    settings,
)
from tests.mailbox import Mailbox, link_in

CONFIRM = f"""mutation ($token: String!) {{ confirmEmail(token: $token) {{
  __typename ... on ConfirmEmailPayload {{ member {{ loginEmailVerified }} }} {ERROR_FIELDS} }} }}"""


async def create_url(gql: GraphQLClient, email: str) -> dict:
    body = await gql.backend(CREATE_CONFIRMATION_URL, {"email": email})
    assert "errors" not in body, body
    return body["data"]["createEmailConfirmationUrl"]


def token_of(url: str) -> str:
    return urlsplit(url).query.removeprefix("token=")


async def confirm(gql: GraphQLClient, token: str) -> dict:
    return (await gql.anonymous(CONFIRM, {"token": token}))["data"]["confirmEmail"]


async def test_the_link_confirms_and_replaces_older_ones(
    mail_gql: GraphQLClient, mail_app: Any, mailbox: Mailbox
) -> None:
    gql, services = mail_gql, mail_app.state.services
    await settings(gql, emailConfirmation=True)
    registered = await register(gql, "link@example.com")
    member_id = registered["member"]["id"]
    [mail] = await mailbox.wait_for("link@example.com")
    mailed = token_of(link_in(mail))  # the link the registration mailed

    before = datetime.now(timezone.utc)
    first = await create_url(gql, "LINK@example.com")
    assert first["__typename"] == "CreateEmailConfirmationUrlPayload"
    assert first["url"].startswith(f"{services.config.link_base}/confirm-email?token=JWS.")
    assert first["member"] == {"id": member_id, "loginEmailVerified": False}
    expires = datetime.fromisoformat(first["expiresDate"])
    assert before + CONFIRMATION_LINK_LIFETIME <= expires <= datetime.now(timezone.utc) + CONFIRMATION_LINK_LIFETIME
    second = await create_url(gql, "link@example.com")
    # Nothing is mailed: the caller hands the link over itself.
    assert await OutboxMessage.filter(kind="email").count() == 1
    assert len(mailbox.messages) == 1

    # Each new link replaces the older ones, the mailed one included.
    assert code(await confirm(gql, mailed)) == 3203
    assert code(await confirm(gql, token_of(first["url"]))) == 3203
    page = await gql.http.get(urlsplit(second["url"]).path + "?" + urlsplit(second["url"]).query)
    assert page.status_code == 200 and "Email confirmed" in page.text
    assert (await login(gql, "link@example.com"))["__typename"] == "LoginPayload"
    kinds = [(e["kind"], e["actor"]) for e in await events_of(gql, member_id)]
    assert kinds == [
        ("REGISTERED", "ANONYMOUS"),
        ("EMAIL_CONFIRMATION_URL_CREATED", "BACKEND"),
        ("EMAIL_CONFIRMATION_URL_CREATED", "BACKEND"),
        ("EMAIL_CONFIRMED", "ANONYMOUS"),
    ]
    # Confirmed now: no more links.
    done = await create_url(gql, "link@example.com")
    assert (done["__typename"], done["code"]) == ("EmailAlreadyConfirmedError", 3102)


async def test_refusals(gql: GraphQLClient) -> None:
    registered = await register(gql, "off@example.com")
    off = await create_url(gql, "off@example.com")
    assert (off["__typename"], off["code"]) == ("EmailConfirmationDisabledError", 3103)
    await settings(gql, emailConfirmation=True)
    nobody = await create_url(gql, "nobody@example.com")
    assert (nobody["__typename"], nobody["code"]) == ("NoAccountWithEmailError", 3104)
    for send in (gql.anonymous, lambda q, v: gql.member(registered["sessionToken"], q, v)):
        result = (await send(CREATE_CONFIRMATION_URL, {"email": "off@example.com"}))["data"][
            "createEmailConfirmationUrl"
        ]
        assert (result["__typename"], result["code"]) == ("NotAllowedError", 3029), result
    assert [e["kind"] for e in await events_of(gql, registered["member"]["id"])] == ["REGISTERED"]
