"""Muting (issue 12 §5, Wix muteMember/unmuteMember): the activity status, its events, and a
muted member still signing in; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from tests.conftest import GraphQLClient
from tests.integration.documents import CURRENT_MEMBER, MEMBER, MUTE, UNMUTE, events_of, login, register


async def test_mute_and_unmute_change_the_status_and_are_audited_once(gql: GraphQLClient) -> None:
    registered = await register(gql, "loud@example.com")
    member_id = registered["member"]["id"]
    assert registered["member"]["activityStatus"] == "ACTIVE"

    muted = (await gql.backend(MUTE, {"id": member_id}))["data"]["muteMember"]
    assert muted == {"__typename": "MuteMemberPayload", "member": {"id": member_id, "activityStatus": "MUTED"}}
    again = (await gql.backend(MUTE, {"id": member_id}))["data"]["muteMember"]
    assert again["member"]["activityStatus"] == "MUTED"
    full = (await gql.backend(MEMBER, {"id": member_id}))["data"]["member"]
    assert full["activityStatus"] == "MUTED"

    # A muted member keeps its session and still logs in.
    assert (await gql.member(registered["sessionToken"], CURRENT_MEMBER))["data"]["currentMember"][
        "activityStatus"
    ] == ("MUTED")
    relogged = await login(gql, "loud@example.com")
    assert relogged["__typename"] == "LoginPayload" and relogged["member"]["activityStatus"] == "MUTED"

    unmuted = (await gql.backend(UNMUTE, {"id": member_id}))["data"]["unmuteMember"]
    assert unmuted == {"__typename": "UnmuteMemberPayload", "member": {"id": member_id, "activityStatus": "ACTIVE"}}
    assert (await gql.backend(UNMUTE, {"id": member_id}))["data"]["unmuteMember"]["member"]["activityStatus"] == (
        "ACTIVE"
    )
    # One event per change, none for the calls that changed nothing; the status is in the data.
    events = [(e["kind"], e["actor"], e["data"]) for e in await events_of(gql, member_id)]
    assert events == [
        ("REGISTERED", "ANONYMOUS", {"fromGuest": False}),
        ("MUTED", "BACKEND", {"activityStatus": "MUTED"}),
        ("UNMUTED", "BACKEND", {"activityStatus": "ACTIVE"}),
    ]


async def test_only_members_update_holders_may_mute(gql: GraphQLClient) -> None:
    target = await register(gql, "target@example.com", privacyStatus="PUBLIC")
    other = await register(gql, "other@example.com")
    for document, field in ((MUTE, "muteMember"), (UNMUTE, "unmuteMember")):
        for token in (other["sessionToken"], target["sessionToken"]):  # not even itself
            result = (await gql.member(token, document, {"id": target["member"]["id"]}))["data"][field]
            assert (result["__typename"], result["code"]) == ("NotAllowedError", 3029), result
        result = (await gql.anonymous(document, {"id": target["member"]["id"]}))["data"][field]
        assert result["code"] == 3029
        for unknown in (str(uuid.uuid4()), "not-a-uuid"):
            result = (await gql.backend(document, {"id": unknown}))["data"][field]
            assert (result["__typename"], result["code"]) == ("MemberNotFoundError", 3030), result
    assert [e["kind"] for e in await events_of(gql, target["member"]["id"])] == ["REGISTERED"]
