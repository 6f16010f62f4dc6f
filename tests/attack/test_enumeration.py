"""Account enumeration by answers, hash counts and the work each hash does.

The login tests run the app in-process (``gql`` fixture: HTTP requests through the ASGI app)
so they can count the password hashes the server computes (``PasswordHasher.computations``)
and see what each bcrypt check works on: over a socket only time would show them, and time
is noisy. The tests of ``updateMember``
and guest conversion need no count: they attack a real server process over HTTP, where
the answers alone must not tell who exists (issue 9, items 9 and 15).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import bcrypt
import httpx
import pytest

from gql.config import Config
from gql.domain.services import Services
from tests.attack.conftest import (
    ADMIN_KEY,
    Client,
    StartServer,
    manual_approval,
    query_database,
    register,
    unique_email,
)
from tests.conftest import GraphQLClient

LOGIN = """mutation ($identity: String!, $password: String!) {
  login(identity: $identity, password: $password) {
    __typename ... on SessionPayload { sessionToken } ... on Error { code message } ... on AccountLockedError { retryAfter }
  } }"""
REGISTER = """mutation ($email: String!, $password: String!) {
  register(email: $email, password: $password) { __typename ... on RegisterPayload { status } ... on Error { code } } }"""
SETTINGS = (
    """mutation ($input: RegistrationSettingsInput!) { updateRegistrationSettings(input: $input) { __typename } }"""
)
BLOCK = """mutation ($email: String!) { blockByEmail(email: $email) { __typename } }"""
RESET = """mutation ($email: String!) { requestPasswordReset(email: $email) { __typename ... on Error { code message } } }"""
PASSWORD = "correct horse"


async def login(gql: GraphQLClient, identity: str, password: str) -> dict:
    body = await gql.anonymous(LOGIN, {"identity": identity, "password": password})
    assert "errors" not in body, body
    return body["data"]["login"]


async def hashes_for(services: Services, gql: GraphQLClient, identity: str, password: str) -> tuple[dict, int]:
    before = services.hasher.computations
    answer = await login(gql, identity, password)
    return answer, services.hasher.computations - before


async def make_member(gql: GraphQLClient, email: str, *, backend: bool = False) -> None:
    send = gql.backend if backend else gql.anonymous
    body = await send(REGISTER, {"email": email, "password": PASSWORD})
    assert body["data"]["register"]["__typename"] == "RegisterPayload", body


async def test_unknown_identity_and_wrong_password_answer_alike_with_one_hash_each(
    gql: GraphQLClient, services: Services
) -> None:
    await make_member(gql, "known@example.com")
    unknown, unknown_hashes = await hashes_for(services, gql, "nobody@example.com", "wrong password")
    wrong, wrong_hashes = await hashes_for(services, gql, "known@example.com", "wrong password")
    assert (
        unknown
        == wrong
        == {"__typename": "InvalidCredentialsError", "code": 3003, "message": "Invalid login or password."}
    )
    assert unknown_hashes == wrong_hashes == 1
    right, right_hashes = await hashes_for(services, gql, "known@example.com", PASSWORD)
    assert right["__typename"] == "LoginPayload" and right_hashes == 1


async def test_blocked_pending_and_locked_accounts_cost_one_hash_too(gql: GraphQLClient, services: Services) -> None:
    await make_member(gql, "blocked@example.com")
    await gql.backend(BLOCK, {"email": "blocked@example.com"})
    await gql.backend(SETTINGS, {"input": {"approval": "MANUAL"}})
    await make_member(gql, "pending@example.com", backend=True)
    for identity, password in (
        ("blocked@example.com", "wrong password"),
        ("blocked@example.com", PASSWORD),
        ("pending@example.com", "wrong password"),
        ("pending@example.com", PASSWORD),
    ):
        _, hashes = await hashes_for(services, gql, identity, password)
        assert hashes == 1, identity
    # Wrong passwords on blocked or pending accounts say nothing about their status.
    assert (await login(gql, "blocked@example.com", "wrong password"))["code"] == 3003
    assert (await login(gql, "pending@example.com", "wrong password"))["code"] == 3003

    for i in range(10):
        await login(gql, "pending@example.com", f"guess {i}")
    locked, hashes = await hashes_for(services, gql, "pending@example.com", PASSWORD)
    assert locked["code"] == 3036 and hashes == 1
    ghost_answers = [await hashes_for(services, gql, "ghost@example.com", f"guess {i}") for i in range(11)]
    assert ghost_answers[-1][0]["code"] == 3036 and {h for _, h in ghost_answers} == {1}


async def test_empty_credentials_cost_no_hash_for_anyone(gql: GraphQLClient, services: Services) -> None:
    await make_member(gql, "known@example.com")
    for identity in ("known@example.com", "nobody@example.com", " "):
        answer, hashes = await hashes_for(services, gql, identity, "")
        assert answer["code"] == 3006 and hashes == 0


@pytest.fixture
def settings(settings: Config) -> Config:
    # Not the suite's cost (4): a stand-in hash made at a fixed cost would show as other work.
    return replace(settings, bcrypt_cost=5)


async def test_unknown_and_known_identities_do_the_same_bcrypt_work(
    gql: GraphQLClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a response's time is made of, asserted instead of measured (a wall-clock ratio flakes on
    a busy machine): one bcrypt check either way, against a hash of the same algorithm and cost."""
    await make_member(gql, "known@example.com")
    checked: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def recording_checkpw(password: bytes, hashed: bytes) -> bool:
        checked.append(hashed[:7])  # "$2b$04$": the algorithm and the cost, i.e. the work done
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", recording_checkpw)
    work = {}
    for identity in ("known@example.com", "nobody@example.com", "nobody-else@example.com"):
        checked.clear()
        answer = await login(gql, identity, "wrong password")
        assert answer["code"] == 3003, answer
        work[identity] = list(checked)
    expected = [f"$2b${services.config.bcrypt_cost:02d}$".encode()]
    assert work == {identity: expected for identity in work}, work


async def test_password_reset_requests_answer_the_same_either_way(gql: GraphQLClient) -> None:
    await make_member(gql, "known@example.com")
    known = await gql.anonymous(RESET, {"email": "known@example.com"})
    unknown = await gql.anonymous(RESET, {"email": "nobody@example.com"})
    assert known == unknown == {"data": {"requestPasswordReset": {"__typename": "RequestPasswordResetPayload"}}}


# --- over HTTP against a real server: hidden members answer like absent ones -------------------

UPDATE_MEMBER = """mutation ($id: ID!, $input: UpdateMemberInput!) {
  updateMember(id: $id, input: $input) {
    __typename ... on MemberPayload { member { id } } ... on Error { code message }
    ... on MemberNotFoundError { property } ... on NotAllowedError { property }
  } }"""
REGISTER_AS = """mutation ($email: String!, $privacy: PrivacyStatus!) {
  register(email: $email, password: "correct horse", options: {privacyStatus: $privacy}) {
    __typename ... on RegisterPayload { member { id status } } ... on Error { code message } } }"""
NOT_FOUND = {"__typename": "MemberNotFoundError", "code": 3030, "message": "No such member.", "property": "id"}
GUEST_LOGIN = "mutation { loginAsGuest { __typename ... on SessionPayload { sessionToken member { id status } } } }"
CONVERT = """mutation ($email: String!, $password: String!, $guestId: ID!) {
  register(email: $email, password: $password, options: {guestId: $guestId}) {
    __typename ... on RegisterPayload { member { id } } ... on Error { code message }
    ... on NotConvertibleError { property }
  } }"""


async def update_member(client: Client, member_id: str, **auth: str | None) -> dict[str, Any]:
    """The whole ``data.updateMember`` answer to an attempt to change ``member_id``'s title."""
    return await client.field(UPDATE_MEMBER, {"id": member_id, "input": {"title": "pwned"}}, **auth)


async def test_update_member_answers_alike_for_hidden_unknown_and_malformed_ids(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server()
    client = Client(http, server.graphql_url)
    attacker = await register(client, unique_email("attacker"))
    private = await register(client, unique_email("private"))  # PRIVATE, approved
    public = await client.field(REGISTER_AS, {"email": unique_email("public"), "privacy": "PUBLIC"})
    await manual_approval(client)
    # PUBLIC, but pending approval: hidden all the same.
    pending = await client.field(REGISTER_AS, {"email": unique_email("pending"), "privacy": "PUBLIC"})
    assert pending["member"]["status"] == "PENDING", pending
    targets = {
        "private member": private["member"]["id"],
        "pending member": pending["member"]["id"],
        "random uuid": str(uuid.uuid4()),
        "malformed id": "not-a-member-id",
    }
    session = attacker["sessionToken"]
    for caller, auth in (("member", {"token": session}), ("anonymous", {})):
        answers = {name: await update_member(client, member_id, **auth) for name, member_id in targets.items()}
        assert all(answer == NOT_FOUND for answer in answers.values()), (caller, answers)
        # A member the caller may see (PUBLIC and approved) but not change: 3029, not 3030.
        visible = await update_member(client, public["member"]["id"], **auth)
        assert visible["__typename"] == "NotAllowedError" and visible["code"] == 3029, (caller, visible)
    # The member's own record and the backend are still allowed.
    own = await update_member(client, attacker["member"]["id"], token=session)
    assert own == {"__typename": "UpdateMemberPayload", "member": {"id": attacker["member"]["id"]}}, own
    by_backend = await update_member(client, pending["member"]["id"], api_key=ADMIN_KEY)
    assert by_backend["__typename"] == "UpdateMemberPayload", by_backend
    # Nothing was written to the members the attacker tried.
    for member_id in (private["member"]["id"], public["member"]["id"]):
        (row,) = query_database(server.database_url, f"SELECT title FROM member WHERE id = '{member_id}'")
        assert row["title"] is None, member_id


async def test_guest_conversion_answers_alike_for_every_id_that_is_not_the_callers_guest(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server()
    client = Client(http, server.graphql_url)
    victim = await client.field(GUEST_LOGIN)
    other_guest = await client.field(GUEST_LOGIN)
    member = await register(client, unique_email("member"))
    targets = {
        "someone else's guest": victim["member"]["id"],
        "random uuid": str(uuid.uuid4()),
        "a regular member": member["member"]["id"],
        "malformed id": "not-a-guest-id",
    }
    callers = {
        "anonymous": {},
        "another guest": {"token": other_guest["sessionToken"]},
        "a member": {"token": member["sessionToken"]},
    }
    answers = {
        (caller, name): await client.field(
            CONVERT, {"email": unique_email("convert"), "password": "correct horse", "guestId": guest_id}, **auth
        )
        for caller, auth in callers.items()
        for name, guest_id in targets.items()
    }
    first = next(iter(answers.values()))
    assert first["__typename"] == "NotConvertibleError" and first["code"] == 3206, first
    assert all(answer == first for answer in answers.values()), answers
    # The victim is still a guest, and its own session may still convert it.
    status = await client.field("{ currentMember { status } }", token=victim["sessionToken"])
    assert status == {"status": "GUEST"}
    converted = await client.field(
        CONVERT,
        {"email": unique_email("own"), "password": "correct horse", "guestId": victim["member"]["id"]},
        token=victim["sessionToken"],
    )
    assert converted == {"__typename": "RegisterPayload", "member": {"id": victim["member"]["id"]}}, converted
