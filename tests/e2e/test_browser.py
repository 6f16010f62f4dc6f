"""The first screens in a real browser: Debian's headless chromium driven by Playwright for
Python (no browser download: ``executable_path``), against a real server process, with every
request to a host other than 127.0.0.1 aborted, so nothing can come from a CDN.

- GraphiQL renders from the server's own assets and runs a ``register`` mutation with an
  ``X-Api-Key`` header typed into its Headers tab (the backend's registration answers the
  approval token, which an anonymous one does not).
- The development mailbox lists the confirmation mail; its link, clicked, confirms.

Screenshots go to ``test-artifacts/browser/`` (ignored by git). GraphiQL's packages are installed
by ``gql.playground.install`` (npm ci, once per lock file). Without chromium, Playwright or npm
these tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gql import playground
from tests.e2e.conftest import ADMIN_KEY, StartServer, unique_email
from tests.processes import REPO_ROOT
from tests.waiting import eventually

CHROMIUM = os.environ.get("MEMBERS_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
TIMEOUT_MS = 30_000


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: the browser tests must run; .ci/run installs chromium)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def playground_assets() -> None:
    """GraphiQL's pinned packages in gql/playground/node_modules (npm ci, once per lock file)."""
    try:
        playground.install()
    except playground.InstallError as exc:
        _unavailable(str(exc))
    assert playground.installed()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def local_tab(browser: Any, **context_options: Any) -> Iterator[Any]:
    """A fresh page that may reach 127.0.0.1 only (every other request is aborted and kept in
    ``tab.blocked``); what it logged, and its page errors, are kept in ``tab.console``."""
    context = browser.new_context(**context_options)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.blocked = []
    tab.console = []

    def only_local(route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")):
            route.continue_()
        else:
            tab.blocked.append(route.request.url)
            route.abort()

    tab.route("**/*", only_local)
    tab.on("console", lambda message: tab.console.append(f"{message.type}: {message.text}"))
    tab.on("pageerror", lambda error: tab.console.append(f"pageerror: {error}"))
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized local page (``local_tab``)."""
    with local_tab(browser, viewport={"width": 1280, "height": 800}) as tab:
        yield tab


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def replace_editor_text(page: Any, editor: Any, text: str) -> None:
    """Type into a CodeMirror editor as a user pasting would (no auto-closed brackets)."""
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


REGISTER = """mutation Register {
  register(email: "%s", password: "correct horse battery") {
    __typename
    ... on RegisterPayload { status approvalToken member { loginEmail } }
    ... on Error { code message }
  }
}"""


def test_graphiql_renders_from_this_server_and_runs_register_with_a_header(
    playground_assets: None, start_server: StartServer, page: Any
) -> None:
    server = start_server(MEMBERS_APPROVAL="MANUAL")
    page.goto(f"{server.base_url}/graphql")
    page.wait_for_selector(".graphiql-execute-button")
    # The default document and the headers hint are there; the Headers tab is open.
    query_editor = page.locator(".graphiql-query-editor .CodeMirror").first
    assert "Headers tab" in query_editor.inner_text()
    screenshot(page, "graphiql-default-document")

    email = unique_email("browser")
    replace_editor_text(page, query_editor, REGISTER % email)
    headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror").first
    replace_editor_text(page, headers_editor, json.dumps({"X-Api-Key": ADMIN_KEY}))
    # GraphiQL re-parses the document a moment after it changes: until then the default document's
    # several operations make the run button a menu to pick one from (Radix, aria-haspopup), and a
    # click opens that menu instead of running the one operation typed in.
    page.wait_for_selector(".graphiql-execute-button:not([aria-haspopup])")
    page.locator(".graphiql-execute-button").click()

    response = page.locator(".graphiql-response .CodeMirror")
    page.wait_for_function(
        "() => (document.querySelector('.graphiql-response .CodeMirror') || {}).innerText?.includes('RegisterPayload')"
    )
    text = response.inner_text()
    screenshot(page, "graphiql-register-with-api-key")
    assert "PENDING" in text and email in text, text
    assert '"approvalToken": null' not in text, "the X-Api-Key header did not reach the server:\n" + text
    # Without the header the same registration gets no approval token: the header made the difference.
    anonymous = server.graphql(REGISTER % unique_email("anonymous"))["data"]["register"]
    assert anonymous["status"] == "PENDING" and anonymous["approvalToken"] is None
    assert page.blocked == [], f"the page tried to reach other hosts: {page.blocked}"
    assert not [line for line in page.console if "Content Security Policy" in line or "pageerror" in line], page.console


def test_the_mailbox_lists_the_confirmation_mail_whose_link_confirms(start_server: StartServer, page: Any) -> None:
    server = start_server(MEMBERS_EMAIL_CONFIRMATION="true")
    email = unique_email("mailbox")
    registered = server.graphql(
        'mutation ($e: String!) { register(email: $e, password: "wonderland") { __typename '
        "... on RegisterPayload { status } } }",
        {"e": email},
    )
    assert registered["data"]["register"]["status"] == "EMAIL_CONFIRMATION_PENDING"

    page.goto(f"{server.base_url}/dev/mailbox")
    # The worker sends within a poll interval: reload until the mail is listed.

    def listed() -> bool:
        page.reload()
        return page.get_by_text(email).count() > 0

    eventually(listed, f"the mailbox to list the mail to {email}", timeout=20, every=0.25)
    article = page.locator("article", has_text=email).first
    assert "Confirm your email" in article.inner_text()
    screenshot(page, "mailbox-confirmation-mail")

    article.locator("a[href*='/confirm-email?token=']").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Email confirmed"
    screenshot(page, "mailbox-link-confirmed")
    login = server.graphql(
        'mutation ($e: String!) { login(identity: $e, password: "wonderland") { __typename } }', {"e": email}
    )
    assert login["data"]["login"]["__typename"] == "LoginPayload"
    assert page.blocked == []
