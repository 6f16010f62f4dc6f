"""The admin console in a real browser (headless chromium, outside hosts blocked; see test_browser.py):
a visitor registers under manual approval, the owner signs in with the backend key, sees the count,
approves from the queue, finds the member and ends its session; an admin member signs in with its
password; the pages render without script and fit a 390 px screen. Screenshots: test-artifacts/browser/."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import ADMIN_KEY, StartServer
from tests.e2e.test_browser import browser, page, screenshot  # noqa: F401  (fixtures)
from tests.waiting import eventually

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
    # The owner is told by mail (here the development mailbox), pointing to the console's queue.
    page.goto(f"{server.base_url}/dev/mailbox")

    def notified() -> bool:
        page.reload()
        return page.get_by_text("Someone waits for approval").count() > 0

    eventually(notified, "the approval notice in the mailbox", timeout=20, every=0.25)
    notice = page.locator("article", has_text="owner@example.com").first
    assert "visitor@example.com" not in notice.inner_text()
    assert notice.locator(f"a[href='{server.base_url}/console/pending']").count() >= 1
    page.goto(f"{server.base_url}/console")
    assert page.url.endswith("/console/login")
    sign_in_with_key(page, server.base_url)
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


BADGE = """mutation { createBadge(input: { title: "Early bird" }) { __typename ... on CreateBadgePayload { badge { id } } } }"""
ROLE = """mutation { createRole(input: { name: "editor", title: "Editor", permissions: [MEMBERS_READ] }) {
  __typename ... on CreateRolePayload { role { id } } } }"""
KEY_ME = "{ apiKeys { id } }"


def sign_in_with_key(tab: Any, base_url: str) -> None:
    tab.goto(f"{base_url}/console/login")
    tab.get_by_text("Sign in with an API key").click()
    tab.get_by_label("API key").fill(ADMIN_KEY)
    tab.get_by_role("button", name="Sign in with the key").click()
    tab.wait_for_url(f"{base_url}/console")


def test_the_owner_manages_members_settings_and_keys(start_server: StartServer, page: Any) -> None:  # noqa: F811
    server = start_server(MEMBERS_APPROVAL="MANUAL", MEMBERS_CONSOLE_IDLE_SECONDS="2")
    ids = [
        server.graphql(REGISTER, {"email": f"bulk{n}@example.com"})["data"]["register"]["member"]["id"]
        for n in range(4)
    ]
    sign_in_with_key(page, server.base_url)

    # Bulk approval of three.
    page.goto(f"{server.base_url}/console/pending")
    for member_id in ids[:3]:
        page.locator(f"#pick-{member_id}").check()
    page.get_by_role("button", name="Approve selected").click()
    page.wait_for_selector("text=Approved 3 member(s).")
    assert page.get_by_text("bulk3@example.com").count() == 1 and page.get_by_text("bulk0@example.com").count() == 0

    # A role and a badge, then search by email prefix and by role.
    server.backend(BADGE)
    server.backend(ROLE)
    page.goto(f"{server.base_url}/console/members/{ids[0]}")
    page.get_by_label("Assign a role").select_option(label="Editor")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.wait_for_selector("text=Role assigned.")
    page.get_by_label("Award a badge").select_option(label="Early bird")
    page.get_by_role("button", name="Award").click()
    page.wait_for_selector("text=Badge awarded.")
    assert "editor" in page.locator("#roles").inner_text() and "Early bird" in page.locator("#badges").inner_text()
    page.goto(f"{server.base_url}/console/members")
    page.get_by_label("Email starts with").fill("bulk")
    page.get_by_label("Role").select_option(label="Editor")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("tr.member-row")
    assert rows.count() == 1 and "bulk0@example.com" in rows.inner_text()
    screenshot(page, "console-search-1280")

    # A registration setting toggled: the next registration follows it.
    page.goto(f"{server.base_url}/console/settings")
    page.get_by_label("Registration is open").uncheck()
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Registration settings saved.")
    refused = server.graphql(REGISTER.replace("status member { id }", "status"), {"email": "late@example.com"})
    assert refused["data"]["register"]["__typename"] == "RegistrationDisabledError"

    # An API key: shown once, then revoked.
    page.goto(f"{server.base_url}/console/keys")
    page.get_by_label("Name").fill("shop")
    page.get_by_label("MEMBERS_READ").check()
    page.get_by_role("button", name="Create the key").click()
    key = page.locator("#new-key").inner_text().strip()
    assert server.graphql(ME, api_key=key).get("errors") is None
    page.goto(f"{server.base_url}/console/keys")
    assert key not in page.content()
    page.locator("table#keys").get_by_role("button", name="Revoke").click()
    page.wait_for_selector("text=API key revoked.")
    assert server.graphql(ME, api_key=key)["errors"][0]["extensions"]["code"] == 2002

    # A POST without its CSRF token (the cookie alone) changes nothing.
    forged = page.request.post(
        f"{server.base_url}/console/pending", form={"id": ids[3], "action": "approve"}, max_redirects=0
    )
    assert forged.status == 403
    page.goto(f"{server.base_url}/console/pending")
    assert page.get_by_text("bulk3@example.com").count() == 1
    # The last one is blocked with its row's own button.
    page.locator("tr", has_text="bulk3@example.com").get_by_role("button", name="Block").click()
    page.wait_for_selector("text=Blocked 1 member(s).")
    blocked = server.backend("query ($id: ID!) { member(id: $id) { ... on Member { status } } }", {"id": ids[3]})
    assert blocked["data"]["member"]["status"] == "BLOCKED"

    # Two seconds without a request (MEMBERS_CONSOLE_IDLE_SECONDS=2): signed out.
    page.wait_for_timeout(2500)
    page.goto(f"{server.base_url}/console/pending")
    assert page.url.endswith("/console/login?notice=idle")
    assert page.get_by_text("Signed out after a while without activity.").count() == 1


def test_a_member_without_console_permissions_is_refused(start_server: StartServer, page: Any) -> None:  # noqa: F811
    server = start_server()
    server.graphql(REGISTER, {"email": "plain@example.com"})
    page.goto(f"{server.base_url}/console/login")
    page.get_by_label("Email").fill("plain@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_selector("text=This account may not use the console")
    page.goto(f"{server.base_url}/console")
    assert "/console/login" in page.url
