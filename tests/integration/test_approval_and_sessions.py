"""Approval, blocking, login and logout on a real database."""

from __future__ import annotations

import asyncio
import uuid

from gql.db.models import Member, Session
from gql.domain.tokens import Purpose, SignedTokens, session_token_hash
from tests.conftest import SECRET, GraphQLClient
from tests.integration.documents import (
    APPROVE_BY_EMAIL,
    APPROVE_BY_TOKEN,
    BLOCK_BY_EMAIL,
    CURRENT_MEMBER,
    LOGOUT,
    code,
    login,
    register,
    settings,
)


async def pending(gql: GraphQLClient, email: str = "pat@example.com") -> str:
    await settings(gql, approval="MANUAL")
    result = await register(gql, email, backend=True)
    assert result["status"] == "PENDING"
    return result["approvalToken"]


async def approve(gql: GraphQLClient, token: str) -> dict:
    return (await gql.anonymous(APPROVE_BY_TOKEN, {"token": token}))["data"]["approveByToken"]


async def test_approve_by_token_once(gql: GraphQLClient) -> None:
    token = await pending(gql)
    assert code(await login(gql, "pat@example.com")) == 3204
    first = await approve(gql, token)
    assert first["__typename"] == "SessionResult" and first["member"]["status"] == "APPROVED"
    me = await gql.member(first["sessionToken"], CURRENT_MEMBER)
    assert me["data"]["currentMember"]["loginEmail"] == "pat@example.com"
    assert code(await approve(gql, token)) == 3203
    assert (await login(gql, "pat@example.com"))["__typename"] == "SessionResult"


async def test_concurrent_approvals_with_one_token_make_one_session(gql: GraphQLClient) -> None:
    token = await pending(gql)
    results = await asyncio.gather(*(approve(gql, token) for _ in range(10)))
    kinds = sorted(r["__typename"] for r in results)
    assert kinds.count("SessionResult") == 1 and kinds.count("TokenUsedError") == 9, kinds
    assert await Session.all().count() == 1


async def test_bad_tokens(gql: GraphQLClient) -> None:
    await pending(gql)
    member = await Member.get(email_key="pat@example.com")
    assert code(await approve(gql, "garbage")) == 3201
    forged = SignedTokens("some-other-secret-0123456789-0123456789").issue(
        Purpose.APPROVE, member.id, member.approval_jti
    )
    assert code(await approve(gql, forged)) == 3201
    from datetime import datetime, timedelta, timezone

    expired = SignedTokens(SECRET).issue(
        Purpose.APPROVE, member.id, member.approval_jti, now=datetime.now(timezone.utc) - timedelta(hours=31)
    )
    assert code(await approve(gql, expired)) == 3202
    unknown = SignedTokens(SECRET).issue(Purpose.APPROVE, uuid.uuid4(), "x")
    assert code(await approve(gql, unknown)) == 3030
    assert (await Member.get(id=member.id)).status == "PENDING"


async def test_blocked_members_token_is_refused(gql: GraphQLClient) -> None:
    token = await pending(gql)
    await gql.backend(BLOCK_BY_EMAIL, {"email": "pat@example.com"})
    assert code(await approve(gql, token)) == 3000
    assert (await Member.get(email_key="pat@example.com")).status == "BLOCKED"


async def test_approve_by_email_is_backend_only_and_unblocks(gql: GraphQLClient) -> None:
    await pending(gql)
    refused = await gql.anonymous(APPROVE_BY_EMAIL, {"email": "pat@example.com"})
    assert code(refused["data"]["approveByEmail"]) == 3029
    approved = (await gql.backend(APPROVE_BY_EMAIL, {"email": "PAT@example.com"}))["data"]["approveByEmail"]
    assert approved["__typename"] == "SessionResult" and approved["member"]["status"] == "APPROVED"
    await gql.backend(BLOCK_BY_EMAIL, {"email": "pat@example.com"})
    assert code(await login(gql, "pat@example.com")) == 3000
    unblocked = (await gql.backend(APPROVE_BY_EMAIL, {"email": "pat@example.com"}))["data"]["approveByEmail"]
    assert unblocked["member"]["status"] == "APPROVED"
    assert (await login(gql, "pat@example.com"))["__typename"] == "SessionResult"
    missing = (await gql.backend(APPROVE_BY_EMAIL, {"email": "nobody@example.com"}))["data"]["approveByEmail"]
    assert code(missing) == 3030


async def test_block_ends_every_session_at_once(gql: GraphQLClient) -> None:
    await register(gql, "b@example.com")
    tokens = [(await login(gql, "b@example.com"))["sessionToken"] for _ in range(3)]
    for token in tokens:
        assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is not None
    denied = (await gql.member(tokens[0], BLOCK_BY_EMAIL, {"email": "b@example.com"}))["data"]["blockByEmail"]
    assert code(denied) == 3029
    blocked = (await gql.backend(BLOCK_BY_EMAIL, {"email": "b@example.com"}))["data"]["blockByEmail"]
    assert blocked["member"]["status"] == "BLOCKED"
    for token in tokens:
        assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is None
        assert code((await gql.member(token, LOGOUT))["data"]["logout"]) == 3028
    assert code(await login(gql, "b@example.com")) == 3000
    missing = (await gql.backend(BLOCK_BY_EMAIL, {"email": "nobody@example.com"}))["data"]["blockByEmail"]
    assert code(missing) == 3030


async def test_login_errors_and_one_hash_each(gql: GraphQLClient, services) -> None:
    await register(gql, "l@example.com")
    assert code(await login(gql, "", "x")) == 3006
    assert code(await login(gql, "l@example.com", "")) == 3006
    hashes = services.hasher.computations
    unknown = await login(gql, "nobody@example.com", "wonderland")
    wrong = await login(gql, "l@example.com", "wrong-password")
    assert services.hasher.computations - hashes == 2  # one per attempt, known or not
    assert code(unknown) == code(wrong) == 3003 and unknown["message"] == wrong["message"]


async def test_session_is_stored_hashed_and_logout_revokes_it(gql: GraphQLClient) -> None:
    await register(gql, "s@example.com")
    session = await login(gql, "s@example.com")
    token = session["sessionToken"]
    assert session["member"]["lastLoginDate"] is not None
    stored = await Session.all().values_list("token_hash", flat=True)
    assert token not in stored and session_token_hash(token) in stored
    assert (await gql.member(token, LOGOUT))["data"]["logout"]["__typename"] == "LoggedOut"
    assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is None
    assert code((await gql.anonymous(LOGOUT))["data"]["logout"]) == 3028


async def test_wrong_api_key_is_2002_and_nothing_happens(gql: GraphQLClient) -> None:
    body = await gql.post(
        'mutation { register(email: "k@example.com", password: "wonderland") { __typename } }', **{"X-Api-Key": "wrong"}
    )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == 2002
    assert await Member.all().count() == 0
