"""The admin console over HTTP (in-process, real database): signing in, the approval queue, members,
sessions, roles and badges, settings, API keys, CSRF and the idle timeout."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pyotp

from gql.db.models import ApiKey, Member, MemberEvent, OutboxMessage, Role
from gql.domain import dashboard
from gql.domain.caller import Caller, CallerKind
from gql.domain.events import EventKind
from gql.domain.statuses import MemberStatus
from tests.integration import documents
from tests.integration.console_harness import ConsoleBrowser, make_admin
from tests.integration.session_harness import Harness, Start
from tests.logs import counting_statements

ENROLL = "mutation { enrollTotp { __typename ... on EnrollTotpPayload { secret } } }"
CONFIRM = "mutation ($code: String!) { confirmTotp(code: $code) { __typename } }"
ALIVE = "{ currentMember { id } }"


async def browser(h: Harness) -> ConsoleBrowser:
    return ConsoleBrowser(h)


async def pending_member(h: Harness, email: str) -> str:
    result = await documents.register(h.client, email)
    assert result["__typename"] == "RegisterPayload" and result["status"] == "PENDING", result
    return result["member"]["id"]


async def status_of(member_id: str) -> MemberStatus:
    return MemberStatus((await Member.get(id=member_id)).status)


async def test_an_api_key_signs_in_and_the_front_page_counts_members(start: Start) -> None:
    h = await start()
    await h.register("a@example.com")
    console = await browser(h)
    page = await console.sign_in_with_key()
    assert page.status == 200 and page.url.endswith("/console"), page.url
    assert page.has('data-status="APPROVED">Approved<strong>1</strong>')
    assert page.has('<svg id="activity"') and page.has("1 registered")
    await console.close()


async def test_a_wrong_key_and_a_wrong_password_are_refused(start: Start) -> None:
    h = await start()
    await h.register("a@example.com")
    console = await browser(h)
    refused = await console.sign_in_with_key("not-the-key")
    assert refused.status == 400 and refused.url.endswith("/console/login")
    assert (await console.get("/console")).url.endswith("/console/login")
    wrong = await console.sign_in("a@example.com", "wrong-password")
    assert wrong.status == 400 and wrong.has('class="error"')
    await console.close()


async def test_wrong_keys_at_the_console_count_like_wrong_keys_at_the_api(start: Start) -> None:
    h = await start(rate_limit_scale=0.1)  # the address's wrong-key bucket: 1 per 5 minutes
    console = await browser(h)
    first = await console.sign_in_with_key("not-the-key")
    assert first.status == 400 and first.has("API key"), first.html[-600:]
    second = await console.sign_in_with_key("still-not-the-key")
    assert second.status == 400 and second.has("Too many"), second.html[-600:]
    # Now even the right key is not compared: the address waits, as at the API.
    right = await console.sign_in_with_key()
    assert right.status == 400 and right.url.endswith("/console/login")
    await console.close()


async def test_an_admin_member_signs_in_and_a_plain_member_is_refused(start: Start) -> None:
    h = await start()
    await make_admin(h, "owner@example.com")
    await h.register("plain@example.com")
    console = await browser(h)
    plain = await console.sign_in("plain@example.com")
    assert plain.status == 403 and plain.has("may not use the console")
    # Its session was ended, not left behind.
    assert (await console.get("/console")).url.endswith("/console/login")
    owner = await console.sign_in("owner@example.com")
    assert owner.status == 200 and owner.url.endswith("/console") and owner.has("Overview")
    await console.close()


async def test_an_admin_with_a_second_factor_gives_it(start: Start) -> None:
    h = await start()
    await make_admin(h, "owner@example.com")
    token = (await h.login("owner@example.com"))["sessionToken"]
    secret = (await h.client.member(token, ENROLL))["data"]["enrollTotp"]["secret"]
    totp = pyotp.TOTP(secret)
    assert (await h.client.member(token, CONFIRM, {"code": totp.at(h.clock.time())}))["data"]
    h.clock.advance(30)
    console = await browser(h)
    step = await console.sign_in("owner@example.com")
    assert step.has('name="mfa_code"') and not step.url.endswith("/console")
    wrong = await console.post("/console/login", {"mfa_code": "000000"})
    assert wrong.status == 400 and wrong.has('class="error"')
    step = await console.sign_in("owner@example.com")
    done = await console.post("/console/login", {"mfa_code": totp.at(h.clock.time())})
    assert done.status == 200 and done.url.endswith("/console"), done.html[:300]
    await console.close()


async def test_the_owner_sees_who_waits_is_mailed_and_approves_from_the_queue(start: Start) -> None:
    h = await start(admin_notification_emails=("owner@example.com", "second@example.com"))
    await documents.settings(h.client, approval="MANUAL")
    waiting = await pending_member(h, "visitor@example.com")
    notices = await OutboxMessage.filter(template="approval_waiting").order_by("recipient")
    assert [n.recipient for n in notices] == ["owner@example.com", "second@example.com"]
    # The notice names nobody: what the registrant typed reaches no admin's mailbox.
    assert all("visitor" not in str(n.context) for n in notices)
    console = await browser(h)
    front = await console.sign_in_with_key()
    assert front.has("1 member(s) waiting for approval")
    queue = await console.get("/console/pending")
    assert queue.has("visitor@example.com")
    approved = await console.post(f"/console/pending?one={waiting}&action=approve", {})
    assert approved.has("Approved 1 member(s).") and not approved.has("visitor@example.com")
    assert await status_of(waiting) is MemberStatus.APPROVED
    await console.close()


async def test_bulk_approve_and_block(start: Start) -> None:
    h = await start()
    await documents.settings(h.client, approval="MANUAL")
    ids = [await pending_member(h, f"p{n}@example.com") for n in range(4)]
    console = await browser(h)
    await console.sign_in_with_key()
    await console.get("/console/pending")
    done = await console.post("/console/pending", [("id", i) for i in ids[:3]] + [("action", "approve")])
    assert done.has("Approved 3 member(s).")
    assert [await status_of(i) for i in ids] == [MemberStatus.APPROVED] * 3 + [MemberStatus.PENDING]
    await console.post("/console/pending", [("id", ids[3]), ("action", "block")])
    assert await status_of(ids[3]) is MemberStatus.BLOCKED
    await console.close()


async def test_search_by_email_prefix_status_and_role_with_paging(start: Start) -> None:
    h = await start()
    for n in range(30):
        await h.register(f"alpha{n:02}@example.com")
    await h.register("beta@example.com")
    admin_id = await make_admin(h, "owner@example.com")
    console = await browser(h)
    await console.sign_in_with_key()
    first = await console.get("/console/members", email="alpha")
    assert first.html.count('class="member-row"') == 25 and not first.has("beta@example.com")
    assert first.has("Members (30)") and first.has('rel="next"')
    after = first.html.split('href="/console/members?')[-1].split('"')[0].replace("&amp;", "&")
    second = await console.get(f"/console/members?{after}")
    assert second.html.count('class="member-row"') == 5
    admins = await console.get("/console/members", role=str((await Role.get(name="admin")).id))
    assert admins.html.count('class="member-row"') == 1 and admins.has("owner@example.com")
    assert admin_id in admins.html
    await console.close()


async def test_a_revoked_session_refuses_the_members_next_request(start: Start) -> None:
    h = await start()
    registered = await h.register("m@example.com")
    token, member_id = registered["sessionToken"], registered["member"]["id"]
    console = await browser(h)
    await console.sign_in_with_key()
    page = await console.get(f"/console/members/{member_id}")
    session_id = registered["session"]["id"]
    assert page.has(f'value="{session_id}"')
    await console.post(f"/console/members/{member_id}", {"action": "revoke-session", "session": session_id})
    assert console.last is not None and console.last.has("The session ended.")
    assert not await h.alive(token)
    await console.close()


async def test_assign_a_role_and_a_badge(start: Start) -> None:
    h = await start()
    member_id = (await h.register("m@example.com"))["member"]["id"]
    console = await browser(h)
    await console.sign_in_with_key()
    await console.get("/console/roles")
    await console.post("/console/roles", [("name", "editor"), ("title", "Editor"), ("permission", "MEMBERS_READ")])
    await console.post("/console/badges", {"title": "Early bird", "description": "Joined first"})
    page = await console.get(f"/console/members/{member_id}")
    role_id = page.html.split('">Editor</option>')[0].rsplit('value="', 1)[1]
    badge_id = page.html.split('<select id="badge" name="badge"><option value="')[1].split('"')[0]
    await console.post(f"/console/members/{member_id}", {"action": "assign-role", "role": role_id})
    await console.post(f"/console/members/{member_id}", {"action": "assign-badge", "badge": badge_id})
    page = await console.get(f"/console/members/{member_id}")
    roles = page.html.split('<ul id="roles">')[1].split("</ul>")[0]
    badges = page.html.split('<ul id="badges">')[1].split("</ul>")[0]
    assert "editor" in roles and "Early bird" in badges
    await console.close()


async def test_a_settings_toggle_governs_the_next_registration(start: Start) -> None:
    h = await start()
    console = await browser(h)
    await console.sign_in_with_key()
    await console.get("/console/settings")
    # Every switch off (unchecked boxes are absent), approval by an admin.
    saved = await console.post("/console/settings", {"approval": "MANUAL"})
    assert saved.has("Registration settings saved.")
    refused = await documents.register(h.client, "late@example.com")
    assert refused["__typename"] == "RegistrationDisabledError", refused
    await console.post("/console/settings", {"enabled": "on", "approval": "MANUAL"})
    waiting = await documents.register(h.client, "late@example.com")
    assert waiting["status"] == "PENDING"
    await console.close()


async def test_an_api_key_is_shown_once_then_revoked(start: Start) -> None:
    h = await start()
    console = await browser(h)
    await console.sign_in_with_key()
    await console.get("/console/keys")
    created = await console.post("/console/keys", [("name", "shop"), ("permission", "MEMBERS_READ")])
    key = created.html.split('<p class="key" id="new-key">')[1].split("</p>")[0]
    assert len(key) > 20
    assert (await h.client.post(ALIVE, **{"X-Api-Key": key})).get("errors") is None
    listing = await console.get("/console/keys")
    assert not listing.has(key) and listing.has("shop")
    row = await ApiKey.get(name="shop")
    await console.post("/console/keys", {"action": "revoke", "id": str(row.id)})
    refused = await h.client.post(ALIVE, **{"X-Api-Key": key})
    assert refused["errors"][0]["extensions"]["code"] == 2002
    await console.close()


async def test_a_post_without_its_csrf_token_changes_nothing(start: Start) -> None:
    h = await start()
    await documents.settings(h.client, approval="MANUAL")
    waiting = await pending_member(h, "visitor@example.com")
    console = await browser(h)
    await console.sign_in_with_key()
    for data in ({"action": "approve", "id": waiting}, {"action": "approve", "id": waiting, "csrf": "forged"}):
        refused = await console.post("/console/pending", data, csrf=False)
        assert refused.status == 403
    assert await status_of(waiting) is MemberStatus.PENDING
    # Nor does a login form without its token sign anyone in.
    other = await browser(h)
    page = await other.post("/console/login", {"api_key": "test-admin-key"}, csrf=False)
    assert page.status == 403 and (await other.get("/console")).url.endswith("/console/login")
    await console.close()
    await other.close()


async def test_the_idle_timeout_signs_the_admin_out(start: Start) -> None:
    h = await start(console_idle_seconds=600)
    console = await browser(h)
    await console.sign_in_with_key()
    h.clock.advance(599)
    assert (await console.get("/console/members")).url.endswith("/console/members")
    h.clock.advance(599)  # each request restarts the idle clock
    assert (await console.get("/console")).url.endswith("/console")
    h.clock.advance(601)
    page = await console.get("/console")
    assert page.url.endswith("/console/login?notice=idle") and page.has("without activity")
    await console.close()


async def test_a_revoked_admin_session_signs_the_console_out(start: Start) -> None:
    h = await start()
    await make_admin(h, "owner@example.com")
    console = await browser(h)
    await console.sign_in("owner@example.com")
    await h.client.backend(
        "mutation ($id: ID!) { revokeAllSessions(memberId: $id) { __typename } }",
        {"id": str((await Member.get(email_key="owner@example.com")).id)},
    )
    assert (await console.get("/console")).url.endswith("/console/login?notice=idle")
    await console.close()


async def test_the_daily_chart_counts_each_day_in_one_statement(start: Start) -> None:
    h = await start()
    member_id = uuid.uuid4()
    now = h.clock.now()

    async def event(kind: EventKind, days_ago: int) -> None:
        await MemberEvent.create(
            member_id=member_id, kind=kind.value, actor="backend", data={}, created_at=now - timedelta(days=days_ago)
        )

    for kind, days_ago in [
        (EventKind.REGISTERED, 0),
        (EventKind.REGISTERED, 0),
        (EventKind.APPROVED, 0),
        (EventKind.REGISTERED, 2),
        (EventKind.BLOCKED, 29),
        (EventKind.REGISTERED, 30),  # outside the window
        (EventKind.PROFILE_UPDATED, 1),  # not charted
    ]:
        await event(kind, days_ago)
    caller = Caller(CallerKind.BACKEND, address="test")
    with counting_statements() as counted:
        days = await dashboard.daily_activity(caller, h.services.clock)
    assert len(counted.sql()) == 1, counted.sql()
    assert len(days) == 30 and days[-1].day == now.date() and days[0].day == (now - timedelta(days=29)).date()
    by_day = {day.day: day.counts for day in days}
    assert by_day[now.date()] == {EventKind.REGISTERED: 2, EventKind.APPROVED: 1, EventKind.BLOCKED: 0}
    assert by_day[(now - timedelta(days=2)).date()][EventKind.REGISTERED] == 1
    assert by_day[(now - timedelta(days=29)).date()][EventKind.BLOCKED] == 1
    assert sum(sum(counts.values()) for counts in by_day.values()) == 5
    console = await browser(h)
    page = await console.sign_in_with_key()
    assert page.has(f"{now.date().isoformat()}: 2 registered") and page.has(f"{now.date().isoformat()}: 1 approved")
    await console.close()


CREATE_ROLE = """mutation { createRole(input: { name: "moderator", title: "Moderator", permissions: [MEMBERS_READ, MEMBERS_APPROVE],
  requireMfa: true }) { __typename ... on CreateRolePayload { role { id } } ... on Error { message } } }"""
ASSIGN_ROLE = "mutation ($r: ID!, $m: ID!) { assignRole(roleId: $r, memberId: $m) { __typename } }"


async def test_a_role_that_requires_mfa_opens_the_console_only_after_the_second_factor(start: Start) -> None:
    h = await start()
    registered = await h.register("mod@example.com")
    created = (await h.client.backend(CREATE_ROLE))["data"]["createRole"]
    assert created["__typename"] == "CreateRolePayload", created
    role = created["role"]["id"]
    assigned = await h.client.backend(ASSIGN_ROLE, {"r": role, "m": registered["member"]["id"]})
    assert assigned["data"]["assignRole"]["__typename"] == "AssignRolePayload"
    console = await browser(h)
    # No factor yet: the role's MEMBERS_READ does not apply, so no console.
    refused = await console.sign_in("mod@example.com")
    assert refused.status == 403 and refused.has("may not use the console")
    # With an authenticator app, the sign-in asks for its code, and then the role applies.
    token = (await h.login("mod@example.com"))["sessionToken"]
    secret = (await h.client.member(token, ENROLL))["data"]["enrollTotp"]["secret"]
    totp = pyotp.TOTP(secret)
    await h.client.member(token, CONFIRM, {"code": totp.at(h.clock.time())})
    h.clock.advance(30)
    step = await console.sign_in("mod@example.com")
    assert step.has('name="mfa_code"')
    done = await console.post("/console/login", {"mfa_code": totp.at(h.clock.time())})
    assert done.status == 200 and done.url.endswith("/console"), done.html[-500:]
    await console.close()


async def test_the_settings_page_sets_the_site_wide_mfa_policy(start: Start) -> None:
    h = await start()
    console = await browser(h)
    await console.sign_in_with_key()
    await console.get("/console/settings")
    await console.post("/console/settings", {"enabled": "on", "approval": "AUTOMATIC", "mfaPolicy": "REQUIRED"})
    settings = await h.client.backend("{ registrationSettings { mfaPolicy enabled } }")
    assert settings["data"]["registrationSettings"] == {"mfaPolicy": "REQUIRED", "enabled": True}
    await console.close()
