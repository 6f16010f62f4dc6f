"""Passkeys in a real browser (issue 15 §3): headless Chromium with a CDP virtual authenticator
(ctap2, internal, resident keys, user verification) registers a passkey and signs in with it through
the development/test page (gql/passkey_page.py) of a real server process.

Needs Chromium (the Debian package, /usr/bin/chromium) and Playwright for Python; skipped without
them locally, but under CI (``CI`` set) a missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from tests.e2e.conftest import StartServer, unique_email

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REGISTER = """mutation ($email: String!) { register(email: $email, password: "wonderland") {
  ... on RegisterPayload { sessionToken } } }"""


def _require_browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if CHROMIUM is None or sync_playwright is None:
        message = "passkey browser test needs chromium (apt-get install -y chromium) and playwright (pip)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


def test_a_browser_registers_a_passkey_and_signs_in_with_it(start_server: StartServer) -> None:
    sync_playwright = _require_browser()
    server = start_server(MEMBERS_ENV="test")
    email = unique_email("passkey")
    token = server.graphql(REGISTER, {"email": email})["data"]["register"]["sessionToken"]
    # localhost, the relying-party id the server defaults to, is a secure context over plain HTTP.
    page_url = f"http://localhost:{server.port}/passkey-test"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            authenticator = cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                    }
                },
            )
            page.goto(page_url)
            registered = page.evaluate("([token, name]) => registerPasskey(token, name)", [token, "Chromium"])
            assert registered["__typename"] == "FinishPasskeyRegistrationPayload", registered
            assert registered["passkey"]["name"] == "Chromium"
            [held] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator["authenticatorId"]})[
                "credentials"
            ]
            assert held["isResidentCredential"] is True
            for named in (email, None):  # with the email, and discoverable
                signed = page.evaluate("(email) => signInWithPasskey(email)", named)
                assert signed["__typename"] == "FinishPasskeyLoginPayload", signed
                assert signed["session"] == {"method": "PASSKEY", "secondFactor": "PASSKEY"}
                assert signed["member"]["loginEmail"] == email
        finally:
            browser.close()
    # Outside development and test the page does not exist.
    production = start_server(MEMBERS_ENV="production", MEMBERS_ADMIN_API_KEY="production-admin-key-0123456789abcdef")
    assert production.http is not None and production.http.get("/passkey-test").status_code == 404
