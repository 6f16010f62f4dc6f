"""GraphQL documents and small helpers shared by the integration tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient

MEMBER_FIELDS = """
  id loginEmail loginEmailVerified status privacyStatus activityStatus contactId
  contact {
    firstName lastName picture customFields birthdate company jobTitle
    phones { phone tag primary } emails { email tag primary }
    addresses { addressLine addressLine2 city subdivision country postalCode tag }
  }
  profile { nickname slug photo title }
  createdDate updatedDate lastLoginDate
"""
ERROR_FIELDS = "... on Error { code message }"
LIMIT_FIELDS = "... on ValueTooLongError { property limit } ... on InvalidArgumentError { property limit }"

REGISTER = f"""
mutation ($email: String, $password: String!, $options: RegistrationOptions) {{
  register(email: $email, password: $password, options: $options) {{
    __typename
    ... on RegisterPayload {{ status approvalToken sessionToken member {{ {MEMBER_FIELDS} }} }}
    {ERROR_FIELDS} {LIMIT_FIELDS}
  }}
}}
"""
SESSION_RESULT = f"__typename ... on SessionPayload {{ sessionToken member {{ {MEMBER_FIELDS} }} }} {ERROR_FIELDS}"
LOGIN = f"mutation ($identity: String!, $password: String!) {{ login(identity: $identity, password: $password) {{ {SESSION_RESULT} }} }}"
APPROVE_BY_TOKEN = f"mutation ($token: String!) {{ approveByToken(token: $token) {{ {SESSION_RESULT} }} }}"
APPROVE_BY_EMAIL = f"mutation ($email: String!) {{ approveByEmail(email: $email) {{ {SESSION_RESULT} }} }}"
BLOCK_BY_EMAIL = f"""mutation ($email: String!) {{ blockByEmail(email: $email) {{
  __typename ... on BlockByEmailPayload {{ member {{ id status }} }} {ERROR_FIELDS} }} }}"""
LOGOUT = f"mutation {{ logout {{ __typename ... on LogoutPayload {{ member {{ id }} }} {ERROR_FIELDS} }} }}"
CURRENT_MEMBER = f"{{ currentMember {{ {MEMBER_FIELDS} }} }}"
MEMBER = f"query ($id: ID!) {{ member(id: $id) {{ __typename id profile {{ nickname slug }} ... on Member {{ {MEMBER_FIELDS} }} }} }}"
UPDATE_SETTINGS = f"""mutation ($input: RegistrationSettingsInput!) {{ updateRegistrationSettings(input: $input) {{
  __typename ... on UpdateRegistrationSettingsPayload {{ settings {{ enabled approval emailConfirmation dynamicProperties identityProperty
    declaredProperties {{ name required maxLength }} }} }} {ERROR_FIELDS} }} }}"""
MEMBERS = """
query ($first: Int, $after: String, $last: Int, $before: String, $filter: MemberFilter, $sort: MemberSort) {
  members(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
    edges { cursor node { __typename id profile { nickname } ... on Member { loginEmail status privacyStatus } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def register(
    client: GraphQLClient,
    email: str | None,
    password: str = "wonderland",
    *,
    backend: bool = False,
    options: dict[str, Any] | None = None,
    **more_options: Any,
) -> dict[str, Any]:
    send = client.backend if backend else client.anonymous
    merged = {**(options or {}), **more_options} or None
    body = await send(REGISTER, {"email": email, "password": password, "options": merged})
    assert "errors" not in body, body
    return body["data"]["register"]


async def settings(client: GraphQLClient, **changes: Any) -> dict[str, Any]:
    body = await client.backend(UPDATE_SETTINGS, {"input": changes})
    assert "errors" not in body, body
    result = body["data"]["updateRegistrationSettings"]
    assert result["__typename"] == "UpdateRegistrationSettingsPayload", result
    return result["settings"]


async def login(client: GraphQLClient, identity: str, password: str = "wonderland") -> dict[str, Any]:
    body = await client.anonymous(LOGIN, {"identity": identity, "password": password})
    assert "errors" not in body, body
    return body["data"]["login"]


CREATE_ROLE = """mutation ($input: RoleInput!) { createRole(input: $input) {
  __typename ... on RolePayload { role { id name requireMfa permissions } } ... on Error { code message } } }"""
ASSIGN_ROLE = """mutation ($r: ID!, $m: ID!) { assignRole(roleId: $r, memberId: $m) {
  __typename ... on Error { code message } } }"""


async def mfa_role_holder(client: GraphQLClient, email: str = "m@example.com", **options: Any) -> dict[str, Any]:
    """A member just registered (so signed in without a second factor), holding a role "secure" that
    requires MFA and grants every permission: its registration (``sessionToken``, ``member``)."""
    from gql.domain.permissions import Permission

    made = await register(client, email, **options)
    role = await client.backend(
        CREATE_ROLE,
        {
            "input": {
                "name": "secure",
                "title": "Secure",
                "requireMfa": True,
                "permissions": [p.value for p in Permission],
            }
        },
    )
    assert role["data"]["createRole"]["__typename"] == "CreateRolePayload", role
    assigned = await client.backend(
        ASSIGN_ROLE, {"r": role["data"]["createRole"]["role"]["id"], "m": made["member"]["id"]}
    )
    assert assigned["data"]["assignRole"]["__typename"] == "AssignRolePayload", assigned
    return made


def code(result: dict[str, Any]) -> int:
    assert "code" in result, f"expected an error, got {result}"
    return result["code"]


# Issue 12 (members API parity).
GENERATE_SESSION_TOKEN = f"""mutation ($email: String!) {{ generateSessionToken(email: $email) {{
  __typename ... on GenerateSessionTokenPayload {{ created sessionToken member {{ {MEMBER_FIELDS} }} }}
  {ERROR_FIELDS} }} }}"""
MUTE = f"""mutation ($id: ID!) {{ muteMember(id: $id) {{
  __typename ... on MuteMemberPayload {{ member {{ id activityStatus }} }} {ERROR_FIELDS} }} }}"""
UNMUTE = f"""mutation ($id: ID!) {{ unmuteMember(id: $id) {{
  __typename ... on UnmuteMemberPayload {{ member {{ id activityStatus }} }} {ERROR_FIELDS} }} }}"""
DELETE_PHONES = f"""mutation ($id: ID!) {{ deleteMemberPhones(id: $id) {{
  __typename ... on MemberPayload {{ member {{ {MEMBER_FIELDS} }} }} {ERROR_FIELDS} }} }}"""
DELETE_EMAILS = DELETE_PHONES.replace("deleteMemberPhones", "deleteMemberEmails")
DELETE_ADDRESSES = DELETE_PHONES.replace("deleteMemberPhones", "deleteMemberAddresses")
VERIFY_PASSWORD = f"""mutation ($password: String!) {{ verifyPassword(password: $password) {{
  __typename ... on VerifyPasswordPayload {{ verifiedDate member {{ id lastLoginDate }} }}
  ... on RetryableError {{ retryAfter }} ... on Error {{ property }} {ERROR_FIELDS} }} }}"""
CREATE_CONFIRMATION_URL = f"""mutation ($email: String!) {{ createEmailConfirmationUrl(email: $email) {{
  __typename ... on CreateEmailConfirmationUrlPayload {{ url expiresDate member {{ id loginEmailVerified }} }}
  {ERROR_FIELDS} }} }}"""
UPDATE_MEMBER = f"""mutation ($id: ID!, $input: UpdateMemberInput!) {{ updateMember(id: $id, input: $input) {{
  __typename ... on MemberPayload {{ member {{ {MEMBER_FIELDS} }} }} {ERROR_FIELDS} {LIMIT_FIELDS} }} }}"""
MEMBER_EVENTS = """query ($id: ID!) { memberEvents(memberId: $id, first: 100) {
  edges { node { kind actor actorMemberId data } } } }"""


async def events_of(client: GraphQLClient, member_id: str) -> list[dict[str, Any]]:
    """The member's audit trail, oldest first (backend)."""
    body = await client.backend(MEMBER_EVENTS, {"id": member_id})
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["memberEvents"]["edges"]]
