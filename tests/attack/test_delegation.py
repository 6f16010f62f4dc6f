"""Delegated administration over HTTP, against real server processes: a member whose role grants
MEMBERS_APPROVE approves with its own session and can do nothing else an admin can; attempts
to grant itself more are refused; a scoped API key made on the command line holds its own
permissions only."""

from __future__ import annotations

import httpx

from tests.attack.conftest import (
    ADMIN_KEY,
    Client,
    SharedServers,
    attack_env,
    login,
    manual_approval,
    register,
    unique_email,
)
from tests.processes import run_cli

ERR = "... on Error { code reason message }"
CREATE_ROLE = f"""mutation ($name: String!, $p: [Permission!]!) {{
  createRole(input: {{name: $name, title: $name, permissions: $p}}) {{ __typename ... on RolePayload {{ role {{ id }} }} {ERR} }} }}"""
ASSIGN = f"""mutation ($r: ID!, $m: ID!) {{ assignRole(roleId: $r, memberId: $m) {{ __typename {ERR} }} }}"""
ROLES = "{ roles { id name } }"
APPROVE = f"mutation ($id: ID!) {{ approveMember(id: $id) {{ __typename {ERR} }} }}"
BLOCK = f"mutation ($id: ID!) {{ blockMember(id: $id) {{ __typename {ERR} }} }}"
DELETE = f"mutation ($id: ID!) {{ deleteMember(id: $id) {{ __typename {ERR} }} }}"
SETTINGS = "{ registrationSettings { approval } }"
UPDATE_SETTINGS = f"mutation {{ updateRegistrationSettings(input: {{approval: AUTOMATIC}}) {{ __typename {ERR} }} }}"
FULL_MEMBER = "query ($id: ID!) { member(id: $id) { __typename ... on Member { loginEmail } } }"


async def test_a_member_with_only_members_approve_approves_and_nothing_more(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = shared_servers("delegation")[0]
    admin = Client(http, server.graphql_url)
    await manual_approval(admin)
    approver_email = unique_email("approver")
    approver = await register(admin, approver_email, api_key=ADMIN_KEY)
    await admin.field(
        "mutation ($id: ID!) { approveMember(id: $id) { __typename } }",
        {"id": approver["member"]["id"]},
        api_key=ADMIN_KEY,
    )
    role = await admin.field(
        CREATE_ROLE, {"name": f"approvers-{approver['member']['id'][:8]}", "p": ["MEMBERS_APPROVE"]}, api_key=ADMIN_KEY
    )
    assert (await admin.field(ASSIGN, {"r": role["role"]["id"], "m": approver["member"]["id"]}, api_key=ADMIN_KEY))[
        "__typename"
    ] == "AssignRolePayload"
    token = (await login(admin, approver_email))["sessionToken"]
    newcomer = await register(Client(http, server.graphql_url), unique_email("newcomer"))
    assert newcomer["status"] == "PENDING"
    member = Client(http, server.graphql_url)
    # It approves, with its own session…
    assert (await member.field(APPROVE, {"id": newcomer["member"]["id"]}, token=token))[
        "__typename"
    ] == "ApproveMemberPayload"
    # …and every other admin power is refused (3029), with the permission it lacks named.
    for document, field in ((BLOCK, "blockMember"), (DELETE, "deleteMember")):
        refused = await member.field(document, {"id": newcomer["member"]["id"]}, token=token)
        assert refused["code"] == 3029, (field, refused)
    read = await member.post(SETTINGS, token=token)
    assert read["data"]["registrationSettings"] is None and read["errors"][0]["extensions"]["code"] == 3029
    assert (await member.field(UPDATE_SETTINGS, token=token))["code"] == 3029
    hidden = await member.field(FULL_MEMBER, {"id": newcomer["member"]["id"]}, token=token)
    assert hidden is None  # MEMBERS_READ is not MEMBERS_APPROVE: a private member stays hidden
    # Escalation: it cannot make or take a role it does not hold in full.
    assert (await member.field(CREATE_ROLE, {"name": "mine", "p": ["MEMBERS_BLOCK"]}, token=token))["code"] == 3029
    admin_role = next(r for r in await admin.field(ROLES, api_key=ADMIN_KEY) if r["name"] == "admin")
    assert (await member.field(ASSIGN, {"r": admin_role["id"], "m": approver["member"]["id"]}, token=token))[
        "code"
    ] == 3029
    events = await admin.field(
        "query ($id: ID!) { memberEvents(memberId: $id) { edges { node { kind actor actorMemberId } } } }",
        {"id": newcomer["member"]["id"]},
        api_key=ADMIN_KEY,
    )
    approved = [e["node"] for e in events["edges"] if e["node"]["kind"] == "APPROVED"]
    assert approved == [{"kind": "APPROVED", "actor": "MEMBER", "actorMemberId": approver["member"]["id"]}]


async def test_a_role_manager_cannot_promote_itself(shared_servers: SharedServers, http: httpx.AsyncClient) -> None:
    server = shared_servers("delegation")[0]
    admin = Client(http, server.graphql_url)
    email = unique_email("climber")
    climber = await register(admin, email, api_key=ADMIN_KEY)
    role = await admin.field(
        CREATE_ROLE, {"name": f"rm-{climber['member']['id'][:8]}", "p": ["ROLES_MANAGE"]}, api_key=ADMIN_KEY
    )
    await admin.field(ASSIGN, {"r": role["role"]["id"], "m": climber["member"]["id"]}, api_key=ADMIN_KEY)
    await admin.field(
        "mutation ($id: ID!) { approveMember(id: $id) { __typename } }",
        {"id": climber["member"]["id"]},
        api_key=ADMIN_KEY,
    )
    token = (await login(admin, email))["sessionToken"]
    member = Client(http, server.graphql_url)
    admin_role = next(r for r in await member.field(ROLES, token=token) if r["name"] == "admin")
    refused = await member.field(ASSIGN, {"r": admin_role["id"], "m": climber["member"]["id"]}, token=token)
    assert refused["code"] == 3214 and refused["reason"] == "CANNOT_GRANT"
    widened = await member.field(CREATE_ROLE, {"name": "god", "p": ["MEMBERS_DELETE", "ROLES_MANAGE"]}, token=token)
    assert widened["code"] == 3214
    me = await member.field("{ currentMember { permissions } }", token=token)
    assert me == {"permissions": ["ROLES_MANAGE"]}


def test_a_key_made_on_the_command_line_holds_its_permissions(shared_servers: SharedServers) -> None:
    server = shared_servers("delegation")[0]
    env = attack_env(server.database_url)
    made = run_cli("create-api-key", "--name", "reader", "--permission", "members_read", env=env, cwd=server.workdir)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("mbk_") and key not in made.stderr
    with httpx.Client(timeout=30) as http:
        one = {"query": 'mutation ($e: String!) { register(email: $e, password: "correct horse") { __typename } }'}
        http.post(server.graphql_url, json={**one, "variables": {"e": unique_email("listed")}})
        listing = http.post(
            server.graphql_url, json={"query": "{ members(first: 1) { totalCount } }"}, headers={"X-Api-Key": key}
        )
        everyone = http.post(
            server.graphql_url, json={"query": "{ members(first: 1) { totalCount } }"}, headers={"X-Api-Key": ADMIN_KEY}
        )
        # MEMBERS_READ lists every member, as the admin key does (one at least, just registered).
        assert listing.json()["data"]["members"]["totalCount"] == everyone.json()["data"]["members"]["totalCount"] > 0
        settings = http.post(server.graphql_url, json={"query": SETTINGS}, headers={"X-Api-Key": key}).json()
        assert settings["errors"][0]["extensions"]["code"] == 3029
    refused = run_cli("create-api-key", "--name", "x", "--permission", "NOT_A_PERMISSION", env=env, cwd=server.workdir)
    assert refused.returncode == 2 and "MEMBERS_READ" in refused.stderr
