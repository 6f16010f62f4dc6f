"""Trusted sign-in (issue 12 §4, Wix generateSessionToken): a session for the member with an
email, creating the member when there is none, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from gql.db.models import Contact, Member, OutboxMessage
from tests.conftest import GraphQLClient
from tests.integration.documents import (
    BLOCK_BY_EMAIL,
    CURRENT_MEMBER,
    GENERATE_SESSION_TOKEN,
    code,
    events_of,
    login,
    register,
    settings,
)
from tests.integration.test_statement_budgets import summary
from tests.logs import StatementCounter


async def trusted(gql: GraphQLClient, email: str) -> dict:
    body = await gql.backend(GENERATE_SESSION_TOKEN, {"email": email})
    assert "errors" not in body, body
    return body["data"]["generateSessionToken"]


async def test_creates_an_approved_verified_member_without_a_password(gql: GraphQLClient) -> None:
    # Manual approval and email confirmation on: neither holds back a trusted sign-in.
    await settings(gql, approval="MANUAL", emailConfirmation=True)
    signed_in = await trusted(gql, "  Third.Party@Example.com ")
    assert signed_in["__typename"] == "GenerateSessionTokenPayload" and signed_in["created"] is True
    member = signed_in["member"]
    assert member["loginEmail"] == "Third.Party@example.com"
    assert (member["status"], member["loginEmailVerified"], member["privacyStatus"]) == ("APPROVED", True, "PRIVATE")
    assert member["profile"]["nickname"] == "Third.Party"
    # The session works at once.
    me = await gql.member(signed_in["sessionToken"], CURRENT_MEMBER)
    assert me["data"]["currentMember"]["id"] == member["id"]
    # No password hash is stored: no password matches (the same answer as a wrong one).
    row = await Member.get(id=member["id"])
    assert row.password_hash is None and row.confirm_jti is None
    assert code(await login(gql, "third.party@example.com", "")) == 3006
    assert code(await login(gql, "third.party@example.com", "anything at all")) == 3003
    # Counted as verified: no confirmation mail is queued for it.
    assert await OutboxMessage.filter(recipient="Third.Party@example.com").count() == 0
    events = await events_of(gql, member["id"])
    assert [(e["kind"], e["actor"], e["data"]) for e in events] == [
        ("TRUSTED_SIGN_IN", "BACKEND", {"created": True, "confirmed": True})
    ]


async def test_signs_in_the_existing_member_and_audits_each_time(gql: GraphQLClient) -> None:
    registered = await register(gql, "known@example.com")
    first = await trusted(gql, "KNOWN@example.com")
    second = await trusted(gql, "known@example.com")
    assert first["created"] is False and second["created"] is False
    assert first["member"]["id"] == second["member"]["id"] == registered["member"]["id"]
    assert first["sessionToken"] != second["sessionToken"]
    for token in (first["sessionToken"], second["sessionToken"], registered["sessionToken"]):
        assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"]["loginEmail"] == "known@example.com"
    # Its password still works: nothing about it changed.
    assert (await login(gql, "known@example.com"))["__typename"] == "LoginPayload"
    kinds = [(e["kind"], e["data"]) for e in await events_of(gql, registered["member"]["id"])]
    assert kinds == [
        ("REGISTERED", {"fromGuest": False}),
        ("TRUSTED_SIGN_IN", {"created": False, "confirmed": True}),  # it was not verified before
        ("TRUSTED_SIGN_IN", {"created": False, "confirmed": False}),
    ]


async def test_confirms_a_member_that_waits_for_confirmation(gql: GraphQLClient) -> None:
    await settings(gql, emailConfirmation=True)
    registered = await register(gql, "waiting@example.com")
    assert registered["status"] == "EMAIL_CONFIRMATION_PENDING"
    assert code(await login(gql, "waiting@example.com")) == 3087
    signed_in = await trusted(gql, "waiting@example.com")
    assert signed_in["created"] is False and signed_in["member"]["loginEmailVerified"] is True
    assert (await gql.member(signed_in["sessionToken"], CURRENT_MEMBER))["data"]["currentMember"] is not None
    # The third party vouched for the address: the password works from now on too.
    assert (await login(gql, "waiting@example.com"))["__typename"] == "LoginPayload"


async def test_blocked_and_pending_members_are_refused(gql: GraphQLClient) -> None:
    await register(gql, "blocked@example.com")
    assert (await gql.backend(BLOCK_BY_EMAIL, {"email": "blocked@example.com"}))["data"]["blockByEmail"][
        "__typename"
    ] == "BlockByEmailPayload"
    await settings(gql, approval="MANUAL")
    pending = await register(gql, "pending@example.com")
    blocked = await trusted(gql, "blocked@example.com")
    assert (blocked["__typename"], blocked["code"]) == ("LoginDisabledError", 3000)
    waiting = await trusted(gql, "pending@example.com")
    assert (waiting["__typename"], waiting["code"]) == ("PendingApprovalError", 3204)
    # Nothing was recorded or changed for the refused ones.
    assert [e["kind"] for e in await events_of(gql, pending["member"]["id"])] == ["REGISTERED"]
    assert (await Member.get(id=pending["member"]["id"])).status == "PENDING"


async def test_only_a_holder_of_both_permissions_may(gql: GraphQLClient) -> None:
    member = await register(gql, "plain@example.com")
    for send in (gql.anonymous, lambda q, v: gql.member(member["sessionToken"], q, v)):
        body = await send(GENERATE_SESSION_TOKEN, {"email": "plain@example.com"})
        result = body["data"]["generateSessionToken"]
        assert (result["__typename"], result["code"]) == ("NotAllowedError", 3029), result
    assert await Member.filter(email_key="new@example.com").count() == 0
    result = await trusted(gql, "not an email")
    assert (result["__typename"], result["code"]) == ("EmailFormatError", 3040)


async def test_creating_needs_the_email_to_be_the_identity(gql: GraphQLClient) -> None:
    await settings(gql, declaredProperties=[{"name": "username"}], identityProperty="username")
    refused = await trusted(gql, "nobody@example.com")
    assert (refused["__typename"], refused["code"]) == ("RegistrationError", 3021)
    assert await Member.all().count() == 0


async def test_concurrent_calls_for_a_new_email_make_one_member(gql: GraphQLClient) -> None:
    answers = await asyncio.gather(*(trusted(gql, "race@example.com") for _ in range(4)))
    assert {a["__typename"] for a in answers} == {"GenerateSessionTokenPayload"}, answers
    assert len({a["member"]["id"] for a in answers}) == 1
    assert [a["created"] for a in answers].count(True) == 1
    assert await Member.filter(email_key="race@example.com").count() == 1
    assert await Contact.filter(email_key="race@example.com").count() == 1  # no stray contact


async def test_takes_over_the_sites_unowned_contact_of_the_address(gql: GraphQLClient) -> None:
    """The address is proved (the trusted caller vouches): the site's contact of it becomes the member's,
    as after a confirmation link."""
    crm = await Contact.create(email_key="crm@example.com", first_name="Known", company="Acme")
    signed_in = await trusted(gql, "crm@example.com")
    member = signed_in["member"]
    assert signed_in["created"] is True and member["contactId"] == str(crm.id)
    assert (member["contact"]["firstName"], member["contact"]["company"]) == ("Known", "Acme")
    assert await Contact.filter(email_key="crm@example.com").count() == 1  # the interim contact is gone


async def test_statements_of_a_sign_in(gql: GraphQLClient, sql_statements: StatementCounter) -> None:
    await trusted(gql, "counted@example.com")  # created (and verified) by the first call
    sql_statements.statements.clear()
    assert (await trusted(gql, "counted@example.com"))["created"] is False
    # The member, the audit row, and the session row the sign-in opens.
    assert summary(sql_statements.statements) == ["SELECT member", "INSERT member_event", "INSERT session"]
