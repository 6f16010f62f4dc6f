"""Sessions as records (issue 13): listing, revoking, lifetimes, the session limit, and what ends
sessions — the app in-process over GraphQL (tests/integration/session_harness.py), on SQLite and PostgreSQL, time moved by a ManualClock."""

from __future__ import annotations

import asyncio

from gql.db.models import Member, MemberEvent, Session
from gql.domain.sessions import token_hash
from gql.domain.statuses import SessionLimitPolicy
from tests.integration.documents import BLOCK_BY_EMAIL, LOGOUT, code
from tests.integration.session_harness import (
    CHANGE,
    LOGIN_TWO_ARGUMENTS,
    LOGIN_WITH_SESSIONS,
    MEMBER_SESSIONS,
    NODE,
    PASSWORD,
    REVOKE,
    REVOKE_ALL,
    REVOKE_OTHERS,
    Start,
)


async def test_sign_ins_are_rows_listed_to_their_member(start: Start) -> None:
    h = await start()
    registered = await h.register("ada@example.com")
    h.clock.advance(1)
    login = await h.login("ada@example.com", stay=True)
    assert login["__typename"] == "LoginPayload"
    # The payloads carry the new session: its method, and that it is the one the token opens.
    assert registered["session"]["method"] == "REGISTRATION" and registered["session"]["current"] is True
    new = login["session"]
    assert (new["method"], new["stayLoggedIn"], new["userAgent"], new["current"]) == (
        "PASSWORD",
        True,
        "test-agent/1",
        True,
    )
    me = await h.me(login["sessionToken"])
    assert me is not None
    listed = me["sessions"]
    assert [s["method"] for s in listed] == ["PASSWORD", "REGISTRATION"]  # newest first
    assert [s["current"] for s in listed] == [True, False]
    assert listed[0]["id"] == new["id"] and listed[0]["memberId"] == me["id"]
    assert listed[1]["stayLoggedIn"] is False and listed[0]["ipAddress"] == listed[1]["ipAddress"]
    # The backend sees them too, with no session of its own among them.
    backend = (await h.client.backend(MEMBER_SESSIONS, {"id": me["id"]}))["data"]["member"]["sessions"]
    assert [s["id"] for s in backend] == [s["id"] for s in listed] and not any(s["current"] for s in backend)
    # node(id:) fetches a session again, for its member and the backend; nobody else.
    assert (await h.client.member(login["sessionToken"], NODE, {"id": new["id"]}))["data"]["node"] == {
        "__typename": "Session",
        "id": new["id"],
        "method": "PASSWORD",
        "current": True,
    }
    assert (await h.client.backend(NODE, {"id": new["id"]}))["data"]["node"]["current"] is False
    assert (await h.client.anonymous(NODE, {"id": new["id"]}))["data"]["node"] is None
    # The rows hold the token's hash, never the token.
    rows = await Session.all().values()
    assert {row["token_hash"] for row in rows} == {
        token_hash(login["sessionToken"]),
        token_hash(registered["sessionToken"]),
    }
    assert login["sessionToken"] not in str(rows) and len(login["sessionToken"]) == 43


async def test_the_seeds_two_argument_login_still_works(start: Start) -> None:
    h = await start()
    await h.register("seed@example.com")
    body = await h.client.anonymous(LOGIN_TWO_ARGUMENTS, {"identity": "seed@example.com", "password": PASSWORD})
    assert body["data"]["login"]["__typename"] == "LoginPayload"
    [session] = await Session.filter(method="PASSWORD")
    assert session.stay_logged_in is False  # not kept logged in unless asked


async def test_sessions_of_a_member_are_for_itself_and_the_backend(start: Start) -> None:
    h = await start()
    await h.register("own@example.com")
    # A login answer carries the member, but the anonymous caller that logged in is not the member yet.
    body = await h.client.anonymous(LOGIN_WITH_SESSIONS, {"identity": "own@example.com", "password": PASSWORD})
    assert body["data"]["login"]["member"]["sessions"] is None
    assert body["errors"][0]["extensions"]["code"] == 3029 and body["errors"][0]["path"][-1] == "sessions"


async def test_revoke_session(start: Start) -> None:
    h = await start()
    ada = await h.register("ada@example.com")
    phone = await h.login("ada@example.com")
    bob = await h.register("bob@example.com")
    session_id = phone["session"]["id"]
    # Anonymous callers have no sessions; another member's session is "not found", as a malformed id.
    assert code((await h.client.anonymous(REVOKE, {"id": session_id}))["data"]["revokeSession"]) == 3028
    for other, unknown in ((bob["sessionToken"], session_id), (ada["sessionToken"], "not-a-uuid")):
        refused = (await h.client.member(other, REVOKE, {"id": unknown}))["data"]["revokeSession"]
        assert (refused["code"], refused["property"]) == (3216, "id")
    assert await h.alive(phone["sessionToken"])
    # The member ends its phone's session from its laptop.
    ended = (await h.client.member(ada["sessionToken"], REVOKE, {"id": session_id}))["data"]["revokeSession"]
    assert ended["__typename"] == "RevokeSessionPayload" and ended["session"]["id"] == session_id
    assert ended["session"]["current"] is False
    assert not await h.alive(phone["sessionToken"]) and await h.alive(ada["sessionToken"])
    assert (
        code((await h.client.member(ada["sessionToken"], REVOKE, {"id": session_id}))["data"]["revokeSession"]) == 3216
    )
    # The backend ends any session: bob's.
    bob_session = (await h.me(bob["sessionToken"]))["sessions"][0]["id"]  # type: ignore[index]
    assert (await h.client.backend(REVOKE, {"id": bob_session}))["data"]["revokeSession"]["session"][
        "id"
    ] == bob_session
    assert not await h.alive(bob["sessionToken"])
    # A member may end its own current session this way too.
    own = (await h.client.member(ada["sessionToken"], REVOKE, {"id": ada["session"]["id"]}))["data"]["revokeSession"]
    assert own["session"]["current"] is True and not await h.alive(ada["sessionToken"])
    events = await MemberEvent.filter(kind="SESSION_REVOKED").order_by("created_at")
    assert [(e.data["sessionId"], e.data["reason"], e.actor) for e in events] == [
        (session_id, "revoked", "member"),
        (bob_session, "revoked", "backend"),
        (ada["session"]["id"], "revoked", "member"),
    ]


async def test_revoke_other_sessions_keeps_the_callers(start: Start) -> None:
    h = await start()
    first = await h.register("ada@example.com")
    others = [await h.login("ada@example.com") for _ in range(3)]
    keep = others[1]["sessionToken"]
    bob = await h.register("bob@example.com")
    assert code((await h.client.anonymous(REVOKE_OTHERS))["data"]["revokeOtherSessions"]) == 3028
    done = (await h.client.member(keep, REVOKE_OTHERS))["data"]["revokeOtherSessions"]
    assert done["revokedCount"] == 3
    assert done["member"]["sessions"] == [{"id": others[1]["session"]["id"], "current": True}]
    assert await h.alive(keep) and await h.alive(bob["sessionToken"])
    for gone in (first, others[0], others[2]):
        assert not await h.alive(gone["sessionToken"])
    [event] = await MemberEvent.filter(kind="SESSIONS_REVOKED")
    assert event.data == {"count": 3, "kept": others[1]["session"]["id"]}


async def test_revoke_all_sessions(start: Start) -> None:
    h = await start()
    ada = await h.register("ada@example.com")
    ada_phone = await h.login("ada@example.com")
    bob = await h.register("bob@example.com")
    ada_id, bob_id = ada["member"]["id"], bob["member"]["id"]
    # Another member, anonymous callers: 3029, whether or not the member exists.
    for token in (bob["sessionToken"], None):
        for member_id in (ada_id, "00000000-0000-0000-0000-000000000000"):
            send = (
                h.client.member(token, REVOKE_ALL, {"memberId": member_id})
                if token
                else h.client.anonymous(REVOKE_ALL, {"memberId": member_id})
            )
            assert code((await send)["data"]["revokeAllSessions"]) == 3029
    # The backend: 3030 for no such member (malformed or unknown), else every session ends.
    for missing in ("00000000-0000-0000-0000-000000000000", "nope"):
        refused = (await h.client.backend(REVOKE_ALL, {"memberId": missing}))["data"]["revokeAllSessions"]
        assert (refused["code"], refused["property"]) == (3030, "memberId")
    done = (await h.client.backend(REVOKE_ALL, {"memberId": ada_id}))["data"]["revokeAllSessions"]
    assert (done["revokedCount"], done["member"]["id"]) == (2, ada_id)
    assert not await h.alive(ada["sessionToken"]) and not await h.alive(ada_phone["sessionToken"])
    assert await h.alive(bob["sessionToken"])
    # A member may end all of its own, its current one too.
    own = (await h.client.member(bob["sessionToken"], REVOKE_ALL, {"memberId": bob_id}))["data"]["revokeAllSessions"]
    assert own["revokedCount"] == 1 and not await h.alive(bob["sessionToken"])
    kinds = await MemberEvent.filter(kind="SESSIONS_REVOKED").order_by("created_at").values_list("actor", flat=True)
    assert kinds == ["backend", "member"]


async def test_a_session_not_kept_ends_when_idle_and_none_outlives_the_lifetime(start: Start) -> None:
    h = await start(session_idle_seconds=600, session_ttl_seconds=3600)
    await h.register("idle@example.com")
    short = (await h.login("idle@example.com"))["sessionToken"]
    kept = (await h.login("idle@example.com", stay=True))["sessionToken"]
    started = h.clock.now()
    [row] = await Session.filter(token_hash=token_hash(short))
    assert (row.expires_at - started).total_seconds() == 600
    # Used every 9 minutes, the short session lives on: each use moves its end (at most once a minute).
    for _ in range(5):
        h.clock.advance(540)
        assert await h.alive(short)
    listed = (await h.me(short))["sessions"]  # type: ignore[index]
    mine = next(s for s in listed if s["current"])
    assert mine["lastSeenDate"] != mine["createdDate"]
    # ...but never past the lifetime (3600 s after it opened: 2700 s have passed).
    h.clock.advance(540)
    assert await h.alive(short)
    h.clock.advance(359)  # 3599 s
    assert await h.alive(short) and await h.alive(kept)
    h.clock.advance(2)
    assert not await h.alive(short) and not await h.alive(kept)
    # Idle for longer than the timeout: gone; the one kept logged in is not.
    await h.login("idle@example.com")
    again = (await h.login("idle@example.com"))["sessionToken"]
    stay = (await h.login("idle@example.com", stay=True))["sessionToken"]
    h.clock.advance(601)
    assert not await h.alive(again) and await h.alive(stay)


async def test_last_seen_is_written_once_a_minute(start: Start) -> None:
    h = await start()
    token = (await h.register("seen@example.com"))["sessionToken"]
    [row] = await Session.all()
    opened = row.last_seen_at
    h.clock.advance(30)
    assert await h.alive(token)
    assert (await Session.get(id=row.id)).last_seen_at == opened
    h.clock.advance(31)
    assert await h.alive(token)
    assert (await Session.get(id=row.id)).last_seen_at == h.clock.now()


async def test_guests_stay_logged_in(start: Start) -> None:
    h = await start(session_idle_seconds=600)
    body = await h.client.anonymous(
        "mutation { loginAsGuest { ... on LoginAsGuestPayload { sessionToken session { method stayLoggedIn } } } }"
    )
    guest = body["data"]["loginAsGuest"]
    assert guest["session"] == {"method": "GUEST", "stayLoggedIn": True}
    h.clock.advance(3600)
    assert await h.alive(guest["sessionToken"])


async def test_past_the_limit_the_oldest_sessions_end(start: Start) -> None:
    h = await start(max_sessions=2)
    first = await h.register("many@example.com")
    h.clock.advance(1)
    second = await h.login("many@example.com")
    h.clock.advance(1)
    third = await h.login("many@example.com")
    assert not await h.alive(first["sessionToken"])
    assert await h.alive(second["sessionToken"]) and await h.alive(third["sessionToken"])
    assert await Session.all().count() == 2
    [event] = await MemberEvent.filter(kind="SESSION_REVOKED")
    assert (event.data["sessionId"], event.data["reason"], event.data["method"]) == (
        first["session"]["id"],
        "limit",
        "REGISTRATION",
    )


async def test_past_the_limit_the_refuse_policy_refuses_login(start: Start) -> None:
    h = await start(max_sessions=2, session_limit_policy=SessionLimitPolicy.REFUSE)
    first = await h.register("full@example.com")
    await h.login("full@example.com")
    stamp = (await Member.get(email_key="full@example.com")).last_login_at
    h.clock.advance(5)
    refused = await h.login("full@example.com")
    assert refused["__typename"] == "TooManySessionsError"
    assert (refused["code"], refused["reason"], refused["limit"]) == (3217, "TOO_MANY_SESSIONS", 2)
    assert (await Member.get(email_key="full@example.com")).last_login_at == stamp  # the refused login left no stamp
    assert await Session.all().count() == 2
    # A logout frees a place.
    assert (await h.client.member(first["sessionToken"], LOGOUT))["data"]["logout"]["__typename"] == "LogoutPayload"
    assert (await h.login("full@example.com"))["__typename"] == "LoginPayload"
    # The other ways in end the oldest instead (the backend's approveByEmail here).
    approve = """mutation { approveByEmail(email: "full@example.com") { __typename ... on SessionPayload { sessionToken } } }"""
    assert (await h.client.backend(approve))["data"]["approveByEmail"]["__typename"] == "ApproveByEmailPayload"
    assert await Session.all().count() == 2


async def test_concurrent_logins_cannot_exceed_the_refuse_limit(start: Start) -> None:
    h = await start(max_sessions=3, session_limit_policy=SessionLimitPolicy.REFUSE)
    await h.register("race@example.com")
    results = await asyncio.gather(*(h.login("race@example.com") for _ in range(8)))
    kinds = sorted(result["__typename"] for result in results)
    assert kinds == ["LoginPayload"] * 2 + ["TooManySessionsError"] * 6, kinds
    assert await Session.all().count() == 3


async def test_what_ends_sessions_block_password_change_reset_and_delete(start: Start) -> None:
    h = await start()
    a = await h.register("end@example.com")
    b = await h.login("end@example.com")
    c = await h.login("end@example.com")
    # A password change keeps the changer's session and ends the others.
    changed = (await h.client.member(b["sessionToken"], CHANGE, {"old": PASSWORD, "new": "new-password"}))["data"]
    assert changed["changePassword"]["__typename"] == "ChangePasswordPayload"
    assert [await h.alive(s["sessionToken"]) for s in (a, b, c)] == [False, True, False]
    # A block ends every session, and the event says how many.
    assert (await h.client.backend(BLOCK_BY_EMAIL, {"email": "end@example.com"}))["data"]["blockByEmail"]["member"]
    assert not await h.alive(b["sessionToken"]) and await Session.all().count() == 0
    [blocked] = await MemberEvent.filter(kind="BLOCKED")
    assert blocked.data == {"sessionsEnded": 1}
    # A deletion takes the rows with the member.
    d = await h.register("gone@example.com")
    await h.client.backend("mutation ($id: ID!) { deleteMember(id: $id) { __typename } }", {"id": d["member"]["id"]})
    assert not await h.alive(d["sessionToken"]) and await Session.all().count() == 0


async def test_a_member_that_may_no_longer_hold_a_session_loses_them_all(start: Start) -> None:
    """The rule of every way in (sign_in_refusal) is also the resolving SELECT's: an email change
    while confirmation is on leaves the sessions' rows, but none of them answers until confirmed."""
    h = await start()
    m = await h.register("move@example.com")
    await h.client.backend("mutation { updateRegistrationSettings(input: { emailConfirmation: true }) { __typename } }")
    moved = await h.client.backend(
        'mutation ($id: ID!) { changeLoginEmail(memberId: $id, newEmail: "moved@example.com") { __typename } }',
        {"id": m["member"]["id"]},
    )
    assert moved["data"]["changeLoginEmail"]["__typename"] == "ChangeLoginEmailPayload"
    assert not await h.alive(m["sessionToken"]) and await Session.all().count() == 1


async def test_expired_sessions_are_swept_by_each_process(start: Start) -> None:
    h = await start(session_idle_seconds=60)
    await h.register("sweep@example.com")
    await h.register("sweep2@example.com")
    h.clock.advance(601)  # both idle past their end, and the sweep interval has passed
    assert await Session.all().count() == 2
    await h.login("sweep@example.com")  # the next sign-in sweeps
    assert await Session.all().count() == 1
