"""The GraphQL documents the console runs: it is a client of the same API, so it adds no rule of its own."""

from __future__ import annotations

ERROR = "... on Error { code reason message }"

LOGIN = f"""mutation ($identity: String!, $password: String!) {{ login(identity: $identity, password: $password) {{
  __typename ... on LoginPayload {{ sessionToken }} ... on MfaRequired {{ mfaToken methods }} {ERROR} }} }}"""
VERIFY_MFA = f"""mutation ($mfaToken: String!, $code: String!) {{ verifyMfa(mfaToken: $mfaToken, code: $code) {{
  __typename ... on VerifyMfaPayload {{ sessionToken }} {ERROR} }} }}"""
LOGOUT = "mutation { logout { __typename } }"
# Any operation: RequestPolicy.guard_api_key checks (and counts) the key before it runs.
KEY_CHECK = "{ __typename }"

MEMBER_ROW = "id loginEmail status createdDate profile { nickname } roles { id name } badges { id title }"
MEMBERS = f"""query ($first: Int!, $after: String, $filter: MemberFilter, $sort: MemberSort) {{
  members(first: $first, after: $after, filter: $filter, sort: $sort) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ ... on Member {{ {MEMBER_ROW} }} }} }} }} }}"""
MEMBER = f"""query ($id: ID!, $events: Int!) {{ member(id: $id) {{ __typename ... on Member {{
  {MEMBER_ROW} loginEmailVerified lastLoginDate mfaEnabled updatedDate
  profile {{ nickname slug }} contact {{ firstName lastName phones {{ phone }} customFields }}
  sessions {{ id createdDate lastSeenDate expiresDate userAgent ipAddress method secondFactor }} }} }}
  memberEvents(memberId: $id, last: $events) {{ edges {{ node {{ kind actor createdDate data }} }} }} }}"""
ROLES_AND_BADGES = """{ roles { id name title system computed requireMfa permissions memberCount }
  badges { id title description memberCount } }"""

APPROVE = f"mutation ($id: ID!) {{ approveMember(id: $id) {{ __typename {ERROR} }} }}"
BLOCK = f"mutation ($id: ID!) {{ blockMember(id: $id) {{ __typename {ERROR} }} }}"
UNBLOCK = f"mutation ($id: ID!) {{ unblockMember(id: $id) {{ __typename {ERROR} }} }}"
REVOKE_SESSION = f"mutation ($id: ID!) {{ revokeSession(id: $id) {{ __typename {ERROR} }} }}"
ASSIGN_ROLE = f"""mutation ($role: ID!, $member: ID!) {{ assignRole(roleId: $role, memberId: $member) {{
  __typename {ERROR} }} }}"""
REMOVE_ROLE = f"""mutation ($role: ID!, $member: ID!) {{ removeRole(roleId: $role, memberId: $member) {{
  __typename {ERROR} }} }}"""
ASSIGN_BADGE = f"""mutation ($badge: ID!, $member: ID!) {{ assignBadge(badgeId: $badge, memberIds: [$member]) {{
  __typename {ERROR} }} }}"""
REMOVE_BADGE = f"""mutation ($badge: ID!, $member: ID!) {{ removeBadge(badgeId: $badge, memberIds: [$member]) {{
  __typename {ERROR} }} }}"""

SETTINGS = """{ registrationSettings { enabled approval emailConfirmation dynamicProperties identityProperty
  passwordlessLogin passwordlessSignup mfaPolicy declaredProperties { name required maxLength } } }"""
UPDATE_SETTINGS = f"""mutation ($input: RegistrationSettingsInput!) {{ updateRegistrationSettings(input: $input) {{
  __typename {ERROR} }} }}"""

CREATE_ROLE = f"""mutation ($input: RoleInput!) {{ createRole(input: $input) {{ __typename {ERROR} }} }}"""
CREATE_BADGE = f"""mutation ($input: BadgeInput!) {{ createBadge(input: $input) {{ __typename {ERROR} }} }}"""

API_KEYS = "{ apiKeys { id name permissions createdDate lastUsedDate } }"
CREATE_API_KEY = f"""mutation ($input: ApiKeyInput!) {{ createApiKey(input: $input) {{
  __typename ... on CreateApiKeyPayload {{ key apiKey {{ id name }} }} {ERROR} }} }}"""
REVOKE_API_KEY = f"mutation ($id: ID!) {{ revokeApiKey(id: $id) {{ __typename {ERROR} }} }}"

PROVIDERS = "{ externalProviders { name displayName settings { kind issuer clientId allowSignup } } }"
