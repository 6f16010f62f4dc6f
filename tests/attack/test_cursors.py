"""Cursors over HTTP: opaque, authenticated, bound to their listing and sort order.

A cursor is something the server hands out and takes back; a client can only copy it.
Anything else in ``after`` — crafted, edited, truncated, or issued for another listing or
sort order — answers 3209 (``INVALID_ARGUMENT``, property "after"), never a masked
"Unexpected error.", and a cursor tells an anonymous caller nothing it may not see
(createdDate, or the member id behind the sort key).

The tests of one module share one server (``shared_servers``) and keep apart by giving
their members nicknames of their own and listing with ``nicknamePrefix``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.attack.conftest import REGISTER, Client, Server, SharedServers, unique_email

INVALID_ARGUMENT = 3209
SORTS = [("CREATED_DATE", "ASC"), ("CREATED_DATE", "DESC"), ("NICKNAME", "ASC"), ("NICKNAME", "DESC")]

MEMBERS = """query ($first: Int, $after: String, $sort: MemberSort, $filter: MemberFilter) {
  members(first: $first, after: $after, sort: $sort, filter: $filter) {
    edges { cursor node { __typename id profile { nickname } ... on Member { createdDate } } }
    pageInfo { hasNextPage endCursor }
  } }"""
EVENTS = """query ($id: ID!, $first: Int, $after: String) {
  memberEvents(memberId: $id, first: $first, after: $after) {
    edges { cursor node { id kind } } pageInfo { hasNextPage endCursor }
  } }"""


def encode_json(value: Any) -> str:
    """What a client crafting a cursor in the old format would send: base64url of JSON."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def lenient_b64(text: str) -> bytes:
    """The bytes behind ``text`` read as forgivingly as a curious client would."""
    cleaned = re.sub(r"[^A-Za-z0-9_\-+/]", "", text)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return base64.urlsafe_b64decode(cleaned.replace("+", "-").replace("/", "_") + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def adapted(cursor: str, edit: Callable[[list[Any]], list[Any]]) -> str:
    """``cursor`` edited as far as its format lets a client: a readable JSON list is rewritten
    by ``edit`` and re-encoded; an opaque cursor can only be sent as it is."""
    try:
        value = json.loads(lenient_b64(cursor))
    except ValueError:
        return cursor
    return encode_json(edit(value)) if isinstance(value, list) else cursor


def server_of(shared_servers: SharedServers) -> Server:
    return shared_servers("cursors")[0]


async def seed(client: Client, tag: str, public: int = 4, private: int = 2) -> dict[str, list[str]]:
    """Members whose nicknames start with ``tag``; some share a nickname, so ties need the id."""
    made: dict[str, list[str]] = {"PUBLIC": [], "PRIVATE": []}
    for i in range(public + private):
        privacy = "PUBLIC" if i < public else "PRIVATE"
        first_name = f"{tag} same" if i % 2 else f"{tag} n{i}"
        options = {"privacyStatus": privacy, "contactInfo": {"firstName": first_name}}
        result = await client.field(
            REGISTER, {"email": unique_email(tag), "password": "correct horse", "options": options}
        )
        assert result["__typename"] == "RegisterPayload" and result["member"]["status"] == "APPROVED", result
        made[privacy].append(result["member"]["id"])
    return made


async def listing(client: Client, *, backend: bool, **variables: Any) -> dict[str, Any]:
    body = await (client.backend(MEMBERS, variables) if backend else client.post(MEMBERS, variables))
    assert not body.get("errors"), body
    return body["data"]["members"]


class Log:
    """What the shared server printed since this test began (other tests' lines are theirs)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.start = len(server.output())

    def since_start(self) -> str:
        return self.server.output()[self.start :]


def assert_invalid_cursor(body: dict[str, Any], log: Log) -> None:
    assert body.get("errors"), body
    (error,) = body["errors"]
    assert error["message"] != "Unexpected error.", body
    assert error["extensions"]["code"] == INVALID_ARGUMENT, body
    assert error["extensions"].get("property") == "after", body
    assert "Traceback" not in log.since_start()


def sort_of(field: str, order: str) -> dict[str, str]:
    return {"field": field, "order": order}


@pytest.fixture
def client(shared_servers: SharedServers, http: httpx.AsyncClient) -> Client:
    return Client(http, server_of(shared_servers).graphql_url)


async def test_crafted_cursors_answer_3209_not_an_unexpected_error(
    shared_servers: SharedServers, client: Client
) -> None:
    log = Log(server_of(shared_servers))
    tag = f"crafted{uuid.uuid4().hex[:6]}"
    made = await seed(client, tag, public=1, private=0)
    nickname_asc = sort_of("NICKNAME", "ASC")
    crafted = [
        encode_json(["NICKNAME", False, "a", 5]),  # the review's case: uuid.UUID(5) raised AttributeError
        encode_json(["NICKNAME", False, "a", [1]]),
        encode_json(["NICKNAME", False, "a", str(uuid.uuid4())]),  # well formed, but not issued by the server
        encode_json({"field": "NICKNAME"}),
        "garbage",
        "A" * 5000,
    ]
    for after in crafted:
        for backend in (False, True):
            variables = {"first": 2, "after": after, "sort": nickname_asc}
            body = await (client.backend(MEMBERS, variables) if backend else client.post(MEMBERS, variables))
            assert_invalid_cursor(body, log)
    member_id = made["PUBLIC"][0]
    for after in (
        encode_json(["2020-01-01T00:00:00+00:00", 5]),
        encode_json(["2020-01-01T00:00:00+00:00", str(uuid.uuid4())]),
        encode_json([5, "x"]),
        "garbage",
    ):
        assert_invalid_cursor(await client.backend(EVENTS, {"id": member_id, "after": after}), log)


async def test_edited_or_truncated_cursors_answer_3209(shared_servers: SharedServers, client: Client) -> None:
    log = Log(server_of(shared_servers))
    tag = f"edited{uuid.uuid4().hex[:6]}"
    await seed(client, tag, public=3, private=0)
    sort = sort_of("NICKNAME", "ASC")
    flt = {"nicknamePrefix": tag}
    page = await listing(client, backend=False, first=1, sort=sort, filter=flt)
    cursor = page["pageInfo"]["endCursor"]
    # The real cursor works...
    assert (await listing(client, backend=False, first=1, after=cursor, sort=sort, filter=flt))["edges"]
    # ...and no other spelling of it does: every one-character change and every truncation.
    variants = [cursor[:i] + ("B" if cursor[i] == "A" else "A") + cursor[i + 1 :] for i in range(len(cursor))]
    variants += [cursor[:-1], cursor[:-2], cursor[:-4], cursor[: len(cursor) // 2], cursor[:16]]
    for after in variants:
        body = await client.post(MEMBERS, {"first": 1, "after": after, "sort": sort, "filter": flt})
        assert_invalid_cursor(body, log)


async def test_cursors_belong_to_their_listing_and_sort_order(shared_servers: SharedServers, client: Client) -> None:
    log = Log(server_of(shared_servers))
    tag = f"bound{uuid.uuid4().hex[:6]}"
    made = await seed(client, tag, public=2, private=0)
    flt = {"nicknamePrefix": tag}
    nickname_asc = (await listing(client, backend=True, first=1, sort=sort_of("NICKNAME", "ASC"), filter=flt))[
        "pageInfo"
    ]["endCursor"]
    created_asc = (await listing(client, backend=True, first=1, sort=sort_of("CREATED_DATE", "ASC"), filter=flt))[
        "pageInfo"
    ]["endCursor"]
    others = [sort_of("NICKNAME", "DESC"), sort_of("CREATED_DATE", "ASC"), sort_of("CREATED_DATE", "DESC")]
    for other in others:
        # As issued, and relabelled for the other sort where the format lets a client do that.
        relabelled = adapted(nickname_asc, lambda v, o=other: [o["field"], o["order"] == "DESC", *v[2:]])
        for after in (nickname_asc, relabelled):
            body = await client.backend(MEMBERS, {"first": 1, "after": after, "sort": other, "filter": flt})
            assert_invalid_cursor(body, log)
    # A members cursor is no memberEvents cursor, even reshaped to look like one.
    events = await client.backend(EVENTS, {"id": made["PUBLIC"][0], "first": 1})
    assert events["data"]["memberEvents"]["pageInfo"]["endCursor"]
    for after in (created_asc, nickname_asc, adapted(created_asc, lambda v: v[2:])):
        assert_invalid_cursor(await client.backend(EVENTS, {"id": made["PUBLIC"][0], "after": after}), log)
    # Nor is a memberEvents cursor a members cursor, or another member's events cursor.
    event_cursor = events["data"]["memberEvents"]["pageInfo"]["endCursor"]
    assert_invalid_cursor(await client.backend(EVENTS, {"id": made["PUBLIC"][1], "after": event_cursor}), log)
    body = await client.backend(MEMBERS, {"after": event_cursor, "sort": sort_of("CREATED_DATE", "ASC")})
    assert_invalid_cursor(body, log)


async def test_anonymous_cursors_reveal_neither_created_date_nor_member_id(
    shared_servers: SharedServers, client: Client
) -> None:
    tag = f"opaque{uuid.uuid4().hex[:6]}"
    made = await seed(client, tag, public=3, private=0)
    flt = {"nicknamePrefix": tag}
    truth = {
        edge["node"]["id"]: edge["node"]["createdDate"]
        for edge in (await listing(client, backend=True, first=100, filter=flt))["edges"]
    }
    assert set(truth) == set(made["PUBLIC"]) and all(truth.values())
    for field, order in SORTS:
        page = await listing(client, backend=False, first=100, sort=sort_of(field, order), filter=flt)
        assert {edge["node"]["id"] for edge in page["edges"]} == set(truth)
        for edge in page["edges"]:
            assert edge["node"]["__typename"] == "PublicMember" and "createdDate" not in edge["node"]  # not shown...
            member_id, created = edge["node"]["id"], truth[edge["node"]["id"]]
            raw = lenient_b64(edge["cursor"])
            # ...so not in their cursors either, in any spelling a client could pick out.
            for secret in (created, created[:19], member_id, uuid.UUID(member_id).hex):
                assert secret.encode() not in raw, (field, order, edge["cursor"], raw)
            assert uuid.UUID(member_id).bytes not in raw


async def test_pagination_walks_every_visible_member_once(shared_servers: SharedServers, client: Client) -> None:
    tag = f"walk{uuid.uuid4().hex[:6]}"
    made = await seed(client, tag, public=5, private=2)
    flt = {"nicknamePrefix": tag}
    visible = {False: set(made["PUBLIC"]), True: set(made["PUBLIC"] + made["PRIVATE"])}
    for backend in (False, True):
        for field, order in SORTS:
            sort = sort_of(field, order)
            seen: list[str] = []
            after: str | None = None
            while True:
                page = await listing(client, backend=backend, first=2, after=after, sort=sort, filter=flt)
                seen += [edge["node"]["id"] for edge in page["edges"]]
                for edge in page["edges"]:
                    # The cursors that carry the walk are the opaque ones.
                    assert edge["node"]["id"].encode() not in lenient_b64(edge["cursor"])
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            assert len(seen) == len(set(seen)) and set(seen) == visible[backend], (backend, field, order)
            whole = await listing(client, backend=backend, first=100, sort=sort, filter=flt)
            assert [edge["node"]["id"] for edge in whole["edges"]] == seen, (backend, field, order)
