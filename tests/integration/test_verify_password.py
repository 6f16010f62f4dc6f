"""verifyPassword (issue 12 §7, Backendless): a step-up check counted exactly like a login — the
same rate-limit bucket, the same lockout per account and address — on SQLite and PostgreSQL.
Lock lengths are checked to the second with a clock the test moves; over HTTP against a real
server in tests/attack/test_verify_password.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from gql.domain import reauthentication, sessions
from gql.domain.caller import Caller, CallerKind, anonymous
from gql.domain.errors import DomainError
from gql.domain.services import Services
from tests.clock import ManualClock
from tests.conftest import GraphQLClient
from tests.integration.documents import (
    GENERATE_SESSION_TOKEN,
    LOGIN,
    VERIFY_PASSWORD,
    events_of,
    register,
)
from tests.integration.test_statement_budgets import summary
from tests.logs import StatementCounter

PASSWORD = "wonderland"
OWNER, ATTACKER = "203.0.113.1", "198.51.100.66"
Answer = tuple[int, int | None] | str


async def verify(gql: GraphQLClient, token: str, password: str) -> dict:
    body = await gql.member(token, VERIFY_PASSWORD, {"password": password})
    assert "errors" not in body, body
    return body["data"]["verifyPassword"]


async def test_the_right_password_is_verified_and_audited(gql: GraphQLClient) -> None:
    registered = await register(gql, "step@example.com")
    verified = await verify(gql, registered["sessionToken"], PASSWORD)
    assert verified["__typename"] == "VerifyPasswordPayload"
    assert verified["member"]["id"] == registered["member"]["id"]
    # Honoured as a login is: the same stamp.
    assert datetime.fromisoformat(verified["verifiedDate"]) == datetime.fromisoformat(
        verified["member"]["lastLoginDate"]
    )
    events = [(e["kind"], e["actor"], e["actorMemberId"]) for e in await events_of(gql, registered["member"]["id"])]
    assert events[-1] == ("PASSWORD_VERIFIED", "MEMBER", registered["member"]["id"])


async def test_refusals(gql: GraphQLClient) -> None:
    registered = await register(gql, "refused@example.com")
    token = registered["sessionToken"]
    wrong = await verify(gql, token, "not it")
    assert (wrong["__typename"], wrong["code"], wrong["property"]) == ("InvalidCredentialsError", 3003, "password")
    empty = await verify(gql, token, "")
    assert (empty["__typename"], empty["code"]) == ("EmptyCredentialsError", 3006)
    for send in (gql.anonymous, gql.backend):  # a session is needed: the backend is nobody's
        result = (await send(VERIFY_PASSWORD, {"password": PASSWORD}))["data"]["verifyPassword"]
        assert (result["__typename"], result["code"]) == ("NotLoggedInError", 3028), result
    # A guest, and a member made by trusted sign-in, have no password: nothing matches.
    guest = (await gql.anonymous("mutation { loginAsGuest { ... on SessionPayload { sessionToken } } }"))["data"]
    assert (await verify(gql, guest["loginAsGuest"]["sessionToken"], PASSWORD))["code"] == 3003
    trusted = (await gql.backend(GENERATE_SESSION_TOKEN, {"email": "sso@example.com"}))["data"]["generateSessionToken"]
    assert (await verify(gql, trusted["sessionToken"], PASSWORD))["code"] == 3003
    # No event for a refusal.
    assert [e["kind"] for e in await events_of(gql, registered["member"]["id"])] == ["REGISTERED"]


async def check(services: Services, member_id: str, address: str, password: str = PASSWORD) -> Answer:
    caller = Caller(CallerKind.MEMBER, member_id=uuid.UUID(member_id), address=address)
    try:
        await reauthentication.verify_password(services, caller, password)
    except DomainError as error:
        return int(error.code), error.details.get("retry_after")
    return "verified"


async def log_in(services: Services, address: str, identity: str, password: str = PASSWORD) -> Answer:
    try:
        await sessions.login(services, anonymous(address), identity, password)
    except DomainError as error:
        return int(error.code), error.details.get("retry_after")
    return "session"


async def test_wrong_passwords_lock_the_address_out_of_the_account_like_logins(
    gql: GraphQLClient, clocked: Services, clock: ManualClock
) -> None:
    email = "locked@example.com"
    member_id = (await register(gql, email))["member"]["id"]
    assert [await check(clocked, member_id, ATTACKER, f"guess-{i}") for i in range(3)] == [(3003, None)] * 3
    # Locked out: the right password is refused too, by verifyPassword and by login, from that address.
    assert await check(clocked, member_id, ATTACKER) == (3036, 60)
    assert await log_in(clocked, ATTACKER, email) == (3036, 60)
    # The owner, elsewhere, is not affected.
    assert await check(clocked, member_id, OWNER) == "verified"
    assert await log_in(clocked, OWNER, email) == "session"
    clock.advance(60)
    assert await check(clocked, member_id, ATTACKER) == "verified"


async def test_logins_and_verifications_count_together(
    gql: GraphQLClient, clocked: Services, clock: ManualClock
) -> None:
    email = "mixed@example.com"
    member_id = (await register(gql, email))["member"]["id"]
    assert await log_in(clocked, ATTACKER, email, "guess-1") == (3003, None)
    assert await check(clocked, member_id, ATTACKER, "guess-2") == (3003, None)
    assert await log_in(clocked, ATTACKER, email, "guess-3") == (3003, None)  # the third failure locks...
    assert await check(clocked, member_id, ATTACKER) == (3036, 60)  # ...for both
    assert await log_in(clocked, ATTACKER, email) == (3036, 60)
    clock.advance(60)
    # A right verification restarts the count, as a login does: two more failures do not lock.
    assert await check(clocked, member_id, ATTACKER) == "verified"
    assert [await check(clocked, member_id, ATTACKER, f"again-{i}") for i in range(2)] == [(3003, None)] * 2
    assert await check(clocked, member_id, ATTACKER) == "verified"


async def test_many_locked_addresses_lock_the_account_for_everyone(
    gql: GraphQLClient, clocked: Services, clock: ManualClock
) -> None:
    member_id = (await register(gql, "everyone@example.com"))["member"]["id"]
    for n in range(3):
        answers = [await check(clocked, member_id, f"198.51.100.{n + 1}", f"g{i}") for i in range(3)]
        assert answers == [(3003, None)] * 3
    assert await check(clocked, member_id, OWNER) == (3036, 60)
    clock.advance(60)
    assert await check(clocked, member_id, OWNER) == "verified"


async def test_it_spends_the_login_bucket(limited: GraphQLClient) -> None:
    token = (await register(limited, "bucket@example.com"))["sessionToken"]
    login = await limited.anonymous(LOGIN, {"identity": "bucket@example.com", "password": PASSWORD})
    assert login["data"]["login"]["__typename"] == "LoginPayload"
    for _ in range(2):
        assert (await verify(limited, token, PASSWORD))["__typename"] == "VerifyPasswordPayload"
    refused = await verify(limited, token, PASSWORD)
    assert (refused["__typename"], refused["code"]) == ("RateLimitedError", 3207) and refused["retryAfter"] >= 1
    again = await limited.anonymous(LOGIN, {"identity": "bucket@example.com", "password": PASSWORD})
    assert again["data"]["login"]["code"] == 3207  # one bucket for both


async def test_statements_of_a_verification(gql: GraphQLClient, sql_statements: StatementCounter) -> None:
    token = (await register(gql, "count@example.com"))["sessionToken"]
    sql_statements.statements.clear()
    assert (await verify(gql, token, PASSWORD))["__typename"] == "VerifyPasswordPayload"
    assert summary(sql_statements.statements) == [
        "SELECT session",  # the caller's session (the member is checked in its join)
        "SELECT registration_settings",  # the site's MFA policy, for a session without a second factor (cached
        # per process in production: MEMBERS_SETTINGS_CACHE_SECONDS; the suite does not cache)
        "SELECT member",  # the member
        "UPDATE member",  # honoured unless locked, as a login (and stamped)
        "INSERT member_event",
    ]
