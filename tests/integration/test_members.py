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
    assert public["id"] == ann["id"] and public["profile"]["nickname"] == "Ann"
    assert (public["status"], public["privacyStatus"], public["activityStatus"]) == ("UNKNOWN",) * 3
    assert public["loginEmail"] is None and public["contact"] is None and public["contactId"] is None
    assert (await gql.anonymous(MEMBER, {"id": cid["id"]}))["data"]["member"] is None  # private
    assert (await gql.anonymous(MEMBER, {"id": eve["id"]}))["data"]["member"] is None  # pending
    own = (await gql.member(made["cid"]["sessionToken"], MEMBER, {"id": cid["id"]}))["data"]["member"]
    assert own["loginEmail"] == "cid@example.com" and own["status"] == "APPROVED"
    other = (await gql.member(made["cid"]["sessionToken"], MEMBER, {"id": ann["id"]}))["data"]["member"]
    assert other["loginEmail"] is None
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
    assert all(e["node"]["loginEmail"] is None for e in anonymous["edges"])
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
    assert probe["data"] is None and probe["errors"][0]["extensions"]["code"] == 3029


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
    for variables in ({"first": 101}, {"first": -1}, {"after": "garbage"}):
        body = await gql.backend(MEMBERS, variables)
        assert body["errors"][0]["extensions"]["code"] == 3209, body
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
        "query ($n: Int) { members(first: $n) { edges { node { id contact { customFields } profile { slug } } } pageInfo { endCursor } } }",
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
    from tortoise.contrib.test import truncate_all_models

    from gql.app import create_app
    from tests.conftest import with_defaults

    application = create_app(with_defaults(settings, approval="MANUAL"), apply_migrations=False)
    async with application.router.lifespan_context(application):
        await truncate_all_models()
        return (await application.state.services.settings.get()).approval


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
    assert kinds.count("RegistrationResult") == 1 and kinds.count("IdentityTakenError") == 49, kinds
    assert await Member.all().count() == 1
