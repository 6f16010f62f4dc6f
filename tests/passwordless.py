"""Documents and helpers of the passwordless tests (integration, attack, e2e)."""

from __future__ import annotations

import os
import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gql.db.models import OutboxMessage
from gql.domain.identity import normalise
from gql.domain.passwordless import NONCE_BYTES, TEMPLATE, Recipe, secrets_of, store_code
from gql.domain.services import Services

ERROR = "... on Error { code reason message property } ... on RetryableError { retryAfter }"
REQUEST = f"""mutation ($email: String!) {{ requestLoginCode(email: $email) {{
  __typename ... on RequestLoginCodePayload {{ email }} {ERROR} }} }}"""
SIGNED_IN = "sessionToken member { id loginEmail loginEmailVerified status } session { id method }"
WITH_CODE = f"""mutation ($email: String!, $code: String!) {{ loginWithCode(email: $email, code: $code) {{
  __typename ... on LoginPayload {{ {SIGNED_IN} }} {ERROR} }} }}"""
WITH_LINK = f"""mutation ($token: String!) {{ loginWithLinkToken(token: $token) {{
  __typename ... on LoginPayload {{ {SIGNED_IN} }} {ERROR} }} }}"""
SETTINGS = """mutation ($input: RegistrationSettingsInput!) { updateRegistrationSettings(input: $input) {
  __typename } }"""


def answer(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value


async def queued_secrets(services: Services, email: str) -> tuple[str, str]:
    """The code and link token of the newest login-code mail queued for ``email``, as the outbox
    worker will write them into it."""
    message = await OutboxMessage.filter(template=TEMPLATE, recipient=email).order_by("-created_at").first()
    assert message is not None and Recipe.is_one(message.link), f"no login-code mail queued for {email}"
    return secrets_of(services, Recipe.from_json(message.link).nonce)  # type: ignore[arg-type]


def from_mail(message: EmailMessage) -> tuple[str, str]:
    """The code and the link's token, read from a delivered mail's text."""
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    code = re.search(r"Code: ([0-9]{6})", text)
    link = re.search(r"(https?://\S+/login-with-link\?token=\S+)", text)
    assert code and link, text
    return code.group(1), parse_qs(urlsplit(link.group(1)).query)["token"][0]


async def issued(services: Services, email: str) -> tuple[str, str]:
    """A code and link for ``email`` written as requestLoginCode writes them (replacing any
    older), for tests that must know them while the app's own worker may already have sent and
    blanked the queued mail."""
    return await store_code(services, None, normalise(email), email, os.urandom(NONCE_BYTES))
