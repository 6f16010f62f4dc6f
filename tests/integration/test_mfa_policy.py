"""The MFA policy (issue 15 §2), in-process over GraphQL on SQLite and PostgreSQL: a role that requires
a second factor grants nothing to a session that has not proved one (3243 instead of 3029), and the
site-wide ``mfaPolicy: REQUIRED`` leaves such a session able to enrol and nothing else. TOTP codes are
computed by pyotp from the enrolled secret, time moved by the harness's ManualClock; passkeys are a
software authenticator's (tests/authenticator.py)."""

from __future__ import annotations

from typing import Any

import jwt
import pyotp

from gql.db.models import AuditEvent
from tests.authenticator import Authenticator
from tests.conftest import ADMIN_KEY
from tests.integration.documents import ASSIGN_ROLE, CREATE_ROLE, code
from tests.integration.session_harness import PASSWORD, Harness, Start

ADA, BOB = "ada@example.com", "bob@example.com"
ERROR = "... on Error { code reason message property }"
ME = "{ currentMember { id mfaEnabled mfaRequired permissions roles { name requireMfa } } }"
MUTE = f"""mutation ($id: ID!) {{ muteMember(id: $id) {{ __typename
  ... on MuteMemberPayload {{ member {{ id activityStatus }} }} {ERROR} }} }}"""
DELETE = f"mutation ($id: ID!) {{ deleteMember(id: $id) {{ __typename {ERROR} }} }}"
READ_BOB = "query ($id: ID!) { member(id: $id) { __typename ... on Member { loginEmail } } }"
SETTINGS = "{ registrationSettings { mfaPolicy } }"
UPDATE_SETTINGS = """mutation ($input: RegistrationSettingsInput!) { updateRegistrationSettings(input: $input) {
  __typename ... on UpdateRegistrationSettingsPayload { settings { mfaPolicy } } } }"""
UPDATE_ROLE = f"""mutation ($id: ID!, $input: RoleInput!) {{ updateRole(id: $id, input: $input) {{ __typename
  ... on RolePayload {{ role {{ name requireMfa }} }} {ERROR} }} }}"""
ROLES = "{ roles { id name system requireMfa } }"
ENROLL = f"mutation {{ enrollTotp {{ __typename ... on EnrollTotpPayload {{ secret }} {ERROR} }} }}"
CONFIRM = f"""mutation ($code: String!) {{ confirmTotp(code: $code) {{ __typename
  ... on ConfirmTotpPayload {{ recoveryCodes }} {ERROR} }} }}"""
DISABLE = f"mutation ($code: String!) {{ disableTotp(code: $code) {{ __typename {ERROR} }} }}"
LOGIN = f"""mutation ($identity: String!, $password: String!) {{ login(identity: $identity, password: $password) {{
  __typename ... on LoginPayload {{ sessionToken member {{ mfaEnabled mfaRequired }} }}
  ... on MfaRequired {{ mfaToken methods }} {ERROR} }} }}"""
VERIFY = f"""mutation ($mfa: String!, $code: String!) {{ verifyMfa(mfaToken: $mfa, code: $code) {{ __typename
  ... on VerifyMfaPayload {{ sessionToken session {{ secondFactor }} }} {ERROR} }} }}"""
REAUTHENTICATE = f"""mutation ($code: String, $credential: String) {{
  reauthenticate(code: $code, credential: $credential) {{ __typename {ERROR} }} }}"""
ISSUE = "mutation { issueAccessToken { __typename ... on IssueAccessTokenPayload { accessToken } } }"
UPDATE_ME = """mutation ($id: ID!) { updateMember(id: $id, input: { title: "Countess" }) {
  __typename ... on UpdateMemberPayload { member { profile { title } } } } }"""
LOGOUT = "mutation { logout { __typename } }"
START_REGISTRATION = f"""mutation {{ startPasskeyRegistration {{ __typename
  ... on StartPasskeyRegistrationPayload {{ options }} {ERROR} }} }}"""
FINISH_REGISTRATION = f"""mutation ($credential: String!) {{ finishPasskeyRegistration(credential: $credential, name: "Key") {{
  __typename {ERROR} }} }}"""
START_STEP_UP = f"""mutation {{ startPasskeyReauthentication {{ __typename
  ... on StartPasskeyReauthenticationPayload {{ options }} {ERROR} }} }}"""
GUEST = "mutation { loginAsGuest { __typename ... on LoginAsGuestPayload { sessionToken } } }"
CREATE_KEY = """mutation { createApiKey(input: { name: "reader", permissions: [MEMBERS_READ] }) {
  __typename ... on CreateApiKeyPayload { key } } }"""
MEMBERS = "{ members(first: 5) { totalCount } }"
SUPPORT = ["MEMBERS_READ", "MEMBERS_UPDATE", "SETTINGS_MANAGE"]


async def data(h: Harness, document: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    """The one field a document asks for, which must answer without request-level errors."""
    body = await (h.client.member(token, document, variables) if token else h.client.backend(document, variables))
    assert "errors" not in body, body
    [value] = body["data"].values()
    return value


async def refused(h: Harness, document: str, token: str, **variables: Any) -> dict[str, Any]:
    """A request refused as a whole before anything ran (graphql-response+json): its one error."""
    response = await h.client.http.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 403, response.text
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": 3243, "reason": "MFA_REQUIRED"}, error
    return error


async def role(h: Harness, name: str, permissions: list[str], require_mfa: bool | None = None) -> str:
    given = {} if require_mfa is None else {"requireMfa": require_mfa}
    made = await data(h, CREATE_ROLE, input={"name": name, "title": name, "permissions": permissions, **given})
    assert made["__typename"] == "CreateRolePayload", made
    assert made["role"]["requireMfa"] is bool(require_mfa)
    return str(made["role"]["id"])


async def holder(h: Harness, email: str, role_id: str) -> dict[str, Any]:
    """A member registered (a session without a second factor) and given the role."""
    made = await h.register(email)
    assigned = await data(h, ASSIGN_ROLE, r=role_id, m=made["member"]["id"])
    assert assigned["__typename"] == "AssignRolePayload", assigned
    return made


async def claims(h: Harness, token: str) -> dict[str, Any]:
    issued = await data(h, ISSUE, token)
    return jwt.decode(issued["accessToken"], options={"verify_signature": False})


async def policy(h: Harness, value: str) -> None:
    changed = await data(h, UPDATE_SETTINGS, input={"mfaPolicy": value})
    assert changed["settings"] == {"mfaPolicy": value}, changed


class App:
    """The member's authenticator app, going by the harness's clock; each code spent moves a step on."""

    def __init__(self, h: Harness, secret: str) -> None:
        self.h, self.totp = h, pyotp.TOTP(secret)

    def code(self) -> str:
        self.h.clock.advance(30)  # a code works once: the next one is another step's
        return self.totp.at(self.h.clock.time())


async def enrol_totp(h: Harness, token: str) -> App:
    enrolment = await data(h, ENROLL, token)
    assert enrolment["__typename"] == "EnrollTotpPayload", enrolment
    app = App(h, enrolment["secret"])
    confirmed = await data(h, CONFIRM, token, code=app.code())
    assert confirmed["__typename"] == "ConfirmTotpPayload", confirmed
    return app


async def sign_in_with_totp(h: Harness, email: str, app: App) -> str:
    challenge = await data(h, LOGIN, identity=email, password=PASSWORD)
    assert challenge["__typename"] == "MfaRequired", challenge
    verified = await data(h, VERIFY, mfa=challenge["mfaToken"], code=app.code())
    assert verified["session"] == {"secondFactor": "TOTP"}, verified
    return str(verified["sessionToken"])


# --- a role that requires MFA ---------------------------------------------------------------------


async def test_a_role_that_requires_mfa_grants_nothing_without_a_second_factor(start: Start) -> None:
    h = await start()
    bob = (await h.register(BOB))["member"]["id"]  # private: only MEMBERS_READ sees him
    support = await role(h, "support", SUPPORT, require_mfa=True)
    built_in = {r["name"]: r["requireMfa"] for r in await data(h, ROLES) if r["system"]}
    assert built_in == {"admin": False, "AuthenticatedUser": False, "GuestUser": False, "SocialUser": False}
    ada = (await holder(h, ADA, support))["sessionToken"]

    me = await data(h, ME, ada)
    assert me["permissions"] == [] and me["mfaEnabled"] is False and me["mfaRequired"] is True
    assert {"name": "support", "requireMfa": True} in me["roles"]  # held, not in force
    # What only the role would allow: 3243, saying what to do…
    muted = await data(h, MUTE, ada, id=bob)
    assert (muted["__typename"], muted["code"], muted["reason"]) == ("MfaRequiredError", 3243, "MFA_REQUIRED")
    assert "MEMBERS_UPDATE" in muted["message"] and "enrollTotp" in muted["message"]
    # …also where a query field refuses, while what hides quietly stays hidden (a plain member's view)…
    body = await h.client.member(ada, SETTINGS)
    assert body["data"]["registrationSettings"] is None and body["errors"][0]["extensions"]["code"] == 3243
    assert (await data(h, READ_BOB, ada, id=bob)) is None
    # …and what no role of hers grants is the usual 3029.
    assert code(await data(h, DELETE, ada, id=bob)) == 3029
    # Tokens for other services say no more than this server allows.
    granted = await claims(h, ada)
    assert "support" not in granted["roles"] and granted["permissions"] == []


async def test_enrolling_and_signing_in_with_a_second_factor_puts_the_role_in_force(start: Start) -> None:
    h = await start()
    bob = (await h.register(BOB))["member"]["id"]
    support = await role(h, "support", SUPPORT, require_mfa=True)
    ada = await holder(h, ADA, support)
    before = await h.login(ADA)  # a session opened before she enrols: it never proves a factor
    assert before["__typename"] == "LoginPayload"

    app = await enrol_totp(h, ada["sessionToken"])
    # The session that enrolled the factor proved it (confirmTotp): the role applies to it at once.
    assert (await data(h, ME, ada["sessionToken"]))["permissions"] == SUPPORT
    assert (await data(h, MUTE, ada["sessionToken"], id=bob))["__typename"] == "MuteMemberPayload"

    # Signing in again goes through the second factor, and the new session holds the role.
    fresh = await sign_in_with_totp(h, ADA, app)
    assert (await data(h, ME, fresh))["permissions"] == SUPPORT
    assert (await data(h, READ_BOB, fresh, id=bob)) == {"__typename": "Member", "loginEmail": BOB}
    granted = await claims(h, fresh)
    assert "support" in granted["roles"] and granted["permissions"] == SUPPORT and "otp" in granted["amr"]

    # The older session proved nothing: still a plain member, told to prove the factor it has now…
    old = before["sessionToken"]
    assert (await data(h, ME, old))["permissions"] == []
    muted = await data(h, MUTE, old, id=bob)
    assert code(muted) == 3243 and "reauthenticate" in muted["message"]
    # …until it does.
    assert (await data(h, REAUTHENTICATE, old, code=app.code()))["__typename"] == "ReauthenticatePayload"
    assert (await data(h, MUTE, old, id=bob))["__typename"] == "MuteMemberPayload"

    # Without a factor any more, no session of hers has the role in force.
    assert (await data(h, DISABLE, fresh, code=app.code()))["__typename"] == "DisableTotpPayload"
    assert (await data(h, ME, fresh))["permissions"] == []
    assert code(await data(h, MUTE, fresh, id=bob)) == 3243


async def test_a_badge_that_carries_such_a_role_is_held_back_alike(start: Start) -> None:
    h = await start()
    bob = (await h.register(BOB))["member"]["id"]
    support = await role(h, "support", SUPPORT, require_mfa=True)
    badge = await data(
        h,
        """mutation ($input: BadgeInput!) { createBadge(input: $input) { ... on BadgePayload { badge { id } } } }""",
        input={"title": "Support", "roleId": support},
    )
    ada = await h.register(ADA)
    awarded = await data(
        h,
        "mutation ($b: ID!, $m: [ID!]!) { assignBadge(badgeId: $b, memberIds: $m) { __typename } }",
        b=badge["badge"]["id"],
        m=[ada["member"]["id"]],
    )
    assert awarded["__typename"] == "AssignBadgePayload"
    page = await data(h, "{ members(first: 10) { edges { node { ... on Member { loginEmail mfaRequired } } } } }")
    required = {edge["node"]["loginEmail"]: edge["node"]["mfaRequired"] for edge in page["edges"]}
    assert required == {ADA: True, BOB: False}  # the badge's role asks it of Ada only
    assert code(await data(h, MUTE, ada["sessionToken"], id=bob)) == 3243
    await enrol_totp(h, ada["sessionToken"])
    assert (await data(h, MUTE, ada["sessionToken"], id=bob))["__typename"] == "MuteMemberPayload"


async def test_require_mfa_is_set_on_a_role_and_never_on_a_built_in_one(start: Start) -> None:
    h = await start()
    editors = await role(h, "editors", ["MEMBERS_UPDATE"])  # the default: false
    turned = await data(h, UPDATE_ROLE, id=editors, input={"requireMfa": True})
    assert turned["role"] == {"name": "editors", "requireMfa": True}
    [audited] = await AuditEvent.filter(kind="ROLE_UPDATED")
    assert audited.data["fields"] == ["require_mfa"]
    ids = {r["name"]: r["id"] for r in await data(h, ROLES)}
    for name in ("AuthenticatedUser", "GuestUser", "SocialUser"):
        refused_ = await data(h, UPDATE_ROLE, id=ids[name], input={"requireMfa": True})
        assert (refused_["code"], refused_["property"]) == (3213, "requireMfa"), refused_
        assert (await data(h, UPDATE_ROLE, id=ids[name], input={"requireMfa": False}))["__typename"] == (
            "UpdateRolePayload"
        )
    assert code(await data(h, UPDATE_ROLE, id=ids["admin"], input={"requireMfa": True})) == 3213


async def test_a_delegate_cannot_grant_through_a_role_held_back(start: Start) -> None:
    """Nobody grants what it does not hold, and what a role held back would give is not held: 3243."""
    h = await start()
    managers = await role(h, "managers", ["ROLES_MANAGE", "MEMBERS_DELETE"], require_mfa=True)
    plain = await role(h, "plain", ["ROLES_MANAGE"])
    ada = await holder(h, ADA, managers)
    assigned = await data(h, ASSIGN_ROLE, r=plain, m=ada["member"]["id"])
    assert assigned["__typename"] == "AssignRolePayload"
    create = f"""mutation {{ createRole(input: {{ name: "janitors", title: "J", permissions: [MEMBERS_DELETE] }}) {{
      __typename {ERROR} }} }}"""
    made = await data(h, create, ada["sessionToken"])
    assert code(made) == 3243 and "MEMBERS_DELETE" in made["message"]
    await enrol_totp(h, ada["sessionToken"])
    assert (await data(h, create, ada["sessionToken"]))["__typename"] == "CreateRolePayload"


# --- the site-wide policy -------------------------------------------------------------------------


async def test_optional_by_default_changes_nothing(start: Start) -> None:
    h = await start()
    assert await data(h, SETTINGS) == {"mfaPolicy": "OPTIONAL"}
    bob = (await h.register(BOB))["member"]["id"]
    readers = await role(h, "readers", ["MEMBERS_READ", "MEMBERS_UPDATE"])
    ada = (await holder(h, ADA, readers))["sessionToken"]
    me = await data(h, ME, ada)
    assert me["permissions"] == ["MEMBERS_READ", "MEMBERS_UPDATE"] and me["mfaRequired"] is False
    assert (await data(h, READ_BOB, ada, id=bob)) == {"__typename": "Member", "loginEmail": BOB}
    assert (await data(h, MUTE, ada, id=bob))["__typename"] == "MuteMemberPayload"
    assert (await data(h, MEMBERS, ada))["totalCount"] == 2  # MEMBERS_READ: everybody


async def test_required_leaves_a_factorless_session_able_to_enrol_and_nothing_else(start: Start) -> None:
    h = await start()
    await policy(h, "REQUIRED")
    ada = await h.register(ADA)  # registration still signs her in…
    token, ada_id = ada["sessionToken"], ada["member"]["id"]
    second = await h.login(ADA)  # …and so does a password, without a factor to ask for
    assert second["__typename"] == "LoginPayload", second

    # Who she is, and that a factor is required of her, she may read.
    me = await data(h, ME, token)
    assert (me["mfaRequired"], me["mfaEnabled"], me["permissions"]) == (True, False, [])
    assert (await data(h, "{ __typename }", token)) == "Query"
    # Anything else is refused whole, before it runs: a query, a mutation, one hidden in a fragment or
    # beside an allowed field, a subscription-less access token.
    error = await refused(h, MEMBERS, token)
    assert "enrollTotp" in error["message"]
    await refused(h, "{ currentMember { id } members(first: 1) { totalCount } }", token)
    await refused(h, "query { ...Sneaky } fragment Sneaky on Query { members(first: 1) { totalCount } }", token)
    await refused(h, "query { ... on Query { members(first: 1) { totalCount } } }", token)
    await refused(h, UPDATE_ME, token, id=ada_id)
    await refused(h, ISSUE, token)
    legacy = await h.client.member(token, UPDATE_ME, {"id": ada_id})  # application/json: 200, data null
    assert legacy["data"] is None and legacy["errors"][0]["extensions"]["code"] == 3243

    # Enrolling is allowed; confirming it makes this session multi-factor, with every right back.
    app = await enrol_totp(h, token)
    assert (await data(h, MEMBERS, token))["totalCount"] == 0  # nobody public
    assert (await data(h, UPDATE_ME, token, id=ada_id))["member"] == {"profile": {"title": "Countess"}}
    # A new sign-in proves the factor and is whole from the start.
    fresh = await sign_in_with_totp(h, ADA, app)
    assert (await data(h, MEMBERS, fresh))["totalCount"] == 0  # nobody public
    # The session opened before she enrolled proved nothing: it may prove the factor (and log out)…
    old = second["sessionToken"]
    assert "reauthenticate" in (await refused(h, MEMBERS, old))["message"]
    # …and adding another factor needs one proved first (else it could promote itself): 3244.
    assert code(await data(h, START_REGISTRATION, old)) == 3244
    assert (await data(h, REAUTHENTICATE, old, code=app.code()))["__typename"] == "ReauthenticatePayload"
    assert (await data(h, MEMBERS, old))["totalCount"] == 0  # nobody public


async def test_required_with_a_passkey_and_logging_out(start: Start) -> None:
    h = await start()
    await policy(h, "REQUIRED")
    token = (await h.register(BOB))["sessionToken"]
    device = Authenticator(origin=h.services.config.passkey_origins[0])
    started = await data(h, START_REGISTRATION, token)
    finished = await data(h, FINISH_REGISTRATION, token, credential=device.create(started["options"]))
    assert finished["__typename"] == "FinishPasskeyRegistrationPayload", finished
    # Registering is no assertion: the session proves the new passkey before it is whole.
    await refused(h, MEMBERS, token)
    options = (await data(h, START_STEP_UP, token))["options"]
    assert (await data(h, REAUTHENTICATE, token, credential=device.get(options)))["__typename"] == (
        "ReauthenticatePayload"
    )
    assert (await data(h, MEMBERS, token))["totalCount"] == 0  # nobody public
    # An enrolment-only session may log out.
    other = await h.login(BOB)
    assert other["__typename"] == "MfaRequired"  # Bob has a factor now: sign-ins ask for it
    carol = (await h.register("carol@example.com"))["sessionToken"]
    assert (await data(h, LOGOUT, carol))["__typename"] == "LogoutPayload"
    assert not await h.alive(carol)


async def test_required_exempts_guests_backend_keys_and_scoped_keys(start: Start) -> None:
    h = await start()
    await policy(h, "REQUIRED")
    ada = (await h.register(ADA))["sessionToken"]
    guest = await h.client.anonymous(GUEST)
    guest_token = guest["data"]["loginAsGuest"]["sessionToken"]
    # A guest has no factor to enrol (it registers first): the policy does not ask it for one.
    assert (await data(h, "{ currentMember { mfaRequired } }", guest_token)) == {"mfaRequired": False}
    assert (await data(h, MEMBERS, guest_token))["totalCount"] == 0  # what page code sees: no public members
    # The backend key, a scoped key, and a request with both a session and a key: the key decides.
    assert (await data(h, MEMBERS))["totalCount"] == 2
    key = (await data(h, CREATE_KEY))["key"]
    scoped = await h.client.post(MEMBERS, None, **{"X-Api-Key": key})
    assert scoped["data"]["members"]["totalCount"] == 2
    both = await h.client.post(MEMBERS, None, Authorization=f"Bearer {ada}", **{"X-Api-Key": ADMIN_KEY})
    assert both["data"]["members"]["totalCount"] == 2
    # Back to OPTIONAL: the factorless session is whole again at its next request.
    await refused(h, MEMBERS, ada)
    await policy(h, "OPTIONAL")
    assert (await data(h, MEMBERS, ada))["totalCount"] == 0  # nobody public
