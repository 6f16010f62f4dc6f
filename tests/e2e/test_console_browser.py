"""The admin console in a real browser (headless chromium, outside hosts blocked; see test_browser.py):
a visitor registers under manual approval, the owner signs in with the backend key, sees the count,
approves from the queue, finds the member and ends its session; an admin member signs in with its
password; the pages render without script and fit a 390 px screen. Screenshots: test-artifacts/browser/."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import ADMIN_KEY, StartServer
from tests.e2e.test_browser import browser, page, screenshot  # noqa: F401  (fixtures)

REGISTER = """mutation ($email: String!) { register(email: $email, password: "correct horse battery") {
  __typename ... on RegisterPayload { status member { id } } } }"""
LOGIN = """mutation ($email: String!) { login(identity: $email, password: "correct horse battery") {
  __typename ... on LoginPayload { sessionToken } } }"""
ADMIN_ROLE = "{ roles { id name } }"
ASSIGN = "mutation ($role: ID!, $member: ID!) { assignRole(roleId: $role, memberId: $member) { __typename } }"
ME = "{ currentMember { id } }"


def fits(tab: Any, width: int) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth") <= width


def test_the_owner_approves_from_the_console_and_ends_a_session(start_server: StartServer, page: Any) -> None:  # noqa: F811
    server = start_server(
        MEMBERS_APPROVAL="MANUAL",
        MEMBERS_ADMIN_NOTIFICATION_EMAILS="owner@example.com",
        MEMBERS_OUTBOX_POLL_SECONDS="0.1",
    )
    waiting = server.graphql(REGISTER, {"email": "visitor@example.com"})["data"]["register"]
    assert waiting["status"] == "PENDING"
    page.goto(f"{server.base_url}/console")
    assert page.url.endswith("/console/login")
    page.get_by_text("Sign in with an API key").click()
    page.get_by_label("API key").fill(ADMIN_KEY)
    page.get_by_role("button", name="Sign in with the key").click()
    page.wait_for_url(f"{server.base_url}/console")
    count = page.locator("#pending-count")
    assert count.inner_text() == "1 member(s) waiting for approval"
    assert page.locator("svg#activity").count() == 1
    screenshot(page, "console-overview-1280")
    count.click()
    page.wait_for_url("**/console/pending")
    assert page.get_by_text("visitor@example.com").count() == 1
    screenshot(page, "console-pending-1280")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_selector("text=Approved 1 member(s).")
    assert page.get_by_text("Nobody is waiting.").count() == 1

    # The member signs in; the owner finds it and ends that session.
    token = server.graphql(LOGIN, {"email": "visitor@example.com"})["data"]["login"]["sessionToken"]
    assert server.graphql(ME, token=token)["data"]["currentMember"]
    page.goto(f"{server.base_url}/console/members?email=visitor")
    page.get_by_role("link", name="visitor@example.com").click()
    page.wait_for_selector("table#sessions")
    screenshot(page, "console-member-1280")
    page.locator("table#sessions").get_by_role("button", name="End").click()
    page.wait_for_selector("text=The session ended.")
    assert server.graphql(ME, token=token)["data"]["currentMember"] is None

    # A phone-sized screen: every page fits without scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (
        "/console",
        "/console/pending",
        "/console/members",
        f"/console/members/{waiting['member']['id']}",
        "/console/settings",
        "/console/keys",
    ):
        page.goto(f"{server.base_url}{path}")
        assert fits(page, 390), path
    screenshot(page, "console-keys-390")
    page.goto(f"{server.base_url}/console")
    screenshot(page, "console-overview-390")
    assert not page.blocked and not [line for line in page.console if line.startswith(("error", "pageerror"))]


def test_an_admin_member_signs_in_with_its_password(start_server: StartServer, page: Any) -> None:  # noqa: F811
    server = start_server()
    member = server.graphql(REGISTER, {"email": "owner@example.com"})["data"]["register"]["member"]["id"]
    roles = server.backend(ADMIN_ROLE)["data"]["roles"]
    admin = next(role["id"] for role in roles if role["name"] == "admin")
    assert server.backend(ASSIGN, {"role": admin, "member": member})["data"]["assignRole"]["__typename"] == (
        "AssignRolePayload"
    )
    page.goto(f"{server.base_url}/console/login")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{server.base_url}/console")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/login?notice=signed-out")
    # Signed out: the console asks again.
    page.goto(f"{server.base_url}/console/members")
    assert "/console/login" in page.url
