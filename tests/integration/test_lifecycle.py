"""Member lifecycle with mail really delivered to an SMTP server the test runs (aiosmtpd)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from gql.db.models import Contact, Member, MemberEvent, OutboxMessage
from tests.conftest import GraphQLClient
from tests.integration.documents import (
    CURRENT_MEMBER,
    ERROR_FIELDS,
    LOGIN,
    MEMBER_FIELDS,
    code,
    login,
    register,
    settings,
)
from tests.mailbox import Mailbox, link_in, text_of
from tests.waiting import until

CONFIRM = f"mutation ($token: String!) {{ confirmEmail(token: $token) {{ __typename ... on ConfirmEmailPayload {{ member {{ loginEmailVerified }} }} {ERROR_FIELDS} }} }}"
RESEND = f"mutation ($email: String!) {{ resendEmailConfirmation(email: $email) {{ __typename {ERROR_FIELDS} }} }}"
REQUEST_RESET = (
    "mutation ($email: String!) { requestPasswordReset(email: $email) { __typename ... on EmailPayload { email } } }"
)
SEND_SET = f"mutation ($email: String!) {{ sendSetPasswordEmail(email: $email) {{ __typename {ERROR_FIELDS} }} }}"
RESET = f"""mutation ($token: String!, $pw: String!) {{ resetPassword(token: $token, newPassword: $pw) {{
  __typename ... on SessionPayload {{ sessionToken }} {ERROR_FIELDS} }} }}"""
CHANGE = f"""mutation ($old: String!, $new: String!) {{ changePassword(currentPassword: $old, newPassword: $new) {{
  __typename {ERROR_FIELDS} }} }}"""
GUEST = f"mutation {{ loginAsGuest {{ __typename ... on SessionPayload {{ sessionToken member {{ id status }} }} {ERROR_FIELDS} }} }}"
UPDATE = f"""mutation ($id: ID!, $input: UpdateMemberInput!) {{ updateMember(id: $id, input: $input) {{
  __typename ... on MemberPayload {{ member {{ {MEMBER_FIELDS} }} }} {ERROR_FIELDS} }} }}"""
CHANGE_EMAIL = f"""mutation ($id: ID!, $email: String!) {{ changeLoginEmail(memberId: $id, newEmail: $email) {{
  __typename ... on MemberPayload {{ member {{ loginEmail loginEmailVerified }} }} {ERROR_FIELDS} }} }}"""
DELETE = f"mutation ($id: ID!) {{ deleteMember(id: $id) {{ __typename ... on DeleteMemberPayload {{ member {{ id }} }} {ERROR_FIELDS} }} }}"
CREATE = f"""mutation ($input: CreateMemberInput!) {{ createMember(input: $input) {{
  __typename ... on CreateMemberPayload {{ member {{ id status }} }} {ERROR_FIELDS} }} }}"""
EVENTS = """query ($id: ID!, $first: Int, $after: String, $last: Int) {
  memberEvents(memberId: $id, first: $first, after: $after, last: $last) {
  edges { node { kind actor actorMemberId data } } pageInfo { hasNextPage endCursor } totalCount } }"""


def token_of(link: str) -> str:
    return urlsplit(link).query.removeprefix("token=")


async def test_email_confirmation_flow(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    await settings(mail_gql, emailConfirmation=True)
    registered = await register(mail_gql, "conf@example.com")
    assert registered["member"]["loginEmailVerified"] is False
    assert code(await login(mail_gql, "conf@example.com")) == 3087
    [mail] = await mailbox.wait_for("conf@example.com")
    assert "Confirm your email" in mail["Subject"] and mail.get_body(preferencelist=("html",)) is not None
    link = link_in(mail)
    assert link.startswith("http://testserver/confirm-email?token=")
    page = await mail_gql.http.get(link)
    assert page.status_code == 200 and "Email confirmed" in page.text and "<script" not in page.text
    assert (await login(mail_gql, "conf@example.com"))["__typename"] == "LoginPayload"
    again = await mail_gql.http.get(link)  # a second click: the address is confirmed, and the page says so
    assert again.status_code == 200 and "already confirmed" in again.text and "not valid" not in again.text
    assert (
        code((await mail_gql.anonymous(RESEND, {"email": "conf@example.com"}))["data"]["resendEmailConfirmation"])
        == 3102
    )


async def test_resend_invalidates_older_links_and_errors(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    assert (
        code((await mail_gql.anonymous(RESEND, {"email": "x@example.com"}))["data"]["resendEmailConfirmation"]) == 3103
    )
    await settings(mail_gql, emailConfirmation=True)
    assert (
        code((await mail_gql.anonymous(RESEND, {"email": "nobody@example.com"}))["data"]["resendEmailConfirmation"])
        == 3104
    )
    await register(mail_gql, "re@example.com")
    [first] = await mailbox.wait_for("re@example.com")
    resent = await mail_gql.anonymous(RESEND, {"email": "RE@example.com"})
    assert resent["data"]["resendEmailConfirmation"]["__typename"] == "ResendEmailConfirmationPayload"
    _, second = await mailbox.wait_for("re@example.com", count=2)
    old = (await mail_gql.anonymous(CONFIRM, {"token": token_of(link_in(first))}))["data"]["confirmEmail"]
    assert code(old) == 3203
    new = (await mail_gql.anonymous(CONFIRM, {"token": token_of(link_in(second))}))["data"]["confirmEmail"]
    assert new["member"]["loginEmailVerified"] is True
    assert code((await mail_gql.anonymous(CONFIRM, {"token": "junk"}))["data"]["confirmEmail"]) == 3201


async def test_confirmation_page_for_blocked_and_expired(mail_gql: GraphQLClient, mailbox: Mailbox, mail_app) -> None:
    from datetime import datetime, timedelta, timezone

    from gql.domain.links import Link, fingerprint
    from gql.domain.tokens import Purpose

    await settings(mail_gql, emailConfirmation=True)
    await register(mail_gql, "blk@example.com")
    [mail] = await mailbox.wait_for("blk@example.com")
    member = await Member.get(email_key="blk@example.com")
    services = mail_app.state.services
    issued = datetime.now(timezone.utc) - timedelta(days=3)
    expired = Link(
        Purpose.CONFIRM, member.id, member.confirm_jti, fingerprint(services, Purpose.CONFIRM, member), issued
    ).token(services)
    page = await mail_gql.http.get(f"/confirm-email?token={expired}")
    assert page.status_code == 410 and "expired" in page.text
    await mail_gql.backend('mutation { blockByEmail(email: "blk@example.com") { __typename } }')
    page = await mail_gql.http.get(link_in(mail))
    assert page.status_code == 403 and "disabled" in page.text


async def test_email_required_when_confirmation_on_3078(mail_gql: GraphQLClient) -> None:
    await settings(
        mail_gql, emailConfirmation=True, declaredProperties=[{"name": "username"}], identityProperty="username"
    )
    result = await register(mail_gql, None, options={"contactInfo": {"customFields": {"username": "neo"}}})
    assert code(result) == 3078
    bad = await register(mail_gql, "nope", options={"contactInfo": {"customFields": {"username": "neo"}}})
    assert code(bad) == 3040


async def test_password_reset_by_link(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    await register(mail_gql, "rp@example.com", "old-password")
    sessions = [(await login(mail_gql, "rp@example.com", "old-password"))["sessionToken"] for _ in range(2)]
    known = await mail_gql.anonymous(REQUEST_RESET, {"email": "rp@example.com"})
    unknown = await mail_gql.anonymous(REQUEST_RESET, {"email": "nobody@example.com"})
    # The same answer whether or not an account has the address (it only echoes what was sent).
    assert known == {
        "data": {"requestPasswordReset": {"__typename": "RequestPasswordResetPayload", "email": "rp@example.com"}}
    }
    assert unknown == {
        "data": {"requestPasswordReset": {"__typename": "RequestPasswordResetPayload", "email": "nobody@example.com"}}
    }
    [mail] = await mailbox.wait_for("rp@example.com")
    assert "Reset your" in mail["Subject"]
    form = await mail_gql.http.get(link_in(mail))
    assert form.status_code == 200 and 'name="password"' in form.text
    weak = await mail_gql.http.post("/reset-password", data={"token": token_of(link_in(mail)), "password": "abc"})
    assert weak.status_code == 400 and "4 to 100" in weak.text
    saved = await mail_gql.http.post(
        "/reset-password", data={"token": token_of(link_in(mail)), "password": "new-password"}
    )
    assert saved.status_code == 200 and "saved" in saved.text
    assert code(await login(mail_gql, "rp@example.com", "old-password")) == 3003
    assert (await login(mail_gql, "rp@example.com", "new-password"))["__typename"] == "LoginPayload"
    for token in sessions:
        assert (await mail_gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is None
    reused = await mail_gql.anonymous(RESET, {"token": token_of(link_in(mail)), "pw": "another-one"})
    assert code(reused["data"]["resetPassword"]) == 3203
    assert len(mailbox.messages) == 1  # nothing was sent for the unknown address


async def test_reset_password_mutation_and_newer_link_wins(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    await register(mail_gql, "two@example.com")
    await mail_gql.anonymous(REQUEST_RESET, {"email": "two@example.com"})
    await mailbox.wait_for("two@example.com")  # a link replaced before its mail went out is not mailed at all
    await mail_gql.anonymous(REQUEST_RESET, {"email": "two@example.com"})
    first, second = await mailbox.wait_for("two@example.com", count=2)
    assert (
        code(
            (await mail_gql.anonymous(RESET, {"token": token_of(link_in(first)), "pw": "brand-new"}))["data"][
                "resetPassword"
            ]
        )
        == 3203
    )
    policy = await mail_gql.anonymous(RESET, {"token": token_of(link_in(second)), "pw": "é-not-ascii"})
    assert code(policy["data"]["resetPassword"]) == 3200
    ok = (await mail_gql.anonymous(RESET, {"token": token_of(link_in(second)), "pw": "brand-new"}))["data"][
        "resetPassword"
    ]
    assert ok["__typename"] == "ResetPasswordPayload"
    assert (await mail_gql.member(ok["sessionToken"], CURRENT_MEMBER))["data"]["currentMember"][
        "loginEmailVerified"
    ] is True


async def test_send_set_password_email_is_backend_only(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    await register(mail_gql, "set@example.com")
    assert (
        code((await mail_gql.anonymous(SEND_SET, {"email": "set@example.com"}))["data"]["sendSetPasswordEmail"]) == 3029
    )
    assert (
        code((await mail_gql.backend(SEND_SET, {"email": "none@example.com"}))["data"]["sendSetPasswordEmail"]) == 3030
    )
    assert (await mail_gql.backend(SEND_SET, {"email": "set@example.com"}))["data"]["sendSetPasswordEmail"][
        "__typename"
    ] == "SendSetPasswordEmailPayload"
    [mail] = await mailbox.wait_for("set@example.com")
    assert "Set your password" in mail["Subject"]


async def test_create_member_invites_with_set_password_email(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    denied = await mail_gql.anonymous(CREATE, {"input": {"email": "inv@example.com"}})
    assert code(denied["data"]["createMember"]) == 3029
    created = (
        await mail_gql.backend(CREATE, {"input": {"email": "inv@example.com", "contactInfo": {"firstName": "Ivy"}}})
    )["data"]["createMember"]
    assert created["member"]["status"] == "APPROVED"
    assert code(await login(mail_gql, "inv@example.com", "anything")) == 3003  # no password yet
    [mail] = await mailbox.wait_for("inv@example.com")
    # Nobody has confirmed this address yet: the mail greets no one by a name someone typed.
    assert text_of(mail).startswith("Hello,") and "Ivy" not in text_of(mail) and "Ivy" not in mail.as_string()
    await mail_gql.http.post("/reset-password", data={"token": token_of(link_in(mail)), "password": "chosen-pw"})
    assert (await login(mail_gql, "inv@example.com", "chosen-pw"))["__typename"] == "LoginPayload"
    again = await mail_gql.backend(CREATE, {"input": {"email": "INV@example.com"}})
    assert code(again["data"]["createMember"]) == 3033
    assert code((await mail_gql.backend(CREATE, {"input": {"email": "bad"}}))["data"]["createMember"]) == 3040


async def test_change_password(mail_gql: GraphQLClient) -> None:
    await register(mail_gql, "cp@example.com", "first-pw")
    keep = (await login(mail_gql, "cp@example.com", "first-pw"))["sessionToken"]
    other = (await login(mail_gql, "cp@example.com", "first-pw"))["sessionToken"]
    assert (
        code((await mail_gql.anonymous(CHANGE, {"old": "first-pw", "new": "second-pw"}))["data"]["changePassword"])
        == 3028
    )
    assert (
        code((await mail_gql.member(keep, CHANGE, {"old": "wrong", "new": "second-pw"}))["data"]["changePassword"])
        == 3055
    )
    assert (
        code((await mail_gql.member(keep, CHANGE, {"old": "first-pw", "new": "x"}))["data"]["changePassword"]) == 3200
    )
    assert (await mail_gql.member(keep, CHANGE, {"old": "first-pw", "new": "second-pw"}))["data"]["changePassword"][
        "__typename"
    ] == "ChangePasswordPayload"
    assert (await mail_gql.member(keep, CURRENT_MEMBER))["data"]["currentMember"] is not None
    assert (await mail_gql.member(other, CURRENT_MEMBER))["data"]["currentMember"] is None
    newer = (await login(mail_gql, "cp@example.com", "second-pw"))["sessionToken"]
    # Changing it again from the newer session keeps that one and ends the one kept before.
    changed = await mail_gql.member(newer, CHANGE, {"old": "second-pw", "new": "third-pw"})
    assert changed["data"]["changePassword"]["__typename"] == "ChangePasswordPayload"
    assert (await mail_gql.member(newer, CURRENT_MEMBER))["data"]["currentMember"] is not None
    assert (await mail_gql.member(keep, CURRENT_MEMBER))["data"]["currentMember"] is None


async def test_guest_login_and_conversion(mail_gql: GraphQLClient) -> None:
    guest = (await mail_gql.anonymous(GUEST))["data"]["loginAsGuest"]
    assert guest["member"]["status"] == "GUEST"
    me = await mail_gql.member(guest["sessionToken"], "{ currentMember { id status loginEmail } }")
    assert me["data"]["currentMember"] == {"id": guest["member"]["id"], "status": "GUEST", "loginEmail": None}
    stranger = (await mail_gql.anonymous(GUEST))["data"]["loginAsGuest"]
    options = {"guestId": guest["member"]["id"], "contactInfo": {"firstName": "Gus"}}
    variables = {"email": "gus@example.com", "password": "wonderland", "options": options}
    from tests.integration.documents import REGISTER

    assert code((await mail_gql.anonymous(REGISTER, variables))["data"]["register"]) == 3206
    assert code((await mail_gql.member(stranger["sessionToken"], REGISTER, variables))["data"]["register"]) == 3206
    converted = (await mail_gql.member(guest["sessionToken"], REGISTER, variables))["data"]["register"]
    assert converted["status"] == "ACTIVE" and converted["member"]["id"] == guest["member"]["id"]
    assert converted["member"]["status"] == "APPROVED" and converted["member"]["profile"]["nickname"] == "Gus"
    again = await mail_gql.member(guest["sessionToken"], REGISTER, {**variables, "email": "gus2@example.com"})
    assert code(again["data"]["register"]) == 3206
    assert (await login(mail_gql, "gus@example.com"))["__typename"] == "LoginPayload"
    await settings(mail_gql, enabled=False)
    assert code((await mail_gql.anonymous(GUEST))["data"]["loginAsGuest"]) == 3009


async def test_update_member(mail_gql: GraphQLClient) -> None:
    a = await register(mail_gql, "a@example.com", contactInfo={"firstName": "Ann"})
    b = await register(mail_gql, "b@example.com", contactInfo={"firstName": "Bea"})
    a_id, b_id = a["member"]["id"], b["member"]["id"]
    own = await mail_gql.member(
        a["sessionToken"],
        UPDATE,
        {
            "id": a_id,
            "input": {"title": "Chef", "privacyStatus": "PUBLIC", "nickname": "Annie", "customFields": {"hobby": "x"}},
        },
    )
    member = own["data"]["updateMember"]["member"]
    assert (member["profile"]["title"], member["privacyStatus"], member["profile"]["nickname"]) == (
        "Chef",
        "PUBLIC",
        "Annie",
    )
    assert member["contact"]["customFields"] == {"hobby": "x"} and member["contact"]["firstName"] == "Ann"
    # B is PRIVATE: to A it answers exactly as a member that does not exist.
    hidden = await mail_gql.member(a["sessionToken"], UPDATE, {"id": b_id, "input": {"title": "x"}})
    absent = await mail_gql.member(a["sessionToken"], UPDATE, {"id": str(uuid.uuid4()), "input": {"title": "x"}})
    assert hidden == absent and code(hidden["data"]["updateMember"]) == 3030
    # Once B is public, A may see it but still not change it.
    await mail_gql.member(b["sessionToken"], UPDATE, {"id": b_id, "input": {"privacyStatus": "PUBLIC"}})
    other = await mail_gql.member(a["sessionToken"], UPDATE, {"id": b_id, "input": {"title": "x"}})
    assert code(other["data"]["updateMember"]) == 3029
    clash = await mail_gql.backend(UPDATE, {"id": b_id, "input": {"slug": a["member"]["profile"]["slug"]}})
    assert code(clash["data"]["updateMember"]) == 3205
    bad_slug = await mail_gql.backend(UPDATE, {"id": b_id, "input": {"slug": "Not A Slug"}})
    assert code(bad_slug["data"]["updateMember"]) == 3209
    fine = await mail_gql.backend(UPDATE, {"id": b_id, "input": {"slug": "bea-2", "lastName": "Lee"}})
    assert fine["data"]["updateMember"]["member"]["profile"]["slug"] == "bea-2"
    assert (
        code(
            (await mail_gql.backend(UPDATE, {"id": "00000000-0000-0000-0000-000000000000", "input": {}}))["data"][
                "updateMember"
            ]
        )
        == 3030
    )
    reserved = await mail_gql.backend(UPDATE, {"id": b_id, "input": {"customFields": {"id": 1}}})
    assert code(reserved["data"]["updateMember"]) == 3039


async def test_change_login_email(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    a = (await register(mail_gql, "old@example.com"))["member"]
    await register(mail_gql, "taken@example.com")
    assert (
        code(
            (await mail_gql.anonymous(CHANGE_EMAIL, {"id": a["id"], "email": "n@example.com"}))["data"][
                "changeLoginEmail"
            ]
        )
        == 3029
    )
    assert (
        code(
            (await mail_gql.backend(CHANGE_EMAIL, {"id": a["id"], "email": "TAKEN@example.com"}))["data"][
                "changeLoginEmail"
            ]
        )
        == 3033
    )
    assert (
        code((await mail_gql.backend(CHANGE_EMAIL, {"id": a["id"], "email": "bad"}))["data"]["changeLoginEmail"])
        == 3040
    )
    await settings(mail_gql, emailConfirmation=True)
    changed = (await mail_gql.backend(CHANGE_EMAIL, {"id": a["id"], "email": "new@example.com"}))["data"][
        "changeLoginEmail"
    ]
    assert changed["member"] == {"loginEmail": "new@example.com", "loginEmailVerified": False}
    assert code(await login(mail_gql, "new@example.com")) == 3087
    assert code(await login(mail_gql, "old@example.com")) == 3003
    [mail] = await mailbox.wait_for("new@example.com")
    await mail_gql.http.get(link_in(mail))
    assert (await login(mail_gql, "new@example.com"))["__typename"] == "LoginPayload"


async def test_delete_member_keeps_contact_and_events(mail_gql: GraphQLClient) -> None:
    a = await register(mail_gql, "del@example.com")
    member_id, contact_id = a["member"]["id"], a["member"]["contactId"]
    assert code((await mail_gql.member(a["sessionToken"], DELETE, {"id": member_id}))["data"]["deleteMember"]) == 3029
    assert (await mail_gql.backend(DELETE, {"id": member_id}))["data"]["deleteMember"]["member"]["id"] == member_id
    assert await Member.filter(id=member_id).count() == 0
    assert await Contact.filter(id=contact_id).count() == 1
    assert (await mail_gql.member(a["sessionToken"], CURRENT_MEMBER))["data"]["currentMember"] is None
    assert code((await mail_gql.backend(DELETE, {"id": member_id}))["data"]["deleteMember"]) == 3030
    kinds = [
        e["node"]["kind"] for e in (await mail_gql.backend(EVENTS, {"id": member_id}))["data"]["memberEvents"]["edges"]
    ]
    assert kinds == ["REGISTERED", "DELETED"]
    # The email is free again, but the kept contact is the site's now, detached from the address:
    # a new registrant of it never receives it, even after proving the address.
    assert (await Contact.get(id=contact_id)).email_key is None
    again = await register(mail_gql, "del@example.com")
    assert again["member"]["contactId"] != contact_id


async def test_events_record_actor_and_page(mail_gql: GraphQLClient) -> None:
    await settings(mail_gql, approval="MANUAL")
    registered = await register(mail_gql, "ev@example.com", backend=True)
    member_id = registered["member"]["id"]
    approved = await mail_gql.anonymous(
        "mutation ($t: String!) { approveByToken(token: $t) { ... on SessionPayload { sessionToken } } }",
        {"t": registered["approvalToken"]},
    )
    session = approved["data"]["approveByToken"]["sessionToken"]
    await mail_gql.member(session, UPDATE, {"id": member_id, "input": {"title": "T"}})
    await mail_gql.backend('mutation { blockByEmail(email: "ev@example.com") { __typename } }')
    await mail_gql.backend('mutation { approveByEmail(email: "ev@example.com") { __typename } }')
    page = (await mail_gql.backend(EVENTS, {"id": member_id, "first": 3}))["data"]["memberEvents"]
    nodes = [e["node"] for e in page["edges"]]
    assert [(n["kind"], n["actor"]) for n in nodes] == [
        ("REGISTERED", "BACKEND"),
        ("APPROVED", "ANONYMOUS"),
        ("PROFILE_UPDATED", "MEMBER"),
    ]
    assert nodes[2]["actorMemberId"] == member_id and nodes[2]["data"] == {"fields": ["title"]}
    after = page["pageInfo"]["endCursor"]
    rest = (await mail_gql.backend(EVENTS, {"id": member_id, "after": after}))["data"]["memberEvents"]
    assert [e["node"]["kind"] for e in rest["edges"]] == ["BLOCKED", "UNBLOCKED"]
    assert not rest["pageInfo"]["hasNextPage"] and rest["totalCount"] == 5
    newest = (await mail_gql.backend(EVENTS, {"id": member_id, "last": 2}))["data"]["memberEvents"]
    assert [e["node"]["kind"] for e in newest["edges"]] == ["BLOCKED", "UNBLOCKED"]  # still oldest first
    denied = await mail_gql.anonymous(EVENTS, {"id": member_id})
    assert denied["data"] == {"memberEvents": None} and denied["errors"][0]["extensions"]["code"] == 3029


async def test_outbox_row_rolls_back_with_its_transaction(mail_app, mailbox: Mailbox) -> None:
    from gql.db.transactions import in_transaction
    from gql.domain.outbox import queue_email

    services = mail_app.state.services
    member = Member(login_email="rb@example.com", nickname="rb")
    try:
        async with in_transaction() as connection:
            await queue_email(services, connection, "member_approved", member)
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert await OutboxMessage.all().count() == 0
    await queue_email(services, None, "member_approved", member)
    await mailbox.wait_for("rb@example.com")

    # The worker marks the row after the SMTP server has taken the mail: wait for that, with a deadline.
    async def sent() -> bool:
        return (await OutboxMessage.get()).status == "SENT"

    await until(sent, "the outbox row marked SENT", timeout=10, every=0.02)
    assert (await OutboxMessage.get()).status == "SENT"


async def test_approval_sends_welcome_mail(mail_gql: GraphQLClient, mailbox: Mailbox) -> None:
    await settings(mail_gql, approval="MANUAL")
    await register(mail_gql, "w@example.com")
    await mail_gql.backend('mutation { approveByEmail(email: "w@example.com") { __typename } }')
    [mail] = await mailbox.wait_for("w@example.com")
    assert mail["Subject"].startswith("Welcome to")


async def test_events_of_login_are_not_recorded_but_failed_registration_leaves_nothing(mail_gql: GraphQLClient) -> None:
    await register(mail_gql, "q@example.com")
    await register(mail_gql, "Q@example.com")  # 3033
    await mail_gql.anonymous(LOGIN, {"identity": "q@example.com", "password": "wonderland"})
    assert await MemberEvent.all().count() == 1
