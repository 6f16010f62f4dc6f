"""Approval, blocking, login and logout on a real database."""

from __future__ import annotations

import asyncio
import uuid

from gql.db.models import Member, MemberEvent, Session
from gql.domain.sessions import token_hash
from gql.domain.tokens import Purpose, SignedTokens
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
    assert first["__typename"] == "ApproveByTokenPayload" and first["member"]["status"] == "APPROVED"
    me = await gql.member(first["sessionToken"], CURRENT_MEMBER)
    assert me["data"]["currentMember"]["loginEmail"] == "pat@example.com"
    assert code(await approve(gql, token)) == 3203
    assert (await login(gql, "pat@example.com"))["__typename"] == "LoginPayload"


async def test_concurrent_approvals_with_one_token_make_one_session(gql: GraphQLClient) -> None:
    token = await pending(gql)
    results = await asyncio.gather(*(approve(gql, token) for _ in range(10)))
    kinds = sorted(r["__typename"] for r in results)
    assert kinds.count("ApproveByTokenPayload") == 1 and kinds.count("TokenUsedError") == 9, kinds
    [won] = [r for r in results if r["__typename"] == "ApproveByTokenPayload"]
    assert (await gql.member(won["sessionToken"], CURRENT_MEMBER))["data"]["currentMember"]["id"] == won["member"]["id"]


async def test_bad_tokens(gql: GraphQLClient) -> None:
    await pending(gql)
    member = await Member.get(email_key="pat@example.com")
    assert code(await approve(gql, "garbage")) == 3201
    forged = SignedTokens("some-other-secret-0123456789-0123456789").issue(
        Purpose.APPROVE, member.id, member.approval_jti, "fp"
    )
    assert code(await approve(gql, forged)) == 3201
    from datetime import datetime, timedelta, timezone

    expired = SignedTokens(SECRET).issue(
        Purpose.APPROVE,
        member.id,
        member.approval_jti,
        "fp",
        issued_at=datetime.now(timezone.utc) - timedelta(hours=31),
    )
    assert code(await approve(gql, expired)) == 3202
    unknown = SignedTokens(SECRET).issue(Purpose.APPROVE, uuid.uuid4(), "x", "fp")
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
    assert approved["__typename"] == "ApproveByEmailPayload" and approved["member"]["status"] == "APPROVED"
    await gql.backend(BLOCK_BY_EMAIL, {"email": "pat@example.com"})
    assert code(await login(gql, "pat@example.com")) == 3000
    unblocked = (await gql.backend(APPROVE_BY_EMAIL, {"email": "pat@example.com"}))["data"]["approveByEmail"]
    assert unblocked["member"]["status"] == "APPROVED"
    assert (await login(gql, "pat@example.com"))["__typename"] == "LoginPayload"
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
    # Unblocking opens a new session; the ones the block ended stay ended.
    unblocked = (await gql.backend(APPROVE_BY_EMAIL, {"email": "b@example.com"}))["data"]["approveByEmail"]
    assert (await gql.member(unblocked["sessionToken"], CURRENT_MEMBER))["data"]["currentMember"] is not None
    for token in tokens:
        assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is None
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


async def test_logout_ends_that_session_only_and_stores_no_token(gql: GraphQLClient) -> None:
    await register(gql, "s@example.com")
    session = await login(gql, "s@example.com")
    token, other = session["sessionToken"], (await login(gql, "s@example.com"))["sessionToken"]
    assert session["member"]["lastLoginDate"] is not None
    assert await Session.filter(token_hash=token_hash(token)).exists()
    assert (await gql.member(token, LOGOUT))["data"]["logout"]["__typename"] == "LogoutPayload"
    assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is None
    assert code((await gql.member(token, LOGOUT))["data"]["logout"]) == 3028
    assert (await gql.member(other, CURRENT_MEMBER))["data"]["currentMember"]["id"] == session["member"]["id"]
    assert code((await gql.anonymous(LOGOUT))["data"]["logout"]) == 3028
    # The row is gone (and audited); the other session's row holds only its token's hash.
    assert not await Session.filter(token_hash=token_hash(token)).exists()
    [logged_out] = await MemberEvent.filter(kind="LOGGED_OUT")
    assert logged_out.data["method"] == "PASSWORD"
    stored = str(await Session.all().values()) + str(await MemberEvent.all().values())
    assert token not in stored and other not in stored


async def test_an_unknown_token_or_a_deleted_member_is_anonymous(gql: GraphQLClient) -> None:
    registered = await register(gql, "sec@example.com")
    member_id = uuid.UUID(registered["member"]["id"])
    token = registered["sessionToken"]
    # Another token of the same shape, a token with a character changed, and junk: nobody.
    for forged in ("A" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), token + "A", "", "x.y.z"):
        assert (await gql.member(forged, CURRENT_MEMBER))["data"]["currentMember"] is None
        assert code((await gql.member(forged, LOGOUT))["data"]["logout"]) == 3028
    assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is not None
    await Member.filter(id=member_id).delete()
    assert (await gql.member(token, CURRENT_MEMBER))["data"]["currentMember"] is None
    assert not await Session.filter(member_id=member_id).exists()  # gone with the member (ON DELETE CASCADE)


async def test_wrong_api_key_is_2002_and_nothing_happens(gql: GraphQLClient) -> None:
    body = await gql.post(
        'mutation { register(email: "k@example.com", password: "wonderland") { __typename } }', **{"X-Api-Key": "wrong"}
    )
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == 2002
    assert await Member.all().count() == 0


BY_ID = """mutation ($id: ID!) {{ {field}(id: $id) {{ __typename
  ... on MemberPayload {{ member {{ id status }} }} ... on Error {{ code message property }} }} }}"""


async def by_id(gql: GraphQLClient, field: str, member_id: str, *, backend: bool = True) -> dict:
    send = gql.backend if backend else gql.anonymous
    body = await send(BY_ID.format(field=field), {"id": member_id})
    assert "errors" not in body, body
    return body["data"][field]


async def test_the_backend_approves_blocks_and_unblocks_by_id(gql: GraphQLClient) -> None:
    await pending(gql)
    member = await Member.get(email_key="pat@example.com")
    member_id = str(member.id)
    for field in ("approveMember", "blockMember", "unblockMember"):
        assert code(await by_id(gql, field, member_id, backend=False)) == 3029
        missing = await by_id(gql, field, "00000000-0000-0000-0000-000000000000")
        assert code(missing) == 3030 and missing["property"] == "id"
        assert code(await by_id(gql, field, "not-a-uuid")) == 3030
    approved = await by_id(gql, "approveMember", member_id)
    assert approved == {"__typename": "ApproveMemberPayload", "member": {"id": member_id, "status": "APPROVED"}}
    assert (await login(gql, "pat@example.com"))["__typename"] == "LoginPayload"
    assert (await by_id(gql, "approveMember", member_id))["member"]["status"] == "APPROVED"  # idempotent
    session = (await login(gql, "pat@example.com"))["sessionToken"]
    blocked = await by_id(gql, "blockMember", member_id)
    assert blocked["__typename"] == "BlockMemberPayload" and blocked["member"]["status"] == "BLOCKED"
    assert (await gql.member(session, CURRENT_MEMBER))["data"]["currentMember"] is None  # sessions ended
    assert code(await login(gql, "pat@example.com")) == 3000
    assert code(await by_id(gql, "approveMember", member_id)) == 3000  # a blocked member is unblocked, not approved
    unblocked = await by_id(gql, "unblockMember", member_id)
    assert unblocked["__typename"] == "UnblockMemberPayload" and unblocked["member"]["status"] == "APPROVED"
    assert (await login(gql, "pat@example.com"))["__typename"] == "LoginPayload"
    assert (await gql.member(session, CURRENT_MEMBER))["data"]["currentMember"] is None  # still ended
    events = await gql.backend(
        "query ($id: ID!) { memberEvents(memberId: $id) { edges { node { kind data } } } }", {"id": member_id}
    )
    kinds = [(e["node"]["kind"], e["node"]["data"].get("by")) for e in events["data"]["memberEvents"]["edges"]]
    assert kinds == [("REGISTERED", None), ("APPROVED", "id"), ("BLOCKED", None), ("UNBLOCKED", "id")]
