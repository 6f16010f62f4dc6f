"""Queries: visibility, keyset pagination, filters, sorting, statement counts, settings."""

from __future__ import annotations

import asyncio

import pytest

from gql.db.models import Member
from tests.conftest import GraphQLClient
from tests.integration.documents import MEMBER, MEMBERS, code, register, settings


async def seed(gql: GraphQLClient) -> dict[str, dict]:
    people = {
        "ann": dict(privacyStatus="PUBLIC", contactInfo={"firstName": "Ann"}),
        "bob": dict(privacyStatus="PUBLIC", contactInfo={"firstName": "bob"}),
        "cid": dict(privacyStatus="PRIVATE", contactInfo={"firstName": "Cid"}),
        "dee": dict(privacyStatus="PUBLIC", contactInfo={"firstName": "Dee"}),
    }
    made = {}
    for name, options in people.items():
        made[name] = await register(gql, f"{name}@example.com", options=options)
    await settings(gql, approval="MANUAL")
    made["eve"] = await register(gql, "eve@example.com", privacyStatus="PUBLIC", contactInfo={"firstName": "Eve"})
    return made


async def test_visibility_of_one_member(gql: GraphQLClient) -> None:
    made = await seed(gql)
    ann, cid, eve = made["ann"]["member"], made["cid"]["member"], made["eve"]["member"]
    public = (await gql.anonymous(MEMBER, {"id": ann["id"]}))["data"]["member"]
    # Others get the public fieldset as its own type: id and profile, nothing else.
    assert public == {"__typename": "PublicMember", "id": ann["id"], "profile": {"nickname": "Ann", "slug": "ann"}}
    assert (await gql.anonymous(MEMBER, {"id": cid["id"]}))["data"]["member"] is None  # private
    assert (await gql.anonymous(MEMBER, {"id": eve["id"]}))["data"]["member"] is None  # pending
    own = (await gql.member(made["cid"]["sessionToken"], MEMBER, {"id": cid["id"]}))["data"]["member"]
    assert own["__typename"] == "Member" and own["loginEmail"] == "cid@example.com" and own["status"] == "APPROVED"
    other = (await gql.member(made["cid"]["sessionToken"], MEMBER, {"id": ann["id"]}))["data"]["member"]
    assert other["__typename"] == "PublicMember" and "loginEmail" not in other
    full = (await gql.backend(MEMBER, {"id": eve["id"]}))["data"]["member"]
    assert full["status"] == "PENDING" and full["loginEmail"] == "eve@example.com"
    assert (await gql.backend(MEMBER, {"id": "not-a-uuid"}))["data"]["member"] is None


async def page(gql: GraphQLClient, backend: bool = False, **variables) -> dict:
    send = gql.backend if backend else gql.anonymous
    body = await send(MEMBERS, variables)
    assert "errors" not in body, body
    return body["data"]["members"]


async def test_listing_shows_others_only_public_approved(gql: GraphQLClient) -> None:
    await seed(gql)
    anonymous = await page(gql)
    assert [e["node"]["profile"]["nickname"] for e in anonymous["edges"]] == ["Ann", "bob", "Dee"]
    assert {e["node"]["__typename"] for e in anonymous["edges"]} == {"PublicMember"}
    assert all("loginEmail" not in e["node"] for e in anonymous["edges"])
    everyone = await page(gql, backend=True)
    assert len(everyone["edges"]) == 5
    pending = await page(gql, backend=True, filter={"status": "PENDING"})
    assert [e["node"]["loginEmail"] for e in pending["edges"]] == ["eve@example.com"]
    assert (await page(gql, filter={"status": "PENDING"}))["edges"] == []


async def test_filters_and_sorting(gql: GraphQLClient) -> None:
    await seed(gql)
    by_nick = await page(gql, backend=True, sort={"field": "NICKNAME", "order": "DESC"})
    assert [e["node"]["profile"]["nickname"] for e in by_nick["edges"]] == ["Eve", "Dee", "Cid", "bob", "Ann"]
    newest = await page(gql, backend=True, sort={"field": "CREATED_DATE", "order": "DESC"})
    assert newest["edges"][0]["node"]["profile"]["nickname"] == "Eve"
    prefixed = await page(gql, filter={"nicknamePrefix": "B"})
    assert [e["node"]["profile"]["nickname"] for e in prefixed["edges"]] == ["bob"]
    private = await page(gql, backend=True, filter={"privacyStatus": "PRIVATE"})
    assert [e["node"]["loginEmail"] for e in private["edges"]] == ["cid@example.com"]
    email = await page(gql, backend=True, filter={"emailPrefix": "DE"})
    assert [e["node"]["loginEmail"] for e in email["edges"]] == ["dee@example.com"]
    probe = await gql.anonymous(MEMBERS, {"filter": {"emailPrefix": "de"}})
    assert probe["data"] == {"members": None} and probe["errors"][0]["extensions"]["code"] == 3029


@pytest.mark.parametrize(
    ("field", "order"), [("CREATED_DATE", "ASC"), ("CREATED_DATE", "DESC"), ("NICKNAME", "ASC"), ("NICKNAME", "DESC")]
)
async def test_keyset_pagination_walks_every_member_once(gql: GraphQLClient, field: str, order: str) -> None:
    for i in range(7):
        # Same nickname for some members: ties are broken by id, nothing is skipped or repeated.
        await register(gql, f"m{i}@example.com", contactInfo={"firstName": "Same" if i % 2 else f"N{i}"})
    seen, after, pages = [], None, 0
    while True:
        result = await page(gql, backend=True, first=3, after=after, sort={"field": field, "order": order})
        seen += [e["node"]["id"] for e in result["edges"]]
        pages += 1
        assert result["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert pages == 3 and len(seen) == 7 and len(set(seen)) == 7
    whole = await page(gql, backend=True, first=100, sort={"field": field, "order": order})
    assert [e["node"]["id"] for e in whole["edges"]] == seen


async def test_page_size_and_cursor_errors(gql: GraphQLClient) -> None:
    await register(gql, "a@example.com")
    for variables in (
        {"first": 101},
        {"first": -1},
        {"after": "garbage"},
        {"last": 101},
        {"before": "garbage", "last": 1},
    ):
        body = await gql.backend(MEMBERS, variables)
        assert body["errors"][0]["extensions"]["code"] == 3209, (variables, body)
        assert body["data"] == {"members": None}  # only the failing field is null
    cursor = (await page(gql, backend=True))["edges"][0]["cursor"]
    other_sort = await gql.backend(MEMBERS, {"after": cursor, "sort": {"field": "NICKNAME"}})
    assert other_sort["errors"][0]["extensions"]["code"] == 3209
    default = await gql.backend("{ members { edges { cursor } } }")
    assert len(default["data"]["members"]["edges"]) == 1
    explicit_null = await gql.backend(MEMBERS, {"first": None})  # `first: Int = 50`: null means the default
    assert len(explicit_null["data"]["members"]["edges"]) == 1


async def test_default_page_is_50(gql: GraphQLClient, services) -> None:
    hashed = await services.hasher.hash("x" * 8)
    contact = await __import__("gql.db.models", fromlist=["Contact"]).Contact.create()
    await Member.bulk_create(
        [
            Member(
                identity=f"u{i}@x.co",
                email_key=f"u{i}@x.co",
                login_email=f"u{i}@x.co",
                password_hash=hashed,
                status="APPROVED",
                privacy_status="PUBLIC",
                contact=contact,
                nickname=f"u{i}",
                nickname_key=f"u{i}",
                slug=f"u{i}",
            )
            for i in range(60)
        ]
    )
    body = await gql.anonymous("{ members { edges { cursor } pageInfo { hasNextPage } totalCount } }")
    assert len(body["data"]["members"]["edges"]) == 50
    assert body["data"]["members"]["pageInfo"]["hasNextPage"] is True
    assert body["data"]["members"]["totalCount"] == 60


@pytest.mark.parametrize("size", [1, 20, 100])
async def test_one_select_per_page_whatever_its_size(gql: GraphQLClient, services, sql_statements, size: int) -> None:
    for i in range(5):
        await register(
            gql,
            f"p{i}@example.com",
            privacyStatus="PUBLIC",
            contactInfo={"firstName": f"P{i}", "customFields": {"k": "v"}},
        )
    sql_statements.statements.clear()
    body = await gql.backend(
        "query ($n: Int) { members(first: $n) { edges { node { id profile { slug } ... on Member { contact { customFields } } } } pageInfo { endCursor } } }",
        {"n": size},
    )
    assert len(body["data"]["members"]["edges"]) == min(size, 5)
    assert len(sql_statements.selects()) == 1, sql_statements.statements
    assert len(sql_statements.statements) == 1
    sql_statements.statements.clear()
    await gql.anonymous("query ($n: Int) { members(first: $n) { totalCount } }", {"n": size})
    assert len(sql_statements.selects()) == 2  # totalCount costs one COUNT, only when asked


async def test_current_member(gql: GraphQLClient) -> None:
    made = await register(gql, "me@example.com")
    assert (await gql.anonymous("{ currentMember { id } }"))["data"]["currentMember"] is None
    assert (await gql.member("not-a-token", "{ currentMember { id } }"))["data"]["currentMember"] is None
    me = await gql.member(made["sessionToken"], "{ currentMember { id loginEmail } }")
    assert me["data"]["currentMember"] == {"id": made["member"]["id"], "loginEmail": "me@example.com"}


async def test_settings_are_backend_only_and_partial(gql: GraphQLClient) -> None:
    denied = await gql.anonymous("{ registrationSettings { enabled } }")
    assert denied["data"]["registrationSettings"] is None and denied["errors"][0]["extensions"]["code"] == 3029
    initial = await gql.backend(
        "{ registrationSettings { enabled approval emailConfirmation dynamicProperties identityProperty } }"
    )
    assert initial["data"]["registrationSettings"] == {
        "enabled": True,
        "approval": "AUTOMATIC",
        "emailConfirmation": False,
        "dynamicProperties": True,
        "identityProperty": "email",
    }
    updated = await settings(gql, approval="MANUAL")
    assert updated["approval"] == "MANUAL" and updated["enabled"] is True and updated["dynamicProperties"] is True
    from tests.integration.documents import UPDATE_SETTINGS

    anonymous = (await gql.anonymous(UPDATE_SETTINGS, {"input": {"enabled": False}}))["data"][
        "updateRegistrationSettings"
    ]
    assert code(anonymous) == 3029
    bad = (await gql.backend(UPDATE_SETTINGS, {"input": {"declaredProperties": [{"name": "id"}]}}))["data"][
        "updateRegistrationSettings"
    ]
    assert code(bad) == 3039
    dup = await gql.backend(UPDATE_SETTINGS, {"input": {"declaredProperties": [{"name": "a"}, {"name": "A"}]}})
    assert code(dup["data"]["updateRegistrationSettings"]) == 3043
    unknown_identity = await gql.backend(UPDATE_SETTINGS, {"input": {"identityProperty": "nick"}})
    assert code(unknown_identity["data"]["updateRegistrationSettings"]) == 3021


async def test_identity_property_is_fixed_once_members_exist(gql: GraphQLClient) -> None:
    await register(gql, "first@example.com")
    from tests.integration.documents import UPDATE_SETTINGS

    body = await gql.backend(
        UPDATE_SETTINGS, {"input": {"declaredProperties": [{"name": "username"}], "identityProperty": "username"}}
    )
    assert code(body["data"]["updateRegistrationSettings"]) == 3021


async def test_settings_defaults_come_from_env_on_a_fresh_database(settings_with_manual) -> None:
    assert settings_with_manual == "MANUAL"


@pytest.fixture
async def settings_with_manual(settings):  # type: ignore[no-untyped-def]
    from tests.conftest import new_app, running, with_defaults

    async with running(new_app(with_defaults(settings, approval="MANUAL"))) as services:
        return (await services.registration_settings.get()).approval


async def test_fifty_concurrent_registrations_of_one_identity(gql: GraphQLClient) -> None:
    variants = [
        "race@example.com",
        "RACE@example.com",
        " race@example.com ",
        "ｒａｃｅ@example.com",
        "Race@Example.Com",
    ]
    results = await asyncio.gather(*(register(gql, variants[i % len(variants)]) for i in range(50)))
    kinds = [r["__typename"] for r in results]
    assert kinds.count("RegisterPayload") == 1 and kinds.count("IdentityTakenError") == 49, kinds
    assert await Member.all().count() == 1


@pytest.mark.parametrize(("field", "order"), [("CREATED_DATE", "ASC"), ("NICKNAME", "DESC")])
async def test_backward_pages_walk_the_same_listing_from_its_end(gql: GraphQLClient, field: str, order: str) -> None:
    for i in range(7):
        await register(gql, f"b{i}@example.com", contactInfo={"firstName": "Same" if i % 2 else f"B{i}"})
    sort = {"field": field, "order": order}
    forward = [e["node"]["id"] for e in (await page(gql, backend=True, first=100, sort=sort))["edges"]]
    seen: list[str] = []
    before, pages = None, 0
    while True:
        result = await page(gql, backend=True, last=3, before=before, sort=sort)
        ids = [e["node"]["id"] for e in result["edges"]]
        assert ids == forward[len(forward) - len(seen) - len(ids) : len(forward) - len(seen)]  # listing order
        assert result["pageInfo"]["hasNextPage"] == (before is not None)
        seen = ids + seen
        pages += 1
        if not result["pageInfo"]["hasPreviousPage"]:
            break
        before = result["pageInfo"]["startCursor"]
    assert pages == 3 and seen == forward
    wrong = await gql.backend(MEMBERS, {"last": 2, "after": forward[0]})
    assert wrong["data"] == {"members": None} and wrong["errors"][0]["extensions"]["code"] == 3209


async def test_a_page_of_zero_still_tells_whether_members_follow(gql: GraphQLClient) -> None:
    empty = await page(gql, backend=True, first=0)
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is False
    await register(gql, "z@example.com")
    none = await page(gql, backend=True, first=0)
    assert none["edges"] == [] and none["pageInfo"]["hasNextPage"] is True
    assert none["pageInfo"]["startCursor"] is None and none["pageInfo"]["endCursor"] is None


async def test_a_failing_listing_leaves_its_siblings_alone(gql: GraphQLClient) -> None:
    made = await register(gql, "sib@example.com")
    body = await gql.backend(
        'query ($id: ID!) { members(after: "garbage") { totalCount } member(id: $id) { id } }',
        {"id": made["member"]["id"]},
    )
    assert body["data"] == {"members": None, "member": {"id": made["member"]["id"]}}
    assert body["errors"][0]["path"] == ["members"] and body["errors"][0]["extensions"]["code"] == 3209


NODES = """query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id
  ... on AnyMember { profile { nickname } } ... on MemberEvent { kind } } }"""


async def test_node_and_nodes_refetch_what_the_caller_may_see(gql: GraphQLClient) -> None:
    made = await seed(gql)
    ann, cid = made["ann"]["member"]["id"], made["cid"]["member"]["id"]
    ids = [ann, cid, "not-a-uuid", "00000000-0000-0000-0000-000000000000"]
    anonymous = (await gql.anonymous(NODES, {"ids": ids}))["data"]["nodes"]
    assert anonymous == [{"__typename": "PublicMember", "id": ann, "profile": {"nickname": "Ann"}}, None, None, None]
    backend = (await gql.backend(NODES, {"ids": ids}))["data"]["nodes"]
    assert [n and n["__typename"] for n in backend] == ["Member", "Member", None, None]
    events = await gql.backend(
        "query ($id: ID!) { memberEvents(memberId: $id) { edges { node { id } } } }", {"id": ann}
    )
    event_id = events["data"]["memberEvents"]["edges"][0]["node"]["id"]
    one = await gql.backend("query ($id: ID!) { node(id: $id) { __typename id } }", {"id": event_id})
    assert one["data"]["node"] == {"__typename": "MemberEvent", "id": event_id}
    hidden = await gql.anonymous("query ($id: ID!) { node(id: $id) { id } }", {"id": event_id})
    assert hidden["data"]["node"] is None  # events are the backend's


async def test_a_settings_update_is_audited_with_what_changed(gql: GraphQLClient) -> None:
    from gql.db.models import AuditEvent

    await settings(gql, approval="MANUAL", enabled=True)  # enabled was already true: not a change
    [event] = await AuditEvent.all()
    assert (event.kind, event.actor, event.actor_member_id) == ("SETTINGS_UPDATED", "backend", None)
    assert event.data == {"fields": ["approval"]}


async def test_a_setting_the_stored_row_lacks_takes_its_declared_default(gql: GraphQLClient, services) -> None:
    from gql.db.models import RegistrationSettingsRow

    await settings(gql, approval="MANUAL")
    row = await RegistrationSettingsRow.get(id=1)
    row.data = {"approval": "MANUAL"}  # as a row written before the other settings were declared
    await row.save()
    services.registration_settings.forget()
    stored = (await gql.backend("{ registrationSettings { enabled approval dynamicProperties identityProperty } }"))[
        "data"
    ]["registrationSettings"]
    assert stored == {"enabled": True, "approval": "MANUAL", "dynamicProperties": True, "identityProperty": "email"}
