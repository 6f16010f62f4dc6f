"""Roles, permissions, delegated administration, badges and scoped API keys, on a real database."""

from __future__ import annotations

from typing import Any

from gql.db.models import ApiKey, AuditEvent, MemberEvent
from tests.conftest import ADMIN_KEY, GraphQLClient
from tests.integration.documents import register, settings
from tests.logs import StatementCounter

ROLE = "id name title permissions sitePermissions system computed memberCount"
ERR = "... on Error { code reason message property }"
CREATE_ROLE = f"""mutation ($input: RoleInput!) {{ createRole(input: $input) {{ __typename
  ... on RolePayload {{ role {{ {ROLE} }} }} {ERR} }} }}"""
UPDATE_ROLE = f"""mutation ($id: ID!, $input: RoleInput!) {{ updateRole(id: $id, input: $input) {{ __typename
  ... on RolePayload {{ role {{ {ROLE} }} }} {ERR} }} }}"""
DELETE_ROLE = (
    f"""mutation ($id: ID!) {{ deleteRole(id: $id) {{ __typename ... on RolePayload {{ role {{ name }} }} {ERR} }} }}"""
)
ASSIGN = f"""mutation ($r: ID!, $m: ID!) {{ assignRole(roleId: $r, memberId: $m) {{ __typename
  ... on AssignRolePayload {{ role {{ name }} member {{ id roles {{ name }} permissions }} }} {ERR} }} }}"""
REMOVE = f"""mutation ($r: ID!, $m: ID!) {{ removeRole(roleId: $r, memberId: $m) {{ __typename
  ... on RemoveRolePayload {{ member {{ roles {{ name }} }} }} {ERR} }} }}"""
ROLES = f"{{ roles {{ {ROLE} }} }}"
ME = "{ currentMember { id roles { name } permissions sitePermissions } }"
APPROVE = f"""mutation ($id: ID!) {{ approveMember(id: $id) {{ __typename ... on MemberPayload {{ member {{ status }} }} {ERR} }} }}"""
BLOCK = f"""mutation ($id: ID!) {{ blockMember(id: $id) {{ __typename {ERR} }} }}"""


async def backend(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = await gql.backend(query, variables)
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value


async def as_member(gql: GraphQLClient, token: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = await gql.member(token, query, variables)
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value


async def role_named(gql: GraphQLClient, name: str) -> dict[str, Any]:
    return next(r for r in await backend(gql, ROLES) if r["name"] == name)


async def new_role(gql: GraphQLClient, name: str, *permissions: str, site: list[str] | None = None) -> dict[str, Any]:
    made = await backend(
        gql,
        CREATE_ROLE,
        {
            "input": {
                "name": name,
                "title": name.title(),
                "permissions": list(permissions),
                "sitePermissions": site or [],
            }
        },
    )
    assert made["__typename"] == "CreateRolePayload", made
    return made["role"]


async def test_built_in_roles_exist_and_admin_cannot_change(gql: GraphQLClient) -> None:
    listed = {r["name"]: r for r in await backend(gql, ROLES)}
    assert {"admin", "AuthenticatedUser", "GuestUser", "SocialUser"} <= set(listed)
    admin = listed["admin"]
    assert admin["system"] and not admin["computed"] and len(admin["permissions"]) == 12
    assert listed["AuthenticatedUser"]["computed"] and listed["AuthenticatedUser"]["permissions"] == []
    changed = await backend(gql, UPDATE_ROLE, {"id": admin["id"], "input": {"title": "Boss"}})
    assert changed["code"] == 3213 and changed["reason"] == "BUILT_IN_ROLE"
    assert (await backend(gql, DELETE_ROLE, {"id": listed["GuestUser"]["id"]}))["code"] == 3213
    # A computed role may be given permissions like any role.
    given = await backend(
        gql, UPDATE_ROLE, {"id": listed["AuthenticatedUser"]["id"], "input": {"sitePermissions": ["forum:post"]}}
    )
    assert given["role"]["sitePermissions"] == ["forum:post"]


async def test_roles_are_unique_validated_and_audited(gql: GraphQLClient) -> None:
    role = await new_role(gql, "Editors", "MEMBERS_UPDATE", site=["blog:write"])
    assert role["permissions"] == ["MEMBERS_UPDATE"] and role["sitePermissions"] == ["blog:write"]
    again = await backend(gql, CREATE_ROLE, {"input": {"name": "editors", "title": "E"}})
    assert again["code"] == 3211 and again["property"] == "name"
    bad = await backend(gql, CREATE_ROLE, {"input": {"name": "9lives", "title": "x"}})
    assert bad["code"] == 3209 and bad["property"] == "name"
    bad_site = await backend(gql, CREATE_ROLE, {"input": {"name": "x", "title": "x", "sitePermissions": ["Not Valid"]}})
    assert bad_site["code"] == 3209
    missing = await backend(gql, UPDATE_ROLE, {"id": "00000000-0000-0000-0000-000000000000", "input": {}})
    assert missing["code"] == 3210
    kinds = [e.kind for e in await AuditEvent.all().order_by("created_at")]
    assert kinds == ["ROLE_CREATED"]


async def test_a_member_holds_what_its_roles_grant_and_acts_with_it(gql: GraphQLClient) -> None:
    boss = await register(gql, "boss@example.com")
    await settings(gql, approval="MANUAL")
    pending_one = await register(gql, "p1@example.com", backend=True)
    approvers = await new_role(gql, "approvers", "MEMBERS_APPROVE")
    assigned = await backend(gql, ASSIGN, {"r": approvers["id"], "m": boss["member"]["id"]})
    assert assigned["member"]["permissions"] == ["MEMBERS_APPROVE"]
    assert {r["name"] for r in assigned["member"]["roles"]} == {"approvers", "AuthenticatedUser"}
    token = boss["sessionToken"]
    me = await as_member(gql, token, ME)
    assert me["permissions"] == ["MEMBERS_APPROVE"]
    # Delegated: it approves with its own session; it may not block nor read the settings.
    approved = await as_member(gql, token, APPROVE, {"id": pending_one["member"]["id"]})
    assert approved["__typename"] == "ApproveMemberPayload"
    refused = await as_member(gql, token, BLOCK, {"id": pending_one["member"]["id"]})
    assert refused["code"] == 3029 and "MEMBERS_BLOCK" in refused["message"]
    read = await gql.member(token, "{ registrationSettings { enabled } }")
    assert read["data"]["registrationSettings"] is None and read["errors"][0]["extensions"]["code"] == 3029
    # The audit trail names the acting member.
    event = await MemberEvent.filter(member_id=pending_one["member"]["id"], kind="APPROVED").first()
    assert event is not None and (event.actor, str(event.actor_member_id)) == ("member", boss["member"]["id"])
    # Taking the role away takes the power away, at the next request.
    await backend(gql, REMOVE, {"r": approvers["id"], "m": boss["member"]["id"]})
    assert (await as_member(gql, token, ME))["permissions"] == []


async def test_nobody_grants_what_it_does_not_hold(gql: GraphQLClient) -> None:
    manager = await register(gql, "manager@example.com")
    victim = await register(gql, "victim@example.com")
    role_managers = await new_role(gql, "role-managers", "ROLES_MANAGE")
    blockers = await new_role(gql, "blockers", "MEMBERS_BLOCK")
    await backend(gql, ASSIGN, {"r": role_managers["id"], "m": manager["member"]["id"]})
    token, me = manager["sessionToken"], manager["member"]["id"]
    admin = await role_named(gql, "admin")
    # Not admin to itself, not a role it lacks the permissions of, not a role made mightier.
    for role_id in (admin["id"], blockers["id"]):
        escalated = await as_member(gql, token, ASSIGN, {"r": role_id, "m": me})
        assert escalated["code"] == 3214 and escalated["reason"] == "CANNOT_GRANT", escalated
    made = await as_member(
        gql, token, CREATE_ROLE, {"input": {"name": "x", "title": "x", "permissions": ["MEMBERS_DELETE"]}}
    )
    assert made["code"] == 3214
    widened = await as_member(
        gql,
        token,
        UPDATE_ROLE,
        {"id": role_managers["id"], "input": {"permissions": ["ROLES_MANAGE", "MEMBERS_DELETE"]}},
    )
    assert widened["code"] == 3214
    # What it holds it may pass on; it may not demote an admin.
    await backend(gql, ASSIGN, {"r": admin["id"], "m": victim["member"]["id"]})
    assert (await as_member(gql, token, REMOVE, {"r": admin["id"], "m": victim["member"]["id"]}))["code"] == 3214
    shared = await as_member(gql, token, ASSIGN, {"r": role_managers["id"], "m": victim["member"]["id"]})
    assert shared["__typename"] == "AssignRolePayload"
    assert (await as_member(gql, token, ME))["permissions"] == ["ROLES_MANAGE"]
    # Computed roles are held, not assigned.
    authenticated = await role_named(gql, "AuthenticatedUser")
    assert (await backend(gql, ASSIGN, {"r": authenticated["id"], "m": me}))["code"] == 3213


async def test_the_last_admin_stays_while_no_backend_key_could_take_over(gql: GraphQLClient, services) -> None:
    from dataclasses import replace

    only = await register(gql, "only@example.com")
    admin = await role_named(gql, "admin")
    await backend(gql, ASSIGN, {"r": admin["id"], "m": only["member"]["id"]})
    token = only["sessionToken"]
    # As an admin the member may do everything; with a generated bootstrap key and no stored key
    # holding everything, it may not remove itself as the last admin.
    services.config = replace(services.config, admin_api_key_generated=True)
    last = await as_member(gql, token, REMOVE, {"r": admin["id"], "m": only["member"]["id"]})
    assert last["code"] == 3213 and "last member holding admin" in last["message"]
    key = await as_member(
        gql,
        token,
        'mutation { createApiKey(input: {name: "ops", permissions: [MEMBERS_READ, MEMBERS_APPROVE, MEMBERS_BLOCK, MEMBERS_UPDATE, MEMBERS_DELETE, MEMBERS_CREATE, SETTINGS_MANAGE, ROLES_MANAGE, BADGES_MANAGE, EVENTS_READ, SESSIONS_MANAGE, API_KEYS_MANAGE]}) { __typename ... on CreateApiKeyPayload { key } } }',
    )
    assert key["key"].startswith("mbk_")
    gone = await as_member(gql, token, REMOVE, {"r": admin["id"], "m": only["member"]["id"]})
    assert gone["__typename"] == "RemoveRolePayload"


async def test_members_filter_by_role_and_who_may(gql: GraphQLClient) -> None:
    a = await register(gql, "a@example.com", privacyStatus="PUBLIC")
    await register(gql, "b@example.com", privacyStatus="PUBLIC")
    editors = await new_role(gql, "editors")
    await backend(gql, ASSIGN, {"r": editors["id"], "m": a["member"]["id"]})
    query = "query ($r: ID!) { members(filter: {roleId: $r}) { totalCount edges { node { id } } } }"
    listed = await backend(gql, query, {"r": editors["id"]})
    assert [e["node"]["id"] for e in listed["edges"]] == [a["member"]["id"]] and listed["totalCount"] == 1
    everyone = await backend(gql, query, {"r": (await role_named(gql, "AuthenticatedUser"))["id"]})
    assert everyone["totalCount"] == 2
    counts = {r["name"]: r["memberCount"] for r in await backend(gql, ROLES)}
    assert counts["editors"] == 1 and counts["AuthenticatedUser"] == 2 and counts["GuestUser"] == 0
    # Every other role (the built-in ones) holds nobody: the counts are per role, not totals.
    assert {name: n for name, n in counts.items() if name not in ("editors", "AuthenticatedUser")} == dict.fromkeys(
        set(counts) - {"editors", "AuthenticatedUser"}, 0
    )
    hidden = await gql.anonymous(query, {"r": editors["id"]})
    assert hidden["data"] == {"members": None} and hidden["errors"][0]["extensions"]["code"] == 3029
    assert (await gql.anonymous(ROLES))["errors"][0]["extensions"]["code"] == 3028


BADGE = "id title slug memberCount role { name }"
CREATE_BADGE = f"""mutation ($input: BadgeInput!) {{ createBadge(input: $input) {{ __typename
  ... on BadgePayload {{ badge {{ {BADGE} }} }} {ERR} }} }}"""
ASSIGN_BADGE = f"""mutation ($b: ID!, $m: [ID!]!) {{ assignBadge(badgeId: $b, memberIds: $m) {{ __typename
  ... on AssignBadgePayload {{ memberIds badge {{ memberCount }} }} {ERR} }} }}"""
REMOVE_BADGE = f"""mutation ($b: ID!, $m: [ID!]!) {{ removeBadge(badgeId: $b, memberIds: $m) {{ __typename
  ... on RemoveBadgePayload {{ memberIds badge {{ memberCount }} }} {ERR} }} }}"""


async def test_badges_are_awarded_in_bulk_idempotently_and_shown_publicly(gql: GraphQLClient) -> None:
    members = [await register(gql, f"m{i}@example.com", privacyStatus="PUBLIC") for i in range(3)]
    ids = [m["member"]["id"] for m in members]
    made = await backend(gql, CREATE_BADGE, {"input": {"title": "Top Writer", "backgroundColor": "#ffcc00"}})
    badge = made["badge"]
    assert badge["slug"] == "top-writer" and badge["memberCount"] == 0
    twin = await backend(gql, CREATE_BADGE, {"input": {"title": "Top writer!"}})
    assert twin["code"] == 3205
    awarded = await backend(
        gql, ASSIGN_BADGE, {"b": badge["id"], "m": ids[:2] + ["00000000-0000-0000-0000-000000000000"]}
    )
    assert sorted(awarded["memberIds"]) == sorted(ids[:2]) and awarded["badge"]["memberCount"] == 2
    again = await backend(gql, ASSIGN_BADGE, {"b": badge["id"], "m": ids})
    assert sorted(again["memberIds"]) == sorted(ids) and again["badge"]["memberCount"] == 3
    events = await MemberEvent.filter(kind="BADGE_ASSIGNED").count()
    assert events == 3  # once per member, however often awarded
    public = await gql.anonymous("query ($id: ID!) { member(id: $id) { badges { title } } }", {"id": ids[0]})
    assert public["data"]["member"]["badges"] == [{"title": "Top Writer"}]
    holders = await gql.anonymous(
        "query ($b: ID!) { members(filter: {badgeId: $b}) { totalCount } badge(id: $b) { members { edges { node { id } } } } }",
        {"b": badge["id"]},
    )
    assert holders["data"]["members"]["totalCount"] == 3 and len(holders["data"]["badge"]["members"]["edges"]) == 3
    taken = await backend(gql, REMOVE_BADGE, {"b": badge["id"], "m": ids[:1]})
    assert taken["badge"]["memberCount"] == 2
    too_many = await gql.backend(ASSIGN_BADGE, {"b": badge["id"], "m": ids * 40})
    assert too_many["errors"][0]["extensions"]["code"] == 3209  # refused before anything runs
    assert (await backend(gql, ASSIGN_BADGE, {"b": ids[0], "m": ids}))["code"] == 3212


async def test_a_badge_with_a_role_grants_it_and_cannot_be_used_to_escalate(gql: GraphQLClient) -> None:
    holder = await register(gql, "holder@example.com")
    lead = await register(gql, "lead@example.com")
    deleters = await new_role(gql, "deleters", "MEMBERS_DELETE")
    badge_managers = await new_role(gql, "badge-managers", "BADGES_MANAGE")
    await backend(gql, ASSIGN, {"r": badge_managers["id"], "m": lead["member"]["id"]})
    badge = (await backend(gql, CREATE_BADGE, {"input": {"title": "Janitor", "roleId": deleters["id"]}}))["badge"]
    assert badge["role"] == {"name": "deleters"}
    await backend(gql, ASSIGN_BADGE, {"b": badge["id"], "m": [holder["member"]["id"]]})
    assert (await as_member(gql, holder["sessionToken"], ME))["permissions"] == ["MEMBERS_DELETE"]
    # BADGES_MANAGE alone does not let the lead award (or make) a badge carrying a role it lacks.
    refused = await as_member(gql, lead["sessionToken"], ASSIGN_BADGE, {"b": badge["id"], "m": [lead["member"]["id"]]})
    assert refused["code"] == 3214
    own = await as_member(
        gql, lead["sessionToken"], CREATE_BADGE, {"input": {"title": "Mine", "roleId": deleters["id"]}}
    )
    assert own["code"] == 3214
    plain = await as_member(gql, lead["sessionToken"], CREATE_BADGE, {"input": {"title": "Helper"}})
    assert plain["__typename"] == "CreateBadgePayload"


CREATE_KEY = f"""mutation ($input: ApiKeyInput!) {{ createApiKey(input: $input) {{ __typename
  ... on CreateApiKeyPayload {{ key apiKey {{ id name prefix permissions }} }} {ERR} }} }}"""


async def test_scoped_api_keys_hold_their_permissions_only(gql: GraphQLClient, services) -> None:
    await settings(gql, approval="MANUAL")
    pending_one = await register(gql, "pk@example.com", backend=True)
    made = await backend(gql, CREATE_KEY, {"input": {"name": "approver", "permissions": ["MEMBERS_APPROVE"]}})
    key, record = made["key"], made["apiKey"]
    assert key.startswith(f"mbk_{record['prefix']}_") and record["permissions"] == ["MEMBERS_APPROVE"]
    # Only a digest of the secret is stored.
    row = await ApiKey.get(id=record["id"])
    assert key not in (row.secret_hash, row.prefix) and key.rsplit("_", 1)[1] not in row.secret_hash
    approved = await gql.post(APPROVE, {"id": pending_one["member"]["id"]}, **{"X-Api-Key": key})
    assert approved["data"]["approveMember"]["__typename"] == "ApproveMemberPayload"
    blocked = await gql.post(BLOCK, {"id": pending_one["member"]["id"]}, **{"X-Api-Key": key})
    assert blocked["data"]["blockMember"]["code"] == 3029
    listed = await backend(gql, "{ apiKeys { name prefix lastUsedDate } }")
    assert listed == [{"name": "approver", "prefix": record["prefix"], "lastUsedDate": listed[0]["lastUsedDate"]}]
    assert listed[0]["lastUsedDate"] is not None
    # A key cannot make a mightier key; a revoked key is a wrong key (2002) at once.
    mightier = await gql.post(
        CREATE_KEY, {"input": {"name": "x", "permissions": ["MEMBERS_DELETE"]}}, **{"X-Api-Key": key}
    )
    assert mightier["data"]["createApiKey"]["code"] == 3029  # it lacks API_KEYS_MANAGE altogether
    revoked = await backend(gql, "mutation ($id: ID!) { revokeApiKey(id: $id) { __typename } }", {"id": record["id"]})
    assert revoked["__typename"] == "RevokeApiKeyPayload"
    after = await gql.post("{ __typename }", **{"X-Api-Key": key})
    assert after["errors"][0]["extensions"]["code"] == 2002
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert (await gql.post("{ __typename }", **{"X-Api-Key": tampered}))["errors"][0]["extensions"]["code"] == 2002
    assert ADMIN_KEY  # the bootstrap key still works
    assert (await gql.backend("{ __typename }"))["data"] == {"__typename": "Query"}


async def test_a_members_page_with_roles_and_badges_is_a_fixed_number_of_statements(
    gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    editors = await new_role(gql, "editors")
    badge = (await backend(gql, CREATE_BADGE, {"input": {"title": "Star"}}))["badge"]

    async def page_statements(size: int) -> int:
        for i in range(size):
            made = await register(gql, f"s{size}-{i}@example.com", privacyStatus="PUBLIC")
            await backend(gql, ASSIGN, {"r": editors["id"], "m": made["member"]["id"]})
            await backend(gql, ASSIGN_BADGE, {"b": badge["id"], "m": [made["member"]["id"]]})
        sql_statements.statements.clear()
        body = await gql.backend(
            "{ members(first: 100) { edges { node { id badges { title } ... on Member { roles { name } } } } } }"
        )
        assert "errors" not in body
        return len(sql_statements.statements)

    few = await page_statements(2)
    many = await page_statements(10)
    # The page, its roles, which of them have a linked external identity (SocialUser), the computed roles, its badges.
    assert few == many <= 5, sql_statements.statements


async def test_access_tokens_carry_what_the_roles_grant(gql: GraphQLClient) -> None:
    import jwt

    made = await register(gql, "tok@example.com")
    editors = await new_role(gql, "editors", "MEMBERS_UPDATE", site=["blog:write"])
    await backend(gql, ASSIGN, {"r": editors["id"], "m": made["member"]["id"]})
    issued = await as_member(
        gql, made["sessionToken"], "mutation { issueAccessToken { ... on IssueAccessTokenPayload { accessToken } } }"
    )
    claims = jwt.decode(issued["accessToken"], options={"verify_signature": False})
    assert claims["roles"] == ["AuthenticatedUser", "editors"]
    assert claims["permissions"] == ["MEMBERS_UPDATE"] and claims["site_permissions"] == ["blog:write"]
