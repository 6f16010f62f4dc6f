"""One spelling per token: a token opens only as it was issued, character for character.

Issue 14: session tokens were decoded with Python's lenient base64 (characters outside the
alphabet skipped, padding and ``+/`` accepted, unused low bits ignored), and approval and
emailed tokens were handed to PyJWT after a ``strip()`` and an optional ``JWS.`` prefix, so
spaces around them, a missing prefix and ``=`` padding on the signature were accepted. One
token had many spellings that all worked: whatever recognises, counts or revokes tokens by
their text (a proxy, a log filter, a deny-list) could be walked around by writing the same
token differently. (The installed PyJWT refuses the other signature spellings below by
itself; the server no longer relies on that, so they stay here.)

Every variant below stands for the very bytes of a real token; each must be refused while
the exact token works. Every request goes over HTTP to a real server process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_TOKEN,
    CURRENT_MEMBER,
    Client,
    Server,
    SharedServers,
    login,
    manual_approval,
    register,
    unique_email,
)
from tests.mailbox import Mailbox, link_in

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
STANDARD = str.maketrans("-_", "+/")
ATTEMPTS = 30
REQUEST_RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }"
RESET_PASSWORD = """mutation ($t: String!, $p: String!) {
  resetPassword(token: $t, newPassword: $p) {
    __typename ... on SessionPayload { sessionToken } ... on Error { code message } } }"""
TOKEN_INVALID = 3201


def low_bit_set(text: str) -> str:
    """``text`` with its last character's first unused bit set: the same bytes, spelled differently.

    Valid only where the last character carries unused bits (a length of 2 or 3 mod 4), as for
    session tokens and HS256 signatures (32 bytes: 43 characters).
    """
    assert len(text) % 4 in (2, 3), len(text)
    index = ALPHABET.index(text[-1])
    assert index & 1 == 0, "the canonical spelling leaves the unused bits zero"
    return text[:-1] + ALPHABET[index | 1]


def has_url_safe_characters(text: str) -> bool:
    return "-" in text or "_" in text


async def until(make: Callable[[], Awaitable[str]], wanted: Callable[[str], bool]) -> str:
    """Make tokens until one is ``wanted`` (a bounded number of tries, each one a fresh token)."""
    for _ in range(ATTEMPTS):
        token = await make()
        if wanted(token):
            return token
    raise AssertionError(f"no wanted token in {ATTEMPTS} attempts")


# Each variant spells the very bytes of a real token differently (or wraps it), so that a lenient
# reader opens it. They are functions, so that every variant is tried on a fresh, live token.
SESSION_VARIANTS: dict[str, Callable[[str], str]] = {
    "padded with =": lambda t: t + "=",
    "padded with ==": lambda t: t + "==",
    "with !!!. inside": lambda t: t[:20] + "!!!." + t[20:],
    "with +/ for -_": lambda t: t.translate(STANDARD),
    "with an unused low bit set": low_bit_set,
    "with a space inside": lambda t: t[:20] + " " + t[20:],
    # Four characters keep the length a lenient decoder pads to: it then skips them all.
    "with four spaces inside": lambda t: t[:20] + "    " + t[20:],
}


def _signature_variant(change: Callable[[str], str]) -> Callable[[str], str]:
    def variant(token: str) -> str:
        signed, signature = token.rsplit(".", 1)
        return f"{signed}.{change(signature)}"

    return variant


# Spellings of ``JWS.<header>.<payload>.<signature>`` that a lenient reader would take: the
# signature is not part of what it signs, so only its spelling changes (or the prefix and spaces).
JWS_VARIANTS: dict[str, Callable[[str], str]] = {
    "signature padded with =": lambda t: t + "=",
    "signature padded with ==": lambda t: t + "==",
    "with !!! inside the signature": _signature_variant(lambda s: s[:20] + "!!!" + s[20:]),
    "signature with +/ for -_": _signature_variant(lambda s: s.translate(STANDARD)),
    "signature with an unused low bit set": _signature_variant(low_bit_set),
    "without the JWS. prefix": lambda t: t.removeprefix("JWS."),
    "with a space before it": lambda t: " " + t,
    "with a space after it": lambda t: t + " ",
}
NEEDS_URL_SAFE_CHARACTERS = ("with +/ for -_", "signature with +/ for -_")


def signature_of(token: str) -> str:
    assert token.startswith("JWS.") and token.count(".") == 3, token
    signature = token.rsplit(".", 1)[1]
    assert len(signature) == 43, signature
    return signature


def wanted_for(variant: str, part: Callable[[str], str] = lambda t: t) -> Callable[[str], bool]:
    """Any token serves, except that ``+/ for -_`` needs one that holds a ``-`` or ``_`` to change."""
    if variant in NEEDS_URL_SAFE_CHARACTERS:
        return lambda token: has_url_safe_characters(part(token))
    return lambda token: True


@pytest.fixture
def server(shared_servers: SharedServers, mailbox_for_module: Mailbox) -> Server:
    (started,) = shared_servers("spelling", MEMBERS_SMTP_URL=mailbox_for_module.url)
    return started


@pytest.fixture(scope="module")
def mailbox_for_module() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.mark.parametrize("variant", SESSION_VARIANTS)
async def test_a_session_token_opens_only_as_issued(server: Server, http: httpx.AsyncClient, variant: str) -> None:
    client = Client(http, server.graphql_url)
    email = unique_email("session")
    registered = await register(client, email)
    assert registered["__typename"] == "RegisterPayload", registered

    async def new_session() -> str:
        return (await login(client, email))["sessionToken"]

    token = await until(new_session, wanted_for(variant))
    assert len(token) == 43, token  # 256 random bits (issue 13: an opaque token, kept as its hash)
    spelled = SESSION_VARIANTS[variant](token)
    assert spelled != token
    me = {"id": registered["member"]["id"], "loginEmail": email, "status": "APPROVED"}
    assert await client.field(CURRENT_MEMBER, token=token) == me
    body = await client.post(CURRENT_MEMBER, token=spelled)
    assert body == {"data": {"currentMember": None}}, f"the token {variant} opened a session: {body}"
    assert await client.field(CURRENT_MEMBER, token=token) == me  # the exact token still works


@pytest.fixture
def manual_server(shared_servers: SharedServers) -> Server:
    (started,) = shared_servers("spelling-manual")
    return started


@pytest.mark.parametrize("variant", JWS_VARIANTS)
async def test_an_approval_token_is_accepted_only_as_issued(
    manual_server: Server, http: httpx.AsyncClient, variant: str
) -> None:
    client = Client(http, manual_server.graphql_url)
    await manual_approval(client)

    async def new_approval_token() -> str:
        registered = await register(client, unique_email("pending"), api_key=ADMIN_KEY)
        assert registered["status"] == "PENDING", registered
        return registered["approvalToken"]

    token = await until(new_approval_token, wanted_for(variant, signature_of))
    spelled = JWS_VARIANTS[variant](token)
    assert spelled != token
    answer = await client.field(APPROVE_BY_TOKEN, {"token": spelled})
    assert answer["__typename"] == "TokenInvalidError" and answer["code"] == TOKEN_INVALID, answer
    approved = await client.field(APPROVE_BY_TOKEN, {"token": token})  # the exact token still works
    assert approved["__typename"] == "ApproveByTokenPayload", approved


async def reset_token_for(client: Client, mailbox: Mailbox, variant: str) -> tuple[str, str]:
    """A member and a live reset token from its mail, fit for ``variant``."""
    email = unique_email("reset")
    assert (await register(client, email))["__typename"] == "RegisterPayload"
    mails = 0

    async def new_reset_token() -> str:
        nonlocal mails
        asked = await client.field(REQUEST_RESET, {"e": email})
        assert asked["__typename"] == "RequestPasswordResetPayload", asked
        mails += 1
        return link_in((await mailbox.wait_for(email, count=mails))[-1]).split("token=", 1)[1]

    return email, await until(new_reset_token, wanted_for(variant, signature_of))


@pytest.mark.parametrize("variant", JWS_VARIANTS)
async def test_an_emailed_reset_token_is_accepted_by_reset_password_only_as_issued(
    server: Server, http: httpx.AsyncClient, mailbox_for_module: Mailbox, variant: str
) -> None:
    client = Client(http, server.graphql_url)
    email, token = await reset_token_for(client, mailbox_for_module, variant)
    answer = await client.field(RESET_PASSWORD, {"t": JWS_VARIANTS[variant](token), "p": "a new passphrase"})
    assert answer["__typename"] == "TokenInvalidError" and answer["code"] == TOKEN_INVALID, answer
    assert (await login(client, email, "a new passphrase"))["__typename"] == "InvalidCredentialsError"
    reset = await client.field(RESET_PASSWORD, {"t": token, "p": "a new passphrase"})  # the exact token works
    assert reset["__typename"] == "ResetPasswordPayload", reset


@pytest.mark.parametrize("variant", JWS_VARIANTS)
async def test_an_emailed_reset_token_is_accepted_by_the_reset_page_only_as_issued(
    server: Server, http: httpx.AsyncClient, mailbox_for_module: Mailbox, variant: str
) -> None:
    client = Client(http, server.graphql_url)
    email, token = await reset_token_for(client, mailbox_for_module, variant)

    async def post_form(token_field: str) -> httpx.Response:
        return await http.post(
            f"{server.url}/reset-password",
            data={"token": token_field, "password": "a new passphrase"},
            headers={"X-Forwarded-For": client.address},
        )

    page = await post_form(JWS_VARIANTS[variant](token))
    assert page.status_code == 400 and "Link not valid" in page.text, (page.status_code, page.text)
    assert (await login(client, email, "a new passphrase"))["__typename"] == "InvalidCredentialsError"
    saved = await post_form(token)  # the exact token works
    assert saved.status_code == 200 and "Password saved" in saved.text, saved.text
    assert (await login(client, email, "a new passphrase"))["__typename"] == "LoginPayload"
