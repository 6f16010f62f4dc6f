"""A harness for the session tests: the app in-process with settings of the test's choosing and a
ManualClock (the ``start`` fixture, tests/integration/conftest.py), and the documents the session
and access-token tests share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from gql.config import Config
from gql.domain.roles import ensure_built_in_roles
from gql.domain.services import Services
from tests.clock import ManualClock
from tests.conftest import GraphQLClient, client_of, new_app, running

PASSWORD = "wonderland"
SESSION_FIELDS = "id memberId createdDate lastSeenDate expiresDate userAgent ipAddress method stayLoggedIn current"
ERROR = "... on Error { code reason message property }"
LIMIT = "... on LimitError { limit }"
REGISTER = f"""mutation ($email: String!) {{ register(email: $email, password: "{PASSWORD}") {{
  __typename ... on RegisterPayload {{ sessionToken member {{ id }} session {{ {SESSION_FIELDS} }} }} {ERROR} }} }}"""
LOGIN = f"""mutation ($identity: String!, $password: String!, $stay: Boolean) {{
  login(identity: $identity, password: $password, stayLoggedIn: $stay) {{
    __typename ... on LoginPayload {{ sessionToken member {{ id lastLoginDate }} session {{ {SESSION_FIELDS} }} }} {ERROR} {LIMIT}
  }} }}"""
LOGIN_TWO_ARGUMENTS = """mutation ($identity: String!, $password: String!) {
  login(identity: $identity, password: $password) { __typename ... on SessionPayload { sessionToken } } }"""
MY_SESSIONS = f"{{ currentMember {{ id sessions {{ {SESSION_FIELDS} }} }} }}"
MEMBER_SESSIONS = (
    f"""query ($id: ID!) {{ member(id: $id) {{ __typename ... on Member {{ sessions {{ {SESSION_FIELDS} }} }} }} }}"""
)
REVOKE = f"""mutation ($id: ID!) {{ revokeSession(id: $id) {{
  __typename ... on RevokeSessionPayload {{ session {{ {SESSION_FIELDS} }} }} {ERROR} }} }}"""
REVOKE_OTHERS = f"""mutation {{ revokeOtherSessions {{
  __typename ... on RevokeOtherSessionsPayload {{ revokedCount member {{ id sessions {{ id current }} }} }} {ERROR} }} }}"""
REVOKE_ALL = f"""mutation ($memberId: ID!) {{ revokeAllSessions(memberId: $memberId) {{
  __typename ... on RevokeAllSessionsPayload {{ revokedCount member {{ id }} }} {ERROR} }} }}"""
NODE = "query ($id: ID!) { node(id: $id) { __typename id ... on Session { method current } } }"
CHANGE = f"""mutation ($old: String!, $new: String!) {{ changePassword(currentPassword: $old, newPassword: $new) {{
  __typename {ERROR} }} }}"""
LOGIN_WITH_SESSIONS = """mutation ($identity: String!, $password: String!) {
  login(identity: $identity, password: $password) { ... on LoginPayload { member { sessions { id } } } } }"""


class Harness:
    """The app in-process with its own settings and a clock the test moves."""

    def __init__(self, client: GraphQLClient, services: Services, clock: ManualClock) -> None:
        self.client = client
        self.services = services
        self.clock = clock

    async def register(self, email: str) -> dict[str, Any]:
        result = (await self.client.anonymous(REGISTER, {"email": email}))["data"]["register"]
        assert result["__typename"] == "RegisterPayload", result
        return result

    async def login(self, email: str, stay: bool | None = None, password: str = PASSWORD) -> dict[str, Any]:
        body = await self.client.anonymous(LOGIN, {"identity": email, "password": password, "stay": stay})
        assert "errors" not in body, body
        return body["data"]["login"]

    async def me(self, token: str) -> dict[str, Any] | None:
        body = await self.client.member(token, MY_SESSIONS)
        assert "errors" not in body, body
        return body["data"]["currentMember"]

    async def alive(self, token: str) -> bool:
        body = await self.client.member(token, "{ currentMember { id } }")
        return body["data"]["currentMember"] is not None


Start = Callable[..., Awaitable[Harness]]


async def launch(
    stack: AsyncExitStack, config: Config, *, run_worker: bool = True, **headers: str
) -> tuple[GraphQLClient, Services, ManualClock]:
    """The app with ``config`` on an emptied database (built-in roles made), going by a clock the
    test moves, until ``stack`` closes: a client of it, its services, the clock."""
    clock = ManualClock()
    application = new_app(config, clock=clock, run_worker=run_worker)
    services = await stack.enter_async_context(running(application))
    await ensure_built_in_roles()
    client = await stack.enter_async_context(client_of(application, **headers))
    return client, services, clock
