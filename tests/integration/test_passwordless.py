"""Passwordless sign-in (issue 14 §4): requestLoginCode, loginWithCode, loginWithLinkToken, one
rule per test, on a real database (SQLite and PostgreSQL) with a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest_asyncio

from gql.config import Config
from gql.db.models import AuditEvent, LoginCode, Member, MemberEvent, OutboxMessage
from gql.domain.policy import LOGIN_CODE_ATTEMPTS, LOGIN_CODE_LIFETIME
from gql.domain.statuses import MemberStatus, SessionLimitPolicy
from gql.worker import OutboxWorker
from tests.integration.documents import settings as update_settings
from tests.integration.session_harness import Harness, Start, launch
from tests.passwordless import REQUEST, WITH_CODE, WITH_LINK, answer, queued_secrets

ADA = "ada@example.com"
NOBODY = "nobody@example.com"


@pytest_asyncio.fixture
async def start(settings: Config) -> AsyncIterator[Start]:
    """As tests/integration/conftest.py's, without the app's own outbox worker: the tests run
    one themselves, with a transport that keeps what it sends."""
    async with AsyncExitStack() as stack:

        async def make(**changes: Any) -> Harness:
            return Harness(*await launch(stack, replace(settings, **changes), run_worker=False))

        yield make


class Captured:
    """An email transport that keeps what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[OutboxMessage] = []

    async def send(self, message: OutboxMessage) -> None:
        self.sent.append(message)


async def harness(start: Start, **registration: Any) -> Harness:
    h = await start()
    await update_settings(h.client, passwordlessLogin=True, **registration)
    return h


async def request(h: Harness, email: str) -> dict[str, Any]:
    return answer(await h.client.anonymous(REQUEST, {"email": email}))


async def with_code(h: Harness, email: str, code: str) -> dict[str, Any]:
    return answer(await h.client.anonymous(WITH_CODE, {"email": email, "code": code}))


async def with_link(h: Harness, token: str) -> dict[str, Any]:
    return answer(await h.client.anonymous(WITH_LINK, {"token": token}))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_everything_answers_3231_while_passwordless_login_is_off(start: Start) -> None:
    h = await start()
    await h.register(ADA)
    assert (await request(h, ADA))["code"] == 3231
    assert (await with_code(h, ADA, "123456"))["code"] == 3231
    assert (await with_link(h, "x" * 43))["code"] == 3231
    assert await OutboxMessage.filter(template="login_code").count() == 0
    assert await LoginCode.all().count() == 0


async def test_a_code_signs_the_member_in_once(start: Start) -> None:
    h = await harness(start)
    ada = await h.register(ADA)
    assert await request(h, ADA) == {"__typename": "RequestLoginCodePayload", "email": ADA}
    code, _ = await queued_secrets(h.services, ADA)
    signed_in = await with_code(h, ADA, code)
    assert signed_in["__typename"] == "LoginPayload", signed_in
    assert signed_in["member"]["id"] == ada["member"]["id"]
    assert signed_in["session"]["method"] == "CODE"
    assert await h.alive(signed_in["sessionToken"])
    again = await with_code(h, ADA, code)
    assert (again["__typename"], again["code"], again["property"]) == ("LoginCodeInvalidError", 3230, "code")
    kinds = (
        await MemberEvent.filter(member_id=ada["member"]["id"]).order_by("created_at").values_list("kind", flat=True)
    )
    assert kinds[-2:] == ["LOGIN_CODE_REQUESTED", "LOGGED_IN_WITH_CODE"]
    event = await MemberEvent.get(member_id=ada["member"]["id"], kind="LOGGED_IN_WITH_CODE")
    assert event.data == {"via": "code", "created": False, "confirmed": True, "sessionId": signed_in["session"]["id"]}


async def test_the_link_signs_in_once_and_the_code_dies_with_it(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, token = await queued_secrets(h.services, ADA)
    signed_in = await with_link(h, token)
    assert signed_in["__typename"] == "LoginPayload" and signed_in["session"]["method"] == "CODE"
    assert (await with_link(h, token))["code"] == 3230
    assert (await with_code(h, ADA, code))["code"] == 3230


async def test_the_code_kills_the_link(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, token = await queued_secrets(h.services, ADA)
    assert (await with_code(h, ADA, code))["__typename"] == "LoginPayload"
    dead = await with_link(h, token)
    assert (dead["code"], dead["property"]) == (3230, "token")


async def test_a_new_request_replaces_the_older_code_and_link(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    old_code, old_token = await queued_secrets(h.services, ADA)
    h.clock.advance(1)
    await request(h, ADA)
    new_code, new_token = await queued_secrets(h.services, ADA)
    assert (old_code, old_token) != (new_code, new_token)
    assert await LoginCode.all().count() == 1
    if old_code != new_code:  # one in a million they coincide
        assert (await with_code(h, ADA, old_code))["code"] == 3230
    assert (await with_link(h, old_token))["code"] == 3230
    assert (await with_code(h, ADA, new_code))["__typename"] == "LoginPayload"


async def test_the_code_expires(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, token = await queued_secrets(h.services, ADA)
    h.clock.advance(LOGIN_CODE_LIFETIME.total_seconds())
    assert (await with_code(h, ADA, code))["code"] == 3230
    assert (await with_link(h, token))["code"] == 3230


async def test_the_code_works_until_its_lifetime_ends(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, _ = await queued_secrets(h.services, ADA)
    h.clock.advance(LOGIN_CODE_LIFETIME.total_seconds() - 1)
    assert (await with_code(h, ADA, code))["__typename"] == "LoginPayload"


async def test_wrong_codes_up_to_the_limit_leave_the_right_one_working(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, _ = await queued_secrets(h.services, ADA)
    for _ in range(LOGIN_CODE_ATTEMPTS - 1):
        assert (await with_code(h, ADA, wrong(code)))["code"] == 3230
    assert (await with_code(h, ADA, code))["__typename"] == "LoginPayload"


async def test_after_too_many_wrong_codes_the_code_and_link_are_dead(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, token = await queued_secrets(h.services, ADA)
    for _ in range(LOGIN_CODE_ATTEMPTS):
        assert (await with_code(h, ADA, wrong(code)))["code"] == 3230
    assert (await with_code(h, ADA, code))["code"] == 3230
    assert (await with_link(h, token))["code"] == 3230
    # A new request starts over.
    await request(h, ADA)
    fresh, _ = await queued_secrets(h.services, ADA)
    assert (await with_code(h, ADA, fresh))["__typename"] == "LoginPayload"


async def test_a_malformed_code_spends_no_attempt(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    for bad in ("", "12345", "1234567", "12a456", "١٢٣٤٥٦"):
        assert (await with_code(h, ADA, bad))["code"] == 3230
    assert (await LoginCode.get()).attempts_left == LOGIN_CODE_ATTEMPTS
    assert (await with_link(h, "not a token"))["code"] == 3230


async def test_the_row_keeps_no_code_and_no_token(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, token = await queued_secrets(h.services, ADA)
    row = await LoginCode.get()
    stored = " ".join(str(value) for value in (await LoginCode.all().values())[0].values())
    assert code not in stored and token not in stored
    assert len(row.code_hash) == 64 and len(row.link_hash) == 64
    outbox = await OutboxMessage.get(template="login_code")
    assert code not in str(outbox.link) and token not in str(outbox.link) and outbox.body_text is None


async def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_writes(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    known, unknown = await request(h, ADA), await request(h, NOBODY)
    assert known == {"__typename": "RequestLoginCodePayload", "email": ADA}
    assert unknown == {"__typename": "RequestLoginCodePayload", "email": NOBODY}
    assert await LoginCode.all().count() == 2
    assert await OutboxMessage.filter(template="login_code").count() == 2
    # The member's request is on its trail; the other is audited under a digest of the address.
    audited = await AuditEvent.get(kind="LOGIN_CODE_REQUESTED")
    assert NOBODY not in str(audited.data) and len(audited.data["account"]) == 40


async def test_an_address_nobody_has_gets_no_mail_and_no_sign_in_without_signup(start: Start) -> None:
    h = await harness(start)
    await request(h, NOBODY)
    code, token = await queued_secrets(h.services, NOBODY)
    captured = Captured()
    assert await OutboxWorker(h.services, {"email": captured}).run_once() == 1
    assert captured.sent == []
    assert (await OutboxMessage.get(template="login_code")).status == "SUPERSEDED"
    assert (await with_code(h, NOBODY, code))["code"] == 3230
    assert (await with_link(h, token))["code"] == 3230
    assert await Member.all().count() == 0


async def test_the_worker_mails_the_code_and_the_link_to_a_member(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, token = await queued_secrets(h.services, ADA)
    captured = Captured()
    await OutboxWorker(h.services, {"email": captured}).run_once()
    [mail] = captured.sent
    assert f"Code: {code}" in (mail.body_text or "")
    assert f"/login-with-link?token={token}" in (mail.body_text or "")
    sent = await OutboxMessage.get(template="login_code")
    assert (sent.status, sent.link, sent.body_text) == ("SENT", None, None)


async def test_a_replaced_code_is_not_mailed(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    await request(h, ADA)
    captured = Captured()
    await OutboxWorker(h.services, {"email": captured}).run_once()
    assert len(captured.sent) == 1
    statuses = sorted(await OutboxMessage.filter(template="login_code").values_list("status", flat=True))
    assert statuses == ["SENT", "SUPERSEDED"]


async def test_signup_creates_an_approved_member_with_a_confirmed_email(start: Start) -> None:
    h = await harness(start, passwordlessSignup=True)
    await request(h, NOBODY)
    code, _ = await queued_secrets(h.services, NOBODY)
    captured = Captured()
    await OutboxWorker(h.services, {"email": captured}).run_once()
    assert len(captured.sent) == 1  # with sign-up on, an unknown address gets its code
    signed_in = await with_code(h, NOBODY, code)
    assert signed_in["__typename"] == "LoginPayload", signed_in
    member = signed_in["member"]
    assert (member["loginEmail"], member["loginEmailVerified"], member["status"]) == (NOBODY, True, "APPROVED")
    row = await Member.get(id=member["id"])
    assert row.password_hash is None
    kinds = await MemberEvent.filter(member_id=member["id"]).values_list("kind", flat=True)
    assert sorted(kinds) == ["LOGGED_IN_WITH_CODE", "REGISTERED"]
    event = await MemberEvent.get(member_id=member["id"], kind="LOGGED_IN_WITH_CODE")
    assert (event.data["created"], event.data["via"]) == (True, "code")


async def test_signup_under_manual_approval_makes_a_pending_member(start: Start) -> None:
    h = await harness(start, passwordlessSignup=True, approval="MANUAL")
    await request(h, NOBODY)
    _, token = await queued_secrets(h.services, NOBODY)
    pending = await with_link(h, token)
    assert (pending["__typename"], pending["code"]) == ("PendingApprovalError", 3204)
    member = await Member.get(email_key=NOBODY)
    assert member.status is MemberStatus.PENDING and member.email_verified and member.approval_jti
    assert (await with_link(h, token))["code"] == 3230  # the link was used


async def test_signup_needs_registration_open(start: Start) -> None:
    h = await harness(start, passwordlessSignup=True, enabled=False)
    await request(h, NOBODY)
    code, _ = await queued_secrets(h.services, NOBODY)
    assert (await with_code(h, NOBODY, code))["code"] == 3230
    assert await Member.all().count() == 0


async def test_a_code_confirms_an_unconfirmed_email(start: Start) -> None:
    h = await harness(start, emailConfirmation=True)
    registered = answer(
        await h.client.anonymous(
            'mutation ($e: String!) { register(email: $e, password: "wonderland") { __typename } }', {"e": ADA}
        )
    )
    assert registered["__typename"] == "RegisterPayload"
    assert (await h.login(ADA))["code"] == 3087
    await request(h, ADA)
    code, _ = await queued_secrets(h.services, ADA)
    signed_in = await with_code(h, ADA, code)
    assert signed_in["__typename"] == "LoginPayload", signed_in
    assert signed_in["member"]["loginEmailVerified"] is True
    event = await MemberEvent.get(kind="LOGGED_IN_WITH_CODE")
    assert event.data["confirmed"] is True
    assert (await h.login(ADA))["__typename"] == "LoginPayload"


async def test_a_blocked_member_gets_no_mail_and_no_session(start: Start) -> None:
    h = await harness(start)
    ada = await h.register(ADA)
    await request(h, ADA)
    code, _ = await queued_secrets(h.services, ADA)
    await Member.filter(id=ada["member"]["id"]).update(status=MemberStatus.BLOCKED)
    captured = Captured()
    await OutboxWorker(h.services, {"email": captured}).run_once()
    assert captured.sent == []
    assert (await with_code(h, ADA, code))["code"] == 3000


async def test_a_pending_member_is_told_so_only_with_the_right_code(start: Start) -> None:
    h = await harness(start, approval="MANUAL")
    await h.client.anonymous('mutation { register(email: "ada@example.com", password: "wonderland") { __typename } }')
    await request(h, ADA)
    code, _ = await queued_secrets(h.services, ADA)
    assert (await with_code(h, ADA, wrong(code)))["code"] == 3230
    assert (await with_code(h, ADA, code))["code"] == 3204


async def test_the_session_limit_refuses_and_leaves_the_code(start: Start) -> None:
    h = await start(max_sessions=1, session_limit_policy=SessionLimitPolicy.REFUSE)
    await update_settings(h.client, passwordlessLogin=True)
    await h.register(ADA)  # holds the one session allowed
    await request(h, ADA)
    code, _ = await queued_secrets(h.services, ADA)
    refused = await with_code(h, ADA, code)
    assert refused["code"] == 3217, refused
    assert await LoginCode.filter(email_key=ADA).exists()


async def test_the_address_is_matched_as_login_emails_are(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, "  Ada@Example.COM ")
    code, _ = await queued_secrets(h.services, ADA)
    assert (await with_code(h, "ADA@example.com", code))["__typename"] == "LoginPayload"


async def test_a_malformed_address_is_refused_before_anything_is_written(start: Start) -> None:
    h = await harness(start)
    refused = await request(h, "not-an-address")
    assert (refused["code"], refused["property"]) == (3040, "email")
    assert await LoginCode.all().count() == 0


async def test_opening_the_link_in_a_browser_here_signs_nobody_in_and_spends_nothing(start: Start) -> None:
    h = await harness(start)
    await h.register(ADA)
    await request(h, ADA)
    code, token = await queued_secrets(h.services, ADA)
    page = await h.client.http.get(f"/login-with-link?token={token}")
    assert page.status_code == 200 and "has not signed you in" in page.text
    assert token not in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert (await LoginCode.get()).attempts_left == LOGIN_CODE_ATTEMPTS
    assert (await with_link(h, token))["__typename"] == "LoginPayload"
