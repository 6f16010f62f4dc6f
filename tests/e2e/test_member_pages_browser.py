"""The member pages in a real browser (issue 16 §3): Debian's headless chromium on a phone-sized
viewport (360 × 740, mobile: the page's viewport meta is obeyed) against a real server process,
every request to a host other than 127.0.0.1 aborted (tests/e2e/test_browser.py's harness).

- A reset link opened on the phone: no horizontal overflow, the label names the input, the
  button's text is readable on the site's accent, the page obeys its CSP; the password is saved
  and logging in with it works.
- With ``MEMBERS_LANGUAGE=fr`` the confirmation mail and its page are French.

Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from gql.branding import MIN_CONTRAST, contrast
from tests.e2e.conftest import StartServer, unique_email
from tests.e2e.test_browser import browser, local_tab, screenshot  # noqa: F401  (browser: a fixture)
from tests.mailbox import Mailbox, link_in
from tests.waiting import eventually

PHONE = {"width": 360, "height": 740}
LOGIN = """mutation ($identity: String!, $password: String!) {
  login(identity: $identity, password: $password) { __typename ... on Error { code } } }"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811  (the fixture imported above)
    """A phone-sized page that may reach 127.0.0.1 only; what it logged is kept for the test."""
    with local_tab(browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2) as tab:
        yield tab


def wait_for_mail(mailbox: Mailbox, to: str) -> EmailMessage:
    # Polled, not awaited: Playwright's sync API runs an event loop in this thread already.
    mine = eventually(lambda: [m for m in mailbox.messages if m["To"] == to], f"a mail to {to}", timeout=20)
    return mine[-1]


def overflow(tab: Any) -> int:
    """How far the page is wider than the screen, in CSS pixels (0: it fits)."""
    width = tab.evaluate("() => document.documentElement.scrollWidth")
    return max(0, width - PHONE["width"])


def rgb(css: str) -> str:
    """``rgb(255, 204, 0)`` → ``#ffcc00``."""
    red, green, blue = (int(n) for n in re.findall(r"\d+", css)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def no_csp_violation(tab: Any) -> None:
    assert not [line for line in tab.console if "Content Security Policy" in line], tab.console
    assert tab.blocked == [], f"the page tried to reach other hosts: {tab.blocked}"


def test_a_reset_link_on_a_phone_fits_the_screen_and_saves_a_password(
    start_server: StartServer, mailbox: Mailbox, phone: Any
) -> None:
    server = start_server(
        MEMBERS_SMTP_URL=mailbox.url,
        MEMBERS_SITE_NAME="The Extraordinarily Long-Named Riverside Rowing and Sculling Association",
        MEMBERS_SITE_URL="http://127.0.0.1:9/home",  # only a link back: never fetched
        MEMBERS_ACCENT_COLOR="#ffcc00",  # a pale accent: the button's text must turn black
    )
    email = unique_email("phone")
    server.graphql(
        'mutation ($e: String!) { register(email: $e, password: "old-secret") { __typename } }', {"e": email}
    )
    server.graphql("mutation ($e: String!) { requestPasswordReset(email: $e) { __typename } }", {"e": email})
    link = link_in(wait_for_mail(mailbox, email))

    phone.goto(link)
    assert phone.locator("h1").inner_text() == "Choose a new password"
    assert phone.evaluate("() => window.innerWidth") == PHONE["width"]
    assert overflow(phone) == 0, "the reset page is wider than a 360 px screen"
    assert phone.locator("html").get_attribute("lang") == "en"
    screenshot(phone, "reset-password-360px-form")

    button = phone.get_by_role("button", name="Save password")
    colours = button.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
    assert rgb(colours[1]) == "#ffcc00" and contrast(rgb(colours[0]), rgb(colours[1])) >= MIN_CONTRAST, colours
    field = phone.get_by_label("New password")  # the label is tied to the input
    field.focus()
    assert field.evaluate("e => getComputedStyle(e).outlineStyle") != "none", "no visible focus"
    field.fill("a brand new secret")
    button.click()
    phone.wait_for_load_state()
    assert phone.locator("h1").inner_text() == "Password saved"
    assert overflow(phone) == 0
    screenshot(phone, "reset-password-360px-saved")
    no_csp_violation(phone)

    def login(password: str) -> dict[str, Any]:
        return server.graphql(LOGIN, {"identity": email, "password": password})["data"]["login"]

    assert login("a brand new secret")["__typename"] == "LoginPayload"
    assert login("old-secret")["code"] == 3003
    # The same link again: said at once, without a form.
    phone.goto(link)
    assert phone.locator("h1").inner_text() == "Link already used" and phone.locator("form").count() == 0
    assert overflow(phone) == 0


def test_a_page_in_the_second_language_renders_translated(
    start_server: StartServer, mailbox: Mailbox, phone: Any
) -> None:
    server = start_server(
        MEMBERS_SMTP_URL=mailbox.url, MEMBERS_LANGUAGE="fr", MEMBERS_EMAIL_CONFIRMATION="true", MEMBERS_SITE_NAME="Club"
    )
    email = unique_email("fr")
    server.graphql(
        'mutation ($e: String!) { register(email: $e, password: "wonderland") { __typename } }', {"e": email}
    )
    mail = wait_for_mail(mailbox, email)
    assert mail["Subject"] == "Confirmez votre adresse e-mail pour Club"

    phone.goto(link_in(mail))
    assert phone.locator("html").get_attribute("lang") == "fr"
    assert phone.locator("h1").inner_text() == "Adresse e-mail confirmée"
    assert "Vous pouvez maintenant vous connecter" in phone.locator("main").inner_text()
    assert overflow(phone) == 0
    screenshot(phone, "confirm-email-fr")
    phone.goto(link_in(mail))  # a second click
    assert phone.locator("h1").inner_text() == "Adresse e-mail déjà confirmée"
    phone.goto(f"{server.base_url}/reset-password?token=JWS.a.b.c")
    assert phone.locator("h1").inner_text() == "Lien non valide" and phone.locator("form").count() == 0
    screenshot(phone, "reset-password-fr-invalid")
    no_csp_violation(phone)
