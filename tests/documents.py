"""The GraphQL documents the server-process tests (tests/e2e, tests/attack) send over HTTP.

The in-process integration tests have their own, selecting every member field
(tests/integration/documents.py); a test whose point is what an answer selects (the
enumeration tests compare whole answers) keeps its own minimal documents.
"""

from __future__ import annotations

ERROR_ONLY = "... on Error { code message }"
ERROR = f"{ERROR_ONLY} ... on RetryableError {{ retryAfter }}"  # where the union lists a retryable error
MEMBER = "member { id loginEmail status }"
SESSION = f"... on SessionPayload {{ sessionToken {MEMBER} }}"

REGISTER = f"""mutation ($email: String, $password: String!, $options: RegistrationOptions) {{
  register(email: $email, password: $password, options: $options) {{
    __typename ... on RegisterPayload {{ status approvalToken sessionToken {MEMBER} }} {ERROR}
  }} }}"""
LOGIN = f"""mutation ($identity: String!, $password: String!) {{
  login(identity: $identity, password: $password) {{ __typename {SESSION} {ERROR} }} }}"""
APPROVE_BY_TOKEN = f"""mutation ($token: String!) {{
  approveByToken(token: $token) {{ __typename {SESSION} {ERROR} }} }}"""
APPROVE_BY_EMAIL = f"""mutation ($email: String!) {{
  approveByEmail(email: $email) {{ __typename {SESSION} {ERROR_ONLY} }} }}"""
BLOCK_BY_EMAIL = f"""mutation ($email: String!) {{
  blockByEmail(email: $email) {{ __typename ... on BlockByEmailPayload {{ {MEMBER} }} {ERROR_ONLY} }} }}"""
CURRENT_MEMBER = "{ currentMember { id loginEmail status } }"
LOGOUT = f"mutation {{ logout {{ __typename ... on LogoutPayload {{ member {{ id }} }} {ERROR_ONLY} }} }}"
UPDATE_SETTINGS = f"""mutation ($input: RegistrationSettingsInput!) {{
  updateRegistrationSettings(input: $input) {{ __typename {ERROR_ONLY} }} }}"""
