"""Every error a mutation's result union lists is one a request can make it answer (issue 11 §1).

The other direction — every code a mutation raises is listed — is the strict mode of
``ErrorsAsData`` (gql/api/errors.py): under ``environment == "test"`` an unlisted code fails
the request, so the whole suite proves it. Here the pairs (mutation, listed code) are read from
the schema itself, and each pair must have a scenario in ``SCENARIOS`` that drives real requests
through the app (in-process over ASGI, as the other integration tests do) until the mutation
answers that error type. A code added to a union without a scenario fails this module; so does a
scenario left behind for a code that left its union.

Scenarios run one per test, on an emptied database, in an app built from the test settings plus
the few changes a scenario declares (``Scenario.config``: a small rate-limit scale, a lockout
threshold, a longer list limit).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import cache, partial
from typing import Any

import pyotp
import pytest
from graphql import GraphQLSchema, GraphQLUnionType, get_named_type, is_abstract_type

from gql.api.errors import ERROR_TYPES
from gql.config import Config
from gql.db.models import Member
from gql.domain.contacts import MAX_LIST_ITEMS
from gql.domain.errors import ErrorCode
from gql.domain.errors import ErrorCode as C
from gql.domain.links import new_link
from gql.domain.services import Services
from gql.domain.statuses import SessionLimitPolicy
from gql.domain.tokens import Purpose, SignedTokens
from gql.schema import build_schema
from tests.authenticator import Authenticator
from tests.conftest import GraphQLClient
from tests.integration import documents
from tests.integration.test_external_error_lists import SCENARIOS as EXTERNAL_SCENARIOS
from tests.integration.test_parity_error_lists import SCENARIOS as PARITY_SCENARIOS
from tests.passwordless import issued

Result = dict[str, Any]
Send = Callable[[str, dict[str, Any] | None], Awaitable[dict[str, Any]]]

SCHEMA: GraphQLSchema = build_schema()._schema

# --- the pairs, from the schema ----------------------------------------------------------------

CODE_OF_TYPE: dict[str, ErrorCode] = {cls.__strawberry_definition__.name: code for code, cls in ERROR_TYPES.items()}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Pair:
    """A mutation and one error type its result union lists."""

    mutation: str
    code: ErrorCode
    type_name: str

    @property
    def key(self) -> tuple[str, ErrorCode]:
        return self.mutation, self.code

    @property
    def retryable(self) -> bool:
        return SCHEMA.is_sub_type(SCHEMA.get_type("RetryableError"), SCHEMA.get_type(self.type_name))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.mutation}-{self.code.name}"


def result_union(mutation: str) -> GraphQLUnionType:
    assert SCHEMA.mutation_type is not None
    union = get_named_type(SCHEMA.mutation_type.fields[mutation].type)
    assert isinstance(union, GraphQLUnionType), f"{mutation} does not answer a result union"
    return union


def listed_pairs() -> list[Pair]:
    assert SCHEMA.mutation_type is not None
    error = SCHEMA.get_type("Error")
    return [
        Pair(mutation, CODE_OF_TYPE[member.name], member.name)
        for mutation in SCHEMA.mutation_type.fields
        for member in result_union(mutation).types
        if SCHEMA.is_sub_type(error, member)  # type: ignore[arg-type]
    ]


# The issue-12 parity mutations (generateSessionToken, mute/unmute, deleteMember*, verifyPassword,
# createEmailConfirmationUrl) have their table in test_parity_error_lists.py, which also checks that
# it lists exactly their unions' codes; the external sign-in mutations (issue 14) theirs in
# test_external_error_lists.py, against a real OpenID Provider; here are all the others.
PAIRS = [
    pair for pair in listed_pairs() if pair.mutation not in PARITY_SCENARIOS and pair.mutation not in EXTERNAL_SCENARIOS
]


def payload_type(mutation: str) -> str:
    """The one member of the mutation's result union that is its payload."""
    error = SCHEMA.get_type("Error")
    # MfaRequired (a sign-in's next step) is not an error either, and not the payload.
    members = result_union(mutation).types
    [payload] = [t.name for t in members if not SCHEMA.is_sub_type(error, t) and t.name != "MfaRequired"]  # type: ignore[arg-type]
    return payload


# What each call selects, where the union has a member of that type.
SELECTIONS = {
    "Error": "code reason message property",
    "RetryableError": "retryAfter",
    "LimitError": "limit",
    "MemberPayload": "member { id loginEmail profile { slug } }",
    "SessionPayload": "sessionToken",
    "EnrollTotpPayload": "secret",
    "MfaRequired": "mfaToken",
    "StartPasskeyRegistrationPayload": "options",
    "StartPasskeyLoginPayload": "options challengeId",
    "StartPasskeyMfaPayload": "options",
    "StartPasskeyReauthenticationPayload": "options",
    "FinishPasskeyRegistrationPayload": "passkey { id }",
}


def selects(name: str, member: Any) -> bool:
    """Whether the union member ``member`` is of the type (or interface) ``name``."""
    named = SCHEMA.get_type(name)
    return member.name == name or (is_abstract_type(named) and SCHEMA.is_sub_type(named, member))  # type: ignore[arg-type]


@cache
def document(mutation: str) -> str:
    """``mutation`` with every argument as a variable, selecting what ``SELECTIONS`` names."""
    assert SCHEMA.mutation_type is not None
    arguments = SCHEMA.mutation_type.fields[mutation].args
    members = result_union(mutation).types
    spreads = " ".join(
        f"... on {name} {{ {fields} }}"
        for name, fields in SELECTIONS.items()
        if any(selects(name, member) for member in members)
    )
    head = (
        f"mutation ({', '.join(f'${name}: {arg.type}' for name, arg in arguments.items())})"
        if arguments
        else "mutation"
    )
    call = f"{mutation}({', '.join(f'{name}: ${name}' for name in arguments)})" if arguments else mutation
    return f"{head} {{ {call} {{ __typename {spreads} }} }}"


# --- the world a scenario acts in --------------------------------------------------------------

ADA, BOB = "ada@example.com", "bob@example.com"
NOBODY = "nobody@example.com"
PASSWORD = "wonderland"
# Signs genuine-looking claims with a key that is not the server's.
FORGER = SignedTokens("not-the-server-key-but-just-as-long-0123456789abcdef")


class Scene:
    """The app under test, spoken to as page code, a member or the backend would; records every answer."""

    def __init__(self, client: GraphQLClient, services: Services) -> None:
        self.client = client
        self.services = services
        self.answers: list[tuple[str, Result]] = []

    async def _call(self, send: Send, mutation: str, variables: dict[str, Any]) -> Result:
        body = await send(document(mutation), variables)
        assert "errors" not in body, body
        result: Result = body["data"][mutation]
        self.answers.append((mutation, result))
        return result

    async def anonymous(self, mutation: str, **variables: Any) -> Result:
        return await self._call(self.client.anonymous, mutation, variables)

    async def backend(self, mutation: str, **variables: Any) -> Result:
        return await self._call(self.client.backend, mutation, variables)

    async def as_member(self, session: str, mutation: str, **variables: Any) -> Result:
        return await self._call(partial(self.client.member, session), mutation, variables)

    async def settings(self, **changes: Any) -> None:
        if changes:
            await documents.settings(self.client, **changes)

    async def register(self, email: str | None = ADA, *, backend: bool = False, **options: Any) -> Result:
        """A registration that succeeds (``RegisterPayload``), with ``options`` as given."""
        payload = await documents.register(self.client, email, PASSWORD, backend=backend, options=options or None)
        assert payload["__typename"] == "RegisterPayload", payload
        return payload

    async def link(
        self, purpose: Purpose, email: str, *, issued_at: datetime | None = None, signer: SignedTokens | None = None
    ) -> str:
        """The token of the member's live link of ``purpose``, as the outbox worker writes it into the mail
        (optionally issued at another time, or signed with another key)."""
        recipe = new_link(self.services, purpose, await Member.get(email_key=email))
        if issued_at is not None:
            recipe = replace(recipe, issued_at=issued_at)
        if signer is None:
            return recipe.token(self.services)
        return signer.issue(recipe.purpose, recipe.member_id, recipe.jti, recipe.fingerprint, recipe.issued_at)


def expect(result: Result, type_name: str) -> Result:
    """A setup step's answer, which must be ``type_name``."""
    assert result["__typename"] == type_name, result
    return result


Run = Callable[[Scene], Awaitable[Result]]


@dataclass(frozen=True)
class Scenario:
    run: Run
    # Changes to the test Config the app is built with (Config field names).
    config: Mapping[str, Any] = field(default_factory=dict)


# --- scenarios about the caller and the member named ------------------------------------------

MemberArgs = Callable[[Result], dict[str, Any]]  # a member (id, loginEmail) → the mutation's variables


def by_id(member: Result) -> dict[str, Any]:
    return {"id": member["id"]}


def by_email(member: Result) -> dict[str, Any]:
    return {"email": member["loginEmail"]}


def anonymous_caller(mutation: str, args: MemberArgs) -> Scenario:
    """Page code without a key asks for a backend-only change to an existing member: 3029."""

    async def run(scene: Scene) -> Result:
        ada = await scene.register(ADA)
        return await scene.anonymous(mutation, **args(ada["member"]))

    return Scenario(run)


def unknown_member(mutation: str, args: MemberArgs) -> Scenario:
    """The backend names a member nobody is (another member exists): 3030."""

    async def run(scene: Scene) -> Result:
        await scene.register(ADA)
        return await scene.backend(mutation, **args({"id": str(uuid.uuid4()), "loginEmail": NOBODY}))

    return Scenario(run)


def blocked_member(mutation: str, args: MemberArgs) -> Scenario:
    """The backend acts on a blocked member (approveMember: unblock it instead, 3000)."""

    async def run(scene: Scene) -> Result:
        ada = (await scene.register(ADA))["member"]
        expect(await scene.backend("blockMember", id=ada["id"]), "BlockMemberPayload")
        return await scene.backend(mutation, **args(ada))

    return Scenario(run)


# --- rate limits --------------------------------------------------------------------------------

# Every per-address bucket holds one token (capacity is at least 1 whatever the scale).
LIMITED = {"rate_limit_scale": 0.001}


def rate_limited(mutation: str, **variables: Any) -> Scenario:
    """The same anonymous request twice from one address: the first spends the only token, the second is 3207."""

    async def run(scene: Scene) -> Result:
        first = await scene.anonymous(mutation, **variables)
        assert first["__typename"] != "RateLimitedError", first
        return await scene.anonymous(mutation, **variables)

    return Scenario(run, LIMITED)


async def change_password_too_often(scene: Scene) -> Result:
    ada = await scene.register(ADA)
    session = ada["sessionToken"]
    wrong = {"currentPassword": "not-the-password", "newPassword": "brand-new-password"}
    expect(await scene.as_member(session, "changePassword", **wrong), "WrongCurrentPasswordError")
    return await scene.as_member(session, "changePassword", **wrong)


# --- emailed links and the approval token -------------------------------------------------------


@dataclass(frozen=True)
class LinkFlow:
    """How a member comes to hold a live token for a mutation that takes one."""

    purpose: Purpose
    settings: Mapping[str, Any]  # registration settings under which a registration gets the token
    variables: Mapping[str, Any] = field(default_factory=dict)  # the mutation's other arguments
    requested: bool = False  # the member asks for it (requestPasswordReset) after registering

    async def member_with_token(self, scene: Scene) -> Result:
        await scene.settings(**self.settings)
        ada = (await scene.register(ADA))["member"]
        if self.requested:
            expect(await scene.anonymous("requestPasswordReset", email=ADA), "RequestPasswordResetPayload")
        return ada

    async def use(self, scene: Scene, mutation: str, token: str) -> Result:
        return await scene.anonymous(mutation, token=token, **self.variables)


LINK_FLOWS: dict[str, LinkFlow] = {
    "approveByToken": LinkFlow(Purpose.APPROVE, {"approval": "MANUAL"}),
    "confirmEmail": LinkFlow(Purpose.CONFIRM, {"emailConfirmation": True}),
    "resetPassword": LinkFlow(Purpose.RESET, {}, {"newPassword": "brand-new-password"}, requested=True),
}


def forged_token(mutation: str) -> Scenario:
    """The claims of the member's live token, signed with another key: 3201."""
    flow = LINK_FLOWS[mutation]

    async def run(scene: Scene) -> Result:
        await flow.member_with_token(scene)
        return await flow.use(scene, mutation, await scene.link(flow.purpose, ADA, signer=FORGER))

    return Scenario(run)


def expired_token(mutation: str) -> Scenario:
    """The member's live token, issued one lifetime and a minute ago: 3202."""
    flow = LINK_FLOWS[mutation]

    async def run(scene: Scene) -> Result:
        await flow.member_with_token(scene)
        issued = datetime.now(timezone.utc) - flow.purpose.ttl - timedelta(minutes=1)
        return await flow.use(scene, mutation, await scene.link(flow.purpose, ADA, issued_at=issued))

    return Scenario(run)


def used_token(mutation: str) -> Scenario:
    """The token works once; the second use is 3203."""
    flow = LINK_FLOWS[mutation]

    async def run(scene: Scene) -> Result:
        await flow.member_with_token(scene)
        token = await scene.link(flow.purpose, ADA)
        first = await flow.use(scene, mutation, token)
        assert first["__typename"] == payload_type(mutation), first
        return await flow.use(scene, mutation, token)

    return Scenario(run)


def token_of_blocked_member(mutation: str) -> Scenario:
    """The member was blocked after its token was issued: 3000."""
    flow = LINK_FLOWS[mutation]

    async def run(scene: Scene) -> Result:
        await flow.member_with_token(scene)
        token = await scene.link(flow.purpose, ADA)
        expect(await scene.backend("blockByEmail", email=ADA), "BlockByEmailPayload")
        return await flow.use(scene, mutation, token)

    return Scenario(run)


def token_of_deleted_member(mutation: str) -> Scenario:
    """The member was deleted after its token was issued: 3030."""
    flow = LINK_FLOWS[mutation]

    async def run(scene: Scene) -> Result:
        ada = await flow.member_with_token(scene)
        token = await scene.link(flow.purpose, ADA)
        expect(await scene.backend("deleteMember", id=ada["id"]), "DeleteMemberPayload")
        return await flow.use(scene, mutation, token)

    return Scenario(run)


def token_rate_limited(mutation: str) -> Scenario:
    return rate_limited(mutation, token="JWS.not.a-token", **LINK_FLOWS[mutation].variables)


# --- custom fields against the registration settings --------------------------------------------

HOBBY_REQUIRED = {"declaredProperties": [{"name": "hobby", "required": True}]}
USERNAME_IDENTITY = {"declaredProperties": [{"name": "username"}], "identityProperty": "username"}


@dataclass(frozen=True)
class PropertyCase:
    settings: Mapping[str, Any]
    sent: Any  # the customFields a request sends
    held: Mapping[str, Any] = field(default_factory=dict)  # what an existing member holds under these settings


PROPERTY_CASES: dict[ErrorCode, PropertyCase] = {
    C.RESERVED_PROPERTY: PropertyCase({}, {"id": "mine"}),
    C.DUPLICATE_PROPERTY: PropertyCase({}, {"hobby": "chess", "HOBBY": "go"}),
    C.UNKNOWN_PROPERTY: PropertyCase({"dynamicProperties": False}, {"hobby": "chess"}),
    C.MISSING_IDENTITY: PropertyCase(USERNAME_IDENTITY, {}, held={"username": "ada"}),
    C.REQUIRED_PROPERTY_MISSING: PropertyCase(HOBBY_REQUIRED, {}, held={"hobby": "chess"}),
    C.REQUIRED_PROPERTY_EMPTY: PropertyCase(HOBBY_REQUIRED, {"hobby": "  "}, held={"hobby": "chess"}),
    C.VALUE_TOO_LONG: PropertyCase(
        {"declaredProperties": [{"name": "hobby", "maxLength": 5}]}, {"hobby": "chess and go"}
    ),
    C.REGISTRATION_ERROR: PropertyCase({}, {"9lives": "a name must start with a letter"}),
}


def property_error(mutation: str, code: ErrorCode) -> Scenario:
    """``PROPERTY_CASES[code]``'s custom fields, sent to register, createMember or updateMember."""
    case = PROPERTY_CASES[code]

    async def run(scene: Scene) -> Result:
        await scene.settings(**case.settings)
        if mutation == "register":
            return await scene.anonymous(
                "register", email=ADA, password=PASSWORD, options={"contactInfo": {"customFields": case.sent}}
            )
        if mutation == "createMember":
            return await scene.backend("createMember", input={"email": ADA, "contactInfo": {"customFields": case.sent}})
        assert mutation == "updateMember", mutation
        ada = await scene.register(ADA, contactInfo={"customFields": dict(case.held)})
        return await scene.backend("updateMember", id=ada["member"]["id"], input={"customFields": case.sent})

    return Scenario(run)


# One phone more than a contact may hold. The request-level list limit (Config.max_list_items,
# default 100) refuses such a list before any mutation runs, so these scenarios raise it: the
# domain's own limit answers InvalidArgumentError on a server that allows longer lists.
PHONES = [{"phone": f"+44 20 7946 {n:04d}"} for n in range(MAX_LIST_ITEMS + 1)]
LONGER_LISTS = {"max_list_items": 2 * MAX_LIST_ITEMS}


async def register_too_many_phones(scene: Scene) -> Result:
    return await scene.anonymous("register", email=ADA, password=PASSWORD, options={"contactInfo": {"phones": PHONES}})


async def create_member_too_many_phones(scene: Scene) -> Result:
    return await scene.backend("createMember", input={"email": ADA, "contactInfo": {"phones": PHONES}})


# --- one-off scenarios, by mutation -------------------------------------------------------------


async def register_closed(scene: Scene) -> Result:
    await scene.settings(enabled=False)
    return await scene.anonymous("register", email=ADA, password=PASSWORD)


async def register_empty_password(scene: Scene) -> Result:
    return await scene.anonymous("register", email=ADA, password="")


async def register_weak_password(scene: Scene) -> Result:
    return await scene.anonymous("register", email=ADA, password="abc")


async def register_taken_email(scene: Scene) -> Result:
    await scene.register(ADA)
    return await scene.anonymous("register", email=ADA.upper(), password=PASSWORD)


async def register_bad_email(scene: Scene) -> Result:
    return await scene.anonymous("register", email="ada at example.com", password=PASSWORD)


async def register_someone_elses_guest(scene: Scene) -> Result:
    guest = expect(await scene.anonymous("loginAsGuest"), "LoginAsGuestPayload")
    # Another page, without the guest's session, names that guest.
    return await scene.anonymous("register", email=ADA, password=PASSWORD, options={"guestId": guest["member"]["id"]})


async def register_without_email_under_confirmation(scene: Scene) -> Result:
    await scene.settings(emailConfirmation=True, **USERNAME_IDENTITY)
    options = {"contactInfo": {"customFields": {"username": "ada"}}}
    return await scene.anonymous("register", email=None, password=PASSWORD, options=options)


async def login_empty(scene: Scene) -> Result:
    return await scene.anonymous("login", identity="  ", password=PASSWORD)


async def login_wrong_password(scene: Scene) -> Result:
    await scene.register(ADA)
    return await scene.anonymous("login", identity=ADA, password="not-the-password")


async def login_blocked(scene: Scene) -> Result:
    await scene.register(ADA)
    expect(await scene.backend("blockByEmail", email=ADA), "BlockByEmailPayload")
    return await scene.anonymous("login", identity=ADA, password=PASSWORD)


async def login_pending(scene: Scene) -> Result:
    await scene.settings(approval="MANUAL")
    await scene.register(ADA)
    return await scene.anonymous("login", identity=ADA, password=PASSWORD)


async def login_unconfirmed(scene: Scene) -> Result:
    await scene.settings(emailConfirmation=True)
    await scene.register(ADA)
    return await scene.anonymous("login", identity=ADA, password=PASSWORD)


LOCKOUT_AFTER_TWO = {"lockout_threshold": 2}


async def login_locked_out(scene: Scene) -> Result:
    await scene.register(ADA)
    for _ in range(2):
        expect(await scene.anonymous("login", identity=ADA, password="a-guess"), "InvalidCredentialsError")
    # Locked out now: even the right password is refused.
    return await scene.anonymous("login", identity=ADA, password=PASSWORD)


async def logout_twice(scene: Scene) -> Result:
    session = (await scene.register(ADA))["sessionToken"]
    expect(await scene.as_member(session, "logout"), "LogoutPayload")
    return await scene.as_member(session, "logout")  # the ended session signs nobody in


async def guests_closed(scene: Scene) -> Result:
    await scene.settings(enabled=False)
    return await scene.anonymous("loginAsGuest")


async def approve_by_token_unconfirmed(scene: Scene) -> Result:
    await scene.settings(approval="MANUAL", emailConfirmation=True)
    token = (await scene.register(ADA, backend=True))["approvalToken"]
    assert token, "the backend gets the approval token"
    return await scene.anonymous("approveByToken", token=token)


async def approve_by_email_unconfirmed(scene: Scene) -> Result:
    await scene.settings(emailConfirmation=True)
    await scene.register(ADA)
    return await scene.backend("approveByEmail", email=ADA)


async def resend_confirmed(scene: Scene) -> Result:
    await scene.settings(emailConfirmation=True)
    await scene.register(ADA)
    expect(await scene.anonymous("confirmEmail", token=await scene.link(Purpose.CONFIRM, ADA)), "ConfirmEmailPayload")
    return await scene.anonymous("resendEmailConfirmation", email=ADA)


async def resend_without_confirmation(scene: Scene) -> Result:
    await scene.register(ADA)
    return await scene.anonymous("resendEmailConfirmation", email=ADA)


async def resend_to_nobody(scene: Scene) -> Result:
    await scene.settings(emailConfirmation=True)
    await scene.register(ADA)
    return await scene.anonymous("resendEmailConfirmation", email=NOBODY)


def reset_with(new_password: str) -> Run:
    async def run(scene: Scene) -> Result:
        flow = LINK_FLOWS["resetPassword"]
        await flow.member_with_token(scene)
        token = await scene.link(Purpose.RESET, ADA)
        return await scene.anonymous("resetPassword", token=token, newPassword=new_password)

    return run


async def reset_while_pending(scene: Scene) -> Result:
    await scene.settings(approval="MANUAL")
    await scene.register(ADA)
    expect(await scene.anonymous("requestPasswordReset", email=ADA), "RequestPasswordResetPayload")
    token = await scene.link(Purpose.RESET, ADA)
    return await scene.anonymous("resetPassword", token=token, newPassword="brand-new-password")


async def change_password_anonymously(scene: Scene) -> Result:
    await scene.register(ADA)
    return await scene.anonymous("changePassword", currentPassword=PASSWORD, newPassword="brand-new-password")


def change_password(current: str, new: str) -> Run:
    async def run(scene: Scene) -> Result:
        session = (await scene.register(ADA))["sessionToken"]
        return await scene.as_member(session, "changePassword", currentPassword=current, newPassword=new)

    return run


async def update_someone_else(scene: Scene) -> Result:
    bob = await scene.register(BOB, privacyStatus="PUBLIC")  # Ada may see Bob's public profile...
    session = (await scene.register(ADA))["sessionToken"]
    # ...but not change it.
    return await scene.as_member(session, "updateMember", id=bob["member"]["id"], input={"nickname": "Mallory"})


async def update_to_taken_slug(scene: Scene) -> Result:
    bob = await scene.register(BOB)
    ada = await scene.register(ADA)
    taken = bob["member"]["profile"]["slug"]
    return await scene.backend("updateMember", id=ada["member"]["id"], input={"slug": taken})


async def update_blank_nickname(scene: Scene) -> Result:
    ada = await scene.register(ADA)
    return await scene.backend("updateMember", id=ada["member"]["id"], input={"nickname": "   "})


async def change_login_email_to_bad(scene: Scene) -> Result:
    ada = await scene.register(ADA)
    return await scene.backend("changeLoginEmail", memberId=ada["member"]["id"], newEmail="ada@@example.com")


async def change_login_email_to_taken(scene: Scene) -> Result:
    await scene.register(BOB)
    ada = await scene.register(ADA)
    return await scene.backend("changeLoginEmail", memberId=ada["member"]["id"], newEmail=BOB)


async def create_member_bad_email(scene: Scene) -> Result:
    return await scene.backend("createMember", input={"email": "ada.example.com"})


async def create_member_taken_email(scene: Scene) -> Result:
    await scene.register(ADA)
    return await scene.backend("createMember", input={"email": ADA})


def settings_refused(**changes: Any) -> Run:
    async def run(scene: Scene) -> Result:
        return await scene.backend("updateRegistrationSettings", input=changes)

    return run


# --- roles, badges, API keys ---------------------------------------------------------------------

ZERO_ID = "00000000-0000-0000-0000-000000000000"


async def built_in_role(scene: Scene, name: str) -> str:
    """The id of the role named ``name`` (built in, or made by the scenario)."""
    body = await scene.client.backend("{ roles { id name } }")
    return next(role["id"] for role in body["data"]["roles"] if role["name"] == name)


async def new_role(scene: Scene, name: str, *permissions: str) -> str:
    made = await scene.client.backend(
        "mutation ($input: RoleInput!) { createRole(input: $input) { ... on RolePayload { role { id } } } }",
        {"input": {"name": name, "title": name, "permissions": list(permissions)}},
    )
    return str(made["data"]["createRole"]["role"]["id"])


async def delegate(scene: Scene, *permissions: str) -> tuple[str, str]:
    """Ada, signed in, holding a role with ``permissions`` (and nothing else): (her session, her id)."""
    ada = await scene.register(ADA)
    role = await new_role(scene, "delegates", *permissions)
    expect(await scene.backend("assignRole", roleId=role, memberId=ada["member"]["id"]), "AssignRolePayload")
    return ada["sessionToken"], ada["member"]["id"]


def anonymously(mutation: str, **variables: Any) -> Scenario:
    """Page code without a key or session: 3029."""

    async def run(scene: Scene) -> Result:
        return await scene.anonymous(mutation, **variables)

    return Scenario(run)


def as_backend(mutation: str, **variables: Any) -> Scenario:
    """The backend names something nobody has, or sends what the rule refuses."""

    async def run(scene: Scene) -> Result:
        return await scene.backend(mutation, **variables)

    return Scenario(run)


async def create_role_twice(scene: Scene) -> Result:
    await new_role(scene, "editors")
    return await scene.backend("createRole", input={"name": "Editors", "title": "Editors again"})


async def create_role_beyond_holdings(scene: Scene) -> Result:
    session, _ = await delegate(scene, "ROLES_MANAGE")
    return await scene.as_member(
        session, "createRole", input={"name": "x", "title": "x", "permissions": ["MEMBERS_DELETE"]}
    )


async def rename_to_taken(scene: Scene) -> Result:
    await new_role(scene, "editors")
    writers = await new_role(scene, "writers")
    return await scene.backend("updateRole", id=writers, input={"name": "EDITORS"})


async def change_admin(scene: Scene) -> Result:
    return await scene.backend("updateRole", id=await built_in_role(scene, "admin"), input={"title": "Boss"})


async def widen_own_role(scene: Scene) -> Result:
    session, _ = await delegate(scene, "ROLES_MANAGE")
    role = await built_in_role(scene, "delegates")
    return await scene.as_member(
        session, "updateRole", id=role, input={"permissions": ["ROLES_MANAGE", "MEMBERS_DELETE"]}
    )


async def bad_color(scene: Scene) -> Result:
    role = await new_role(scene, "editors")
    return await scene.backend("updateRole", id=role, input={"color": "not a color!"})


async def delete_built_in(scene: Scene) -> Result:
    return await scene.backend("deleteRole", id=await built_in_role(scene, "GuestUser"))


async def delete_mightier_role(scene: Scene) -> Result:
    mighty = await new_role(scene, "mighty", "MEMBERS_DELETE")
    session, _ = await delegate(scene, "ROLES_MANAGE")
    return await scene.as_member(session, "deleteRole", id=mighty)


def assign_scenarios(mutation: str) -> dict[tuple[str, ErrorCode], Scenario]:
    async def unknown_role(scene: Scene) -> Result:
        ada = await scene.register(ADA)
        return await scene.backend(mutation, roleId=ZERO_ID, memberId=ada["member"]["id"])

    async def unknown_member_(scene: Scene) -> Result:
        role = await new_role(scene, "editors")
        return await scene.backend(mutation, roleId=role, memberId=ZERO_ID)

    async def computed(scene: Scene) -> Result:
        ada = await scene.register(ADA)
        role = await built_in_role(scene, "AuthenticatedUser")
        return await scene.backend(mutation, roleId=role, memberId=ada["member"]["id"])

    async def escalate(scene: Scene) -> Result:
        session, me = await delegate(scene, "ROLES_MANAGE")
        return await scene.as_member(session, mutation, roleId=await built_in_role(scene, "admin"), memberId=me)

    return {
        (mutation, C.NOT_ALLOWED): anonymously(mutation, roleId=ZERO_ID, memberId=ZERO_ID),
        (mutation, C.ROLE_NOT_FOUND): Scenario(unknown_role),
        (mutation, C.MEMBER_NOT_FOUND): Scenario(unknown_member_),
        (mutation, C.BUILT_IN_ROLE): Scenario(computed),
        (mutation, C.CANNOT_GRANT): Scenario(escalate),
    }


async def badge_id(scene: Scene, title: str = "Star", **more: Any) -> str:
    made = await scene.client.backend(
        "mutation ($input: BadgeInput!) { createBadge(input: $input) { ... on BadgePayload { badge { id } } } }",
        {"input": {"title": title, **more}},
    )
    return str(made["data"]["createBadge"]["badge"]["id"])


async def create_badge_twice(scene: Scene) -> Result:
    await badge_id(scene, "Star")
    return await scene.backend("createBadge", input={"title": "Star!"})


async def badge_with_mightier_role(scene: Scene, mutation: str) -> Result:
    mighty = await new_role(scene, "mighty", "MEMBERS_DELETE")
    session, me = await delegate(scene, "BADGES_MANAGE")
    if mutation == "createBadge":
        return await scene.as_member(session, mutation, input={"title": "Mine", "roleId": mighty})
    badge = await badge_id(scene, "Janitor", roleId=mighty)
    if mutation == "updateBadge":
        return await scene.as_member(session, mutation, id=badge, input={"title": "Renamed"})
    if mutation == "deleteBadge":
        return await scene.as_member(session, mutation, id=badge)
    return await scene.as_member(session, mutation, badgeId=badge, memberIds=[me])


async def update_badge_to_taken_slug(scene: Scene) -> Result:
    await badge_id(scene, "Star")
    other = await badge_id(scene, "Moon")
    return await scene.backend("updateBadge", id=other, input={"slug": "star"})


async def badge_unknown_role(scene: Scene, mutation: str) -> Result:
    if mutation == "createBadge":
        return await scene.backend(mutation, input={"title": "Star", "roleId": ZERO_ID})
    return await scene.backend(mutation, id=await badge_id(scene), input={"roleId": ZERO_ID})


async def badge_bad_input(scene: Scene, mutation: str) -> Result:
    if mutation == "createBadge":
        return await scene.backend(mutation, input={"title": "Star", "backgroundColor": "not a color!"})
    if mutation == "updateBadge":
        return await scene.backend(mutation, id=await badge_id(scene), input={"slug": "Not A Slug"})
    return await scene.backend(mutation, badgeId=await badge_id(scene), memberIds=[])


async def key_beyond_holdings(scene: Scene) -> Result:
    session, _ = await delegate(scene, "API_KEYS_MANAGE")
    return await scene.as_member(session, "createApiKey", input={"name": "x", "permissions": ["MEMBERS_DELETE"]})


async def key_without_a_name(scene: Scene) -> Result:
    return await scene.backend("createApiKey", input={"name": "  ", "permissions": ["MEMBERS_READ"]})


async def revoke_mightier_key(scene: Scene) -> Result:
    made = await scene.client.backend(
        'mutation { createApiKey(input: {name: "ops", permissions: [MEMBERS_DELETE]}) { ... on CreateApiKeyPayload { apiKey { id } } } }'
    )
    key = made["data"]["createApiKey"]["apiKey"]["id"]
    session, _ = await delegate(scene, "API_KEYS_MANAGE")
    return await scene.as_member(session, "revokeApiKey", id=key)


ACCESS_SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    ("createRole", C.NOT_ALLOWED): anonymously("createRole", input={"name": "x", "title": "x"}),
    ("createRole", C.ROLE_NAME_TAKEN): Scenario(create_role_twice),
    ("createRole", C.CANNOT_GRANT): Scenario(create_role_beyond_holdings),
    ("createRole", C.INVALID_ARGUMENT): as_backend("createRole", input={"name": "9lives", "title": "x"}),
    ("updateRole", C.NOT_ALLOWED): anonymously("updateRole", id=ZERO_ID, input={}),
    ("updateRole", C.ROLE_NOT_FOUND): as_backend("updateRole", id=ZERO_ID, input={"title": "x"}),
    ("updateRole", C.ROLE_NAME_TAKEN): Scenario(rename_to_taken),
    ("updateRole", C.BUILT_IN_ROLE): Scenario(change_admin),
    ("updateRole", C.CANNOT_GRANT): Scenario(widen_own_role),
    ("updateRole", C.INVALID_ARGUMENT): Scenario(bad_color),
    ("deleteRole", C.NOT_ALLOWED): anonymously("deleteRole", id=ZERO_ID),
    ("deleteRole", C.ROLE_NOT_FOUND): as_backend("deleteRole", id=ZERO_ID),
    ("deleteRole", C.BUILT_IN_ROLE): Scenario(delete_built_in),
    ("deleteRole", C.CANNOT_GRANT): Scenario(delete_mightier_role),
    **assign_scenarios("assignRole"),
    **assign_scenarios("removeRole"),
    ("createBadge", C.NOT_ALLOWED): anonymously("createBadge", input={"title": "x"}),
    ("createBadge", C.ROLE_NOT_FOUND): Scenario(partial(badge_unknown_role, mutation="createBadge")),
    ("createBadge", C.SLUG_TAKEN): Scenario(create_badge_twice),
    ("createBadge", C.CANNOT_GRANT): Scenario(partial(badge_with_mightier_role, mutation="createBadge")),
    ("createBadge", C.INVALID_ARGUMENT): Scenario(partial(badge_bad_input, mutation="createBadge")),
    ("updateBadge", C.NOT_ALLOWED): anonymously("updateBadge", id=ZERO_ID, input={}),
    ("updateBadge", C.BADGE_NOT_FOUND): as_backend("updateBadge", id=ZERO_ID, input={"title": "x"}),
    ("updateBadge", C.ROLE_NOT_FOUND): Scenario(partial(badge_unknown_role, mutation="updateBadge")),
    ("updateBadge", C.SLUG_TAKEN): Scenario(update_badge_to_taken_slug),
    ("updateBadge", C.CANNOT_GRANT): Scenario(partial(badge_with_mightier_role, mutation="updateBadge")),
    ("updateBadge", C.INVALID_ARGUMENT): Scenario(partial(badge_bad_input, mutation="updateBadge")),
    ("deleteBadge", C.NOT_ALLOWED): anonymously("deleteBadge", id=ZERO_ID),
    ("deleteBadge", C.BADGE_NOT_FOUND): as_backend("deleteBadge", id=ZERO_ID),
    ("deleteBadge", C.CANNOT_GRANT): Scenario(partial(badge_with_mightier_role, mutation="deleteBadge")),
    ("assignBadge", C.NOT_ALLOWED): anonymously("assignBadge", badgeId=ZERO_ID, memberIds=[ZERO_ID]),
    ("assignBadge", C.BADGE_NOT_FOUND): as_backend("assignBadge", badgeId=ZERO_ID, memberIds=[ZERO_ID]),
    ("assignBadge", C.CANNOT_GRANT): Scenario(partial(badge_with_mightier_role, mutation="assignBadge")),
    ("assignBadge", C.INVALID_ARGUMENT): Scenario(partial(badge_bad_input, mutation="assignBadge")),
    ("removeBadge", C.NOT_ALLOWED): anonymously("removeBadge", badgeId=ZERO_ID, memberIds=[ZERO_ID]),
    ("removeBadge", C.BADGE_NOT_FOUND): as_backend("removeBadge", badgeId=ZERO_ID, memberIds=[ZERO_ID]),
    ("removeBadge", C.CANNOT_GRANT): Scenario(partial(badge_with_mightier_role, mutation="removeBadge")),
    ("removeBadge", C.INVALID_ARGUMENT): Scenario(partial(badge_bad_input, mutation="removeBadge")),
    ("createApiKey", C.NOT_ALLOWED): anonymously("createApiKey", input={"name": "x", "permissions": []}),
    ("createApiKey", C.CANNOT_GRANT): Scenario(key_beyond_holdings),
    ("createApiKey", C.INVALID_ARGUMENT): Scenario(key_without_a_name),
    ("revokeApiKey", C.NOT_ALLOWED): anonymously("revokeApiKey", id=ZERO_ID),
    ("revokeApiKey", C.API_KEY_NOT_FOUND): as_backend("revokeApiKey", id=ZERO_ID),
    ("revokeApiKey", C.CANNOT_GRANT): Scenario(revoke_mightier_key),
}


# --- sessions and access tokens -----------------------------------------------------------------


async def login_past_the_limit(scene: Scene) -> Result:
    await scene.register(ADA)  # its registration opened the one session allowed
    return await scene.anonymous("login", identity=ADA, password=PASSWORD)


async def revoke_a_session_nobody_has(scene: Scene) -> Result:
    session = (await scene.register(ADA))["sessionToken"]
    return await scene.as_member(session, "revokeSession", id=ZERO_ID)


async def revoke_others_anonymously(scene: Scene) -> Result:
    await scene.register(ADA)
    return await scene.anonymous("revokeOtherSessions")


async def issue_for_an_audience_not_allowed(scene: Scene) -> Result:
    session = (await scene.register(ADA))["sessionToken"]
    return await scene.as_member(session, "issueAccessToken", audience="https://elsewhere.example")


async def issue_too_often(scene: Scene) -> Result:
    session = (await scene.register(ADA))["sessionToken"]
    expect(await scene.as_member(session, "issueAccessToken"), "IssueAccessTokenPayload")
    return await scene.as_member(session, "issueAccessToken")


SESSION_SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    ("login", C.TOO_MANY_SESSIONS): Scenario(
        login_past_the_limit, {"max_sessions": 1, "session_limit_policy": SessionLimitPolicy.REFUSE}
    ),
    ("revokeSession", C.NOT_LOGGED_IN): anonymously("revokeSession", id=ZERO_ID),
    ("revokeSession", C.SESSION_NOT_FOUND): Scenario(revoke_a_session_nobody_has),
    ("revokeOtherSessions", C.NOT_LOGGED_IN): Scenario(revoke_others_anonymously),
    ("revokeAllSessions", C.NOT_ALLOWED): anonymously("revokeAllSessions", memberId=ZERO_ID),
    ("revokeAllSessions", C.MEMBER_NOT_FOUND): as_backend("revokeAllSessions", memberId=ZERO_ID),
    ("validateSession", C.RATE_LIMITED): rate_limited("validateSession", token="not-a-token"),
    ("issueAccessToken", C.NOT_LOGGED_IN): anonymously("issueAccessToken"),
    ("issueAccessToken", C.INVALID_ARGUMENT): Scenario(
        issue_for_an_audience_not_allowed, {"access_token_audiences": ("https://api.example",)}
    ),
    ("issueAccessToken", C.RATE_LIMITED): Scenario(issue_too_often, LIMITED),
}


# --- second factors -----------------------------------------------------------------------------


def app_codes(scene: Scene, secret: str) -> list[str]:
    """The codes the member's app shows now and one step either side (all accepted once)."""
    now = scene.services.clock.time()
    return [pyotp.TOTP(secret).at(now + 30 * step) for step in (-1, 0, 1)]


def wrong_app_code(scene: Scene, secret: str) -> str:
    right = app_codes(scene, secret)
    return next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in right)


async def with_totp(scene: Scene, session: str) -> str:
    """TOTP turned on through ``session``; the secret."""
    secret = expect(await scene.as_member(session, "enrollTotp"), "EnrollTotpPayload")["secret"]
    expect(await scene.as_member(session, "confirmTotp", code=app_codes(scene, secret)[1]), "ConfirmTotpPayload")
    return secret


async def enrolled(scene: Scene) -> tuple[str, str]:
    session = (await scene.register(ADA))["sessionToken"]
    return session, await with_totp(scene, session)


async def challenge(scene: Scene) -> tuple[str, str]:
    """Ada with TOTP on has passed the password step: (her mfaToken, her secret)."""
    _, secret = await enrolled(scene)
    answer = expect(await scene.anonymous("login", identity=ADA, password=PASSWORD), "MfaRequired")
    return answer["mfaToken"], secret


async def enrol_twice(scene: Scene) -> Result:
    session, _ = await enrolled(scene)
    return await scene.as_member(session, "enrollTotp")


async def confirm_without_enrolment(scene: Scene) -> Result:
    session = (await scene.register(ADA))["sessionToken"]
    return await scene.as_member(session, "confirmTotp", code="123456")


async def confirm_with_a_wrong_code(scene: Scene) -> Result:
    session = (await scene.register(ADA))["sessionToken"]
    secret = expect(await scene.as_member(session, "enrollTotp"), "EnrollTotpPayload")["secret"]
    return await scene.as_member(session, "confirmTotp", code=wrong_app_code(scene, secret))


def without_a_factor(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        session = (await scene.register(ADA))["sessionToken"]
        return await scene.as_member(session, mutation, code="123456")

    return Scenario(run)


# --- passwordless sign-in (issue 14 §4) ---------------------------------------------------------

PASSWORDLESS_ON = {"passwordlessLogin": True}


async def code_for(scene: Scene, email: str) -> tuple[str, str]:
    """Ask for a code as page code would, and know it (tests/passwordless.py: ``issued``)."""
    expect(await scene.anonymous("requestLoginCode", email=email), "RequestLoginCodePayload")
    return await issued(scene.services, email)


def sign_in_by(mutation: str, code: str, token: str) -> dict[str, Any]:
    return {"email": ADA, "code": code} if mutation == "loginWithCode" else {"token": token}


def passwordless_disabled(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        await scene.register(ADA)
        variables = {"email": ADA} if mutation == "requestLoginCode" else sign_in_by(mutation, "123456", "x" * 43)
        return await scene.anonymous(mutation, **variables)

    return Scenario(run)


# --- second factors (continued) -----------------------------------------------------------------


def with_a_wrong_code(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        session, secret = await enrolled(scene)
        return await scene.as_member(session, mutation, code=wrong_app_code(scene, secret))

    return Scenario(run)


async def request_code_for_bad_address(scene: Scene) -> Result:
    await scene.settings(**PASSWORDLESS_ON)
    return await scene.anonymous("requestLoginCode", email="not-an-address")


def wrong_code(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        await scene.settings(**PASSWORDLESS_ON)
        await scene.register(ADA)
        code, token = await code_for(scene, ADA)
        other = f"{(int(code) + 1) % 1_000_000:06d}"
        return await scene.anonymous(mutation, **sign_in_by(mutation, other, token[::-1]))

    return Scenario(run)


def locked_after_a_wrong_code(mutation: str) -> Scenario:
    """One wrong code locks (threshold 1); the right one is then refused with 3036."""

    async def run(scene: Scene) -> Result:
        if mutation == "verifyMfa":
            token, secret = await challenge(scene)
            send = partial(scene.anonymous, mutation, mfaToken=token)
        else:
            session, secret = await enrolled(scene)
            send = partial(scene.as_member, session, mutation)
        expect(await send(code=wrong_app_code(scene, secret)), "SecondFactorInvalidError")
        return await send(code=app_codes(scene, secret)[2])

    return Scenario(run, {"lockout_threshold": 1})


async def verify_a_wrong_code(scene: Scene) -> Result:
    token, secret = await challenge(scene)
    return await scene.anonymous("verifyMfa", mfaToken=token, code=wrong_app_code(scene, secret))


async def verify_for_a_blocked_member(scene: Scene) -> Result:
    token, secret = await challenge(scene)
    expect(await scene.backend("blockMember", id=str((await Member.get(email_key=ADA)).id)), "BlockMemberPayload")
    return await scene.anonymous("verifyMfa", mfaToken=token, code=app_codes(scene, secret)[2])


async def verify_with_a_new_unconfirmed_email(scene: Scene) -> Result:
    token, secret = await challenge(scene)
    await scene.settings(emailConfirmation=True)
    ada = await Member.get(email_key=ADA)
    moved = await scene.backend("changeLoginEmail", memberId=str(ada.id), newEmail="ada@elsewhere.example")
    expect(moved, "ChangeLoginEmailPayload")
    return await scene.anonymous("verifyMfa", mfaToken=token, code=app_codes(scene, secret)[2])


async def verify_past_the_session_limit(scene: Scene) -> Result:
    token, secret = await challenge(scene)  # the registration's session is the one allowed
    return await scene.anonymous("verifyMfa", mfaToken=token, code=app_codes(scene, secret)[2])


async def reset_mfa_of_a_member_without_one(scene: Scene) -> Result:
    ada = await scene.register(ADA)
    return await scene.backend("resetMfa", memberId=ada["member"]["id"])


async def change_password_without_a_recent_factor(scene: Scene) -> Result:
    first = (await scene.register(ADA))["sessionToken"]
    before = expect(await scene.anonymous("login", identity=ADA, password=PASSWORD), "LoginPayload")
    await with_totp(scene, first)  # the other session (opened before) never proved it
    change = {"currentPassword": PASSWORD, "newPassword": "brand-new-password"}
    return await scene.as_member(before["sessionToken"], "changePassword", **change)


async def change_own_email_without_a_recent_factor(scene: Scene) -> Result:
    first, ada_id = await delegate(scene, "MEMBERS_UPDATE")
    before = expect(await scene.anonymous("login", identity=ADA, password=PASSWORD), "LoginPayload")
    await with_totp(scene, first)
    moved = {"memberId": ada_id, "newEmail": "ada@elsewhere.example"}
    return await scene.as_member(before["sessionToken"], "changeLoginEmail", **moved)


SECOND_FACTOR_SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    ("enrollTotp", C.NOT_LOGGED_IN): anonymously("enrollTotp"),
    ("enrollTotp", C.FACTOR_STATE): Scenario(enrol_twice),
    ("enrollTotp", C.RATE_LIMITED): rate_limited("enrollTotp"),
    ("confirmTotp", C.NOT_LOGGED_IN): anonymously("confirmTotp", code="123456"),
    ("confirmTotp", C.FACTOR_STATE): Scenario(confirm_without_enrolment),
    ("confirmTotp", C.SECOND_FACTOR_INVALID): Scenario(confirm_with_a_wrong_code),
    ("confirmTotp", C.RATE_LIMITED): rate_limited("confirmTotp", code="123456"),
    **{
        pair: scenario
        for mutation in ("regenerateRecoveryCodes", "disableTotp")
        for pair, scenario in {
            (mutation, C.NOT_LOGGED_IN): anonymously(mutation, code="123456"),
            (mutation, C.FACTOR_STATE): without_a_factor(mutation),
            (mutation, C.SECOND_FACTOR_INVALID): with_a_wrong_code(mutation),
            (mutation, C.RATE_LIMITED): rate_limited(mutation, code="123456"),
        }.items()
    },
    ("resetMfa", C.NOT_ALLOWED): anonymously("resetMfa", memberId=ZERO_ID),
    ("resetMfa", C.MEMBER_NOT_FOUND): as_backend("resetMfa", memberId=ZERO_ID),
    ("resetMfa", C.FACTOR_STATE): Scenario(reset_mfa_of_a_member_without_one),
    ("verifyMfa", C.MFA_TOKEN_INVALID): anonymously("verifyMfa", mfaToken="not-a-token", code="123456"),
    ("verifyMfa", C.SECOND_FACTOR_INVALID): Scenario(verify_a_wrong_code),
    ("verifyMfa", C.ACCOUNT_LOCKED): locked_after_a_wrong_code("verifyMfa"),
    ("verifyMfa", C.LOGIN_DISABLED): Scenario(verify_for_a_blocked_member),
    ("verifyMfa", C.EMAIL_NOT_CONFIRMED): Scenario(verify_with_a_new_unconfirmed_email),
    ("verifyMfa", C.RATE_LIMITED): rate_limited("verifyMfa", mfaToken="not-a-token", code="123456"),
    ("verifyMfa", C.TOO_MANY_SESSIONS): Scenario(
        verify_past_the_session_limit, {"max_sessions": 1, "session_limit_policy": SessionLimitPolicy.REFUSE}
    ),
    ("reauthenticate", C.NOT_LOGGED_IN): anonymously("reauthenticate", code="123456"),
    ("reauthenticate", C.FACTOR_STATE): without_a_factor("reauthenticate"),
    ("reauthenticate", C.SECOND_FACTOR_INVALID): with_a_wrong_code("reauthenticate"),
    ("reauthenticate", C.ACCOUNT_LOCKED): locked_after_a_wrong_code("reauthenticate"),
    ("reauthenticate", C.RATE_LIMITED): rate_limited("reauthenticate", code="123456"),
    ("changePassword", C.RECENT_SECOND_FACTOR_REQUIRED): Scenario(change_password_without_a_recent_factor),
    ("changeLoginEmail", C.RECENT_SECOND_FACTOR_REQUIRED): Scenario(change_own_email_without_a_recent_factor),
}


# --- passkeys (issue 15 §3) ---------------------------------------------------------------------


async def with_passkey(scene: Scene, email: str = ADA) -> tuple[str, Authenticator, str]:
    """A registered member with a passkey: its session, its authenticator, the passkey's id."""
    session = (await scene.register(email))["sessionToken"]
    app = Authenticator(origin=scene.services.config.passkey_origins[0])
    options = expect(await scene.as_member(session, "startPasskeyRegistration"), "StartPasskeyRegistrationPayload")
    finished = await scene.as_member(
        session, "finishPasskeyRegistration", credential=app.create(options["options"]), name="Laptop"
    )
    return session, app, expect(finished, "FinishPasskeyRegistrationPayload")["passkey"]["id"]


async def guest_session(scene: Scene) -> str:
    return expect(await scene.anonymous("loginAsGuest"), "LoginAsGuestPayload")["sessionToken"]


def as_a_guest(mutation: str, **variables: Any) -> Scenario:
    async def run(scene: Scene) -> Result:
        return await scene.as_member(await guest_session(scene), mutation, **variables)

    return Scenario(run)


def as_a_member(mutation: str, **variables: Any) -> Scenario:
    async def run(scene: Scene) -> Result:
        return await scene.as_member((await scene.register(ADA))["sessionToken"], mutation, **variables)

    return Scenario(run)


def passkey_sign_in(before: Callable[[Scene], Awaitable[None]] | None = None, **config: Any) -> Scenario:
    """Ada signs in with her passkey after ``before`` changed her standing."""

    async def run(scene: Scene) -> Result:
        _, app, _ = await with_passkey(scene)
        if before is not None:
            await before(scene)
        started = expect(await scene.anonymous("startPasskeyLogin"), "StartPasskeyLoginPayload")  # discoverable
        assertion = app.get(started["options"])
        return await scene.anonymous("finishPasskeyLogin", challengeId=started["challengeId"], credential=assertion)

    return Scenario(run, config)


async def block_ada(scene: Scene) -> None:
    expect(await scene.backend("blockMember", id=str((await Member.get(email_key=ADA)).id)), "BlockMemberPayload")


async def ada_pending(scene: Scene) -> None:
    # A member waiting for approval has no session to register a passkey with: put her back in the queue.
    await Member.filter(email_key=ADA).update(status="PENDING")


async def move_ada_unconfirmed(scene: Scene) -> None:
    await scene.settings(emailConfirmation=True)
    ada = await Member.get(email_key=ADA)
    moved = await scene.backend("changeLoginEmail", memberId=str(ada.id), newEmail="ada@elsewhere.example")
    expect(moved, "ChangeLoginEmailPayload")


async def delete_the_last_passkey(scene: Scene) -> Result:
    session, _, passkey = await with_passkey(scene)
    await Member.filter(email_key=ADA).update(password_hash=None)
    return await scene.as_member(session, "deletePasskey", id=passkey)


async def passkey_mfa_without_a_passkey(scene: Scene) -> Result:
    token, _ = await challenge(scene)
    return await scene.anonymous("startPasskeyMfa", mfaToken=token)


async def verify_with_a_bad_assertion(scene: Scene) -> Result:
    token, _ = await challenge(scene)
    return await scene.anonymous("verifyMfa", mfaToken=token, credential="{}")


async def reauthenticate_with_a_bad_assertion(scene: Scene) -> Result:
    session, _, _ = await with_passkey(scene)
    return await scene.as_member(session, "reauthenticate", credential="{}")


PASSKEY_SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    ("startPasskeyRegistration", C.NOT_LOGGED_IN): anonymously("startPasskeyRegistration"),
    ("startPasskeyRegistration", C.FACTOR_STATE): as_a_guest("startPasskeyRegistration"),
    ("startPasskeyRegistration", C.RATE_LIMITED): rate_limited("startPasskeyRegistration"),
    ("finishPasskeyRegistration", C.NOT_LOGGED_IN): anonymously("finishPasskeyRegistration", credential="{}", name="x"),
    ("finishPasskeyRegistration", C.FACTOR_STATE): as_a_guest("finishPasskeyRegistration", credential="{}", name="x"),
    ("finishPasskeyRegistration", C.INVALID_ARGUMENT): as_a_member(
        "finishPasskeyRegistration", credential="{}", name=" "
    ),
    ("finishPasskeyRegistration", C.PASSKEY_INVALID): as_a_member(
        "finishPasskeyRegistration", credential="{}", name="Laptop"
    ),
    ("finishPasskeyRegistration", C.RATE_LIMITED): rate_limited("finishPasskeyRegistration", credential="{}", name="x"),
    ("startPasskeyLogin", C.RATE_LIMITED): rate_limited("startPasskeyLogin", email=ADA),
    ("finishPasskeyLogin", C.PASSKEY_INVALID): anonymously("finishPasskeyLogin", challengeId=ZERO_ID, credential="{}"),
    ("finishPasskeyLogin", C.LOGIN_DISABLED): passkey_sign_in(block_ada),
    ("finishPasskeyLogin", C.PENDING_APPROVAL): passkey_sign_in(ada_pending),
    ("finishPasskeyLogin", C.EMAIL_NOT_CONFIRMED): passkey_sign_in(move_ada_unconfirmed),
    ("finishPasskeyLogin", C.RATE_LIMITED): rate_limited("finishPasskeyLogin", challengeId=ZERO_ID, credential="{}"),
    ("finishPasskeyLogin", C.TOO_MANY_SESSIONS): passkey_sign_in(
        max_sessions=1, session_limit_policy=SessionLimitPolicy.REFUSE
    ),
    ("startPasskeyMfa", C.MFA_TOKEN_INVALID): anonymously("startPasskeyMfa", mfaToken="not-a-token"),
    ("startPasskeyMfa", C.FACTOR_STATE): Scenario(passkey_mfa_without_a_passkey),
    ("startPasskeyMfa", C.RATE_LIMITED): rate_limited("startPasskeyMfa", mfaToken="not-a-token"),
    ("renamePasskey", C.NOT_LOGGED_IN): anonymously("renamePasskey", id=ZERO_ID, name="x"),
    ("renamePasskey", C.FACTOR_STATE): as_a_guest("renamePasskey", id=ZERO_ID, name="x"),
    ("renamePasskey", C.INVALID_ARGUMENT): as_a_member("renamePasskey", id=ZERO_ID, name=""),
    ("renamePasskey", C.PASSKEY_NOT_FOUND): as_a_member("renamePasskey", id=ZERO_ID, name="x"),
    ("renamePasskey", C.RATE_LIMITED): rate_limited("renamePasskey", id=ZERO_ID, name="x"),
    ("deletePasskey", C.NOT_LOGGED_IN): anonymously("deletePasskey", id=ZERO_ID),
    ("deletePasskey", C.FACTOR_STATE): as_a_guest("deletePasskey", id=ZERO_ID),
    ("deletePasskey", C.PASSKEY_NOT_FOUND): as_a_member("deletePasskey", id=ZERO_ID),
    ("deletePasskey", C.LAST_SIGN_IN_METHOD): Scenario(delete_the_last_passkey),
    ("deletePasskey", C.RATE_LIMITED): rate_limited("deletePasskey", id=ZERO_ID),
    ("verifyMfa", C.PASSKEY_INVALID): Scenario(verify_with_a_bad_assertion),
    ("startPasskeyReauthentication", C.NOT_LOGGED_IN): anonymously("startPasskeyReauthentication"),
    ("startPasskeyReauthentication", C.FACTOR_STATE): as_a_member("startPasskeyReauthentication"),
    ("startPasskeyReauthentication", C.RATE_LIMITED): rate_limited("startPasskeyReauthentication"),
    ("reauthenticate", C.PASSKEY_INVALID): Scenario(reauthenticate_with_a_bad_assertion),
}


# --- the MFA policy (issue 15 §2) ------------------------------------------------------------------


async def holding_a_role_that_requires_mfa(scene: Scene) -> tuple[str, str]:
    """Ada signed in without a second factor, holding a role that requires MFA and grants every
    permission (tests/integration/documents.py): (her session, her id). The role does not apply: 3243."""
    ada = await documents.mfa_role_holder(scene.client, ADA)
    return ada["sessionToken"], ada["member"]["id"]


def without_a_second_factor(mutation: str, **variables: Any) -> Scenario:
    """What only a role requiring MFA would allow, asked by its holder's session that proved no factor: 3243."""

    async def run(scene: Scene) -> Result:
        session, _ = await holding_a_role_that_requires_mfa(scene)
        return await scene.as_member(session, mutation, **variables)

    return Scenario(run)


async def update_someone_else_without_a_second_factor(scene: Scene) -> Result:
    bob = await scene.register(BOB, privacyStatus="PUBLIC")  # Ada may see Bob's public profile...
    session, _ = await holding_a_role_that_requires_mfa(scene)
    # ...and her role's MEMBERS_UPDATE would let her change it, with a second factor.
    return await scene.as_member(session, "updateMember", id=bob["member"]["id"], input={"nickname": "Mallory"})


async def enrol_totp_beside_a_passkey_without_a_step_up(scene: Scene) -> Result:
    session, _, _ = await with_passkey(scene)  # registering the passkey proved nothing in this session
    return await scene.as_member(session, "enrollTotp")


async def register_another_passkey_without_a_step_up(scene: Scene) -> Result:
    session, _, _ = await with_passkey(scene)
    return await scene.as_member(session, "startPasskeyRegistration")


MFA_POLICY_SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    (mutation, C.MFA_REQUIRED): scenario
    for mutation, scenario in {
        "approveByEmail": without_a_second_factor("approveByEmail", email=NOBODY),
        "blockByEmail": without_a_second_factor("blockByEmail", email=NOBODY),
        "approveMember": without_a_second_factor("approveMember", id=ZERO_ID),
        "blockMember": without_a_second_factor("blockMember", id=ZERO_ID),
        "unblockMember": without_a_second_factor("unblockMember", id=ZERO_ID),
        "sendSetPasswordEmail": without_a_second_factor("sendSetPasswordEmail", email=NOBODY),
        "updateMember": Scenario(update_someone_else_without_a_second_factor),
        "changeLoginEmail": without_a_second_factor("changeLoginEmail", memberId=ZERO_ID, newEmail=NOBODY),
        "deleteMember": without_a_second_factor("deleteMember", id=ZERO_ID),
        "createMember": without_a_second_factor("createMember", input={"email": NOBODY}),
        "updateRegistrationSettings": without_a_second_factor("updateRegistrationSettings", input={"enabled": False}),
        "createRole": without_a_second_factor("createRole", input={"name": "x", "title": "x"}),
        "updateRole": without_a_second_factor("updateRole", id=ZERO_ID, input={}),
        "deleteRole": without_a_second_factor("deleteRole", id=ZERO_ID),
        "assignRole": without_a_second_factor("assignRole", roleId=ZERO_ID, memberId=ZERO_ID),
        "removeRole": without_a_second_factor("removeRole", roleId=ZERO_ID, memberId=ZERO_ID),
        "createBadge": without_a_second_factor("createBadge", input={"title": "x"}),
        "updateBadge": without_a_second_factor("updateBadge", id=ZERO_ID, input={}),
        "deleteBadge": without_a_second_factor("deleteBadge", id=ZERO_ID),
        "assignBadge": without_a_second_factor("assignBadge", badgeId=ZERO_ID, memberIds=[ZERO_ID]),
        "removeBadge": without_a_second_factor("removeBadge", badgeId=ZERO_ID, memberIds=[ZERO_ID]),
        "createApiKey": without_a_second_factor("createApiKey", input={"name": "x", "permissions": []}),
        "revokeApiKey": without_a_second_factor("revokeApiKey", id=ZERO_ID),
        "revokeAllSessions": without_a_second_factor("revokeAllSessions", memberId=ZERO_ID),
        "resetMfa": without_a_second_factor("resetMfa", memberId=ZERO_ID),
    }.items()
} | {
    ("enrollTotp", C.RECENT_SECOND_FACTOR_REQUIRED): Scenario(enrol_totp_beside_a_passkey_without_a_step_up),
    ("startPasskeyRegistration", C.RECENT_SECOND_FACTOR_REQUIRED): Scenario(register_another_passkey_without_a_step_up),
}


def code_of_blocked_member(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        await scene.settings(**PASSWORDLESS_ON)
        ada = (await scene.register(ADA))["member"]
        code, token = await code_for(scene, ADA)
        expect(await scene.backend("blockMember", id=ada["id"]), "BlockMemberPayload")
        return await scene.anonymous(mutation, **sign_in_by(mutation, code, token))

    return Scenario(run)


def code_of_pending_member(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        await scene.settings(approval="MANUAL", **PASSWORDLESS_ON)
        await scene.register(ADA)
        code, token = await code_for(scene, ADA)
        return await scene.anonymous(mutation, **sign_in_by(mutation, code, token))

    return Scenario(run)


def code_past_the_session_limit(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        await scene.settings(**PASSWORDLESS_ON)
        await scene.register(ADA)  # its registration opened the one session allowed
        code, token = await code_for(scene, ADA)
        return await scene.anonymous(mutation, **sign_in_by(mutation, code, token))

    return Scenario(run, {"max_sessions": 1, "session_limit_policy": SessionLimitPolicy.REFUSE})


def code_rate_limited(mutation: str) -> Scenario:
    async def run(scene: Scene) -> Result:
        await scene.settings(**PASSWORDLESS_ON)  # the backend is not limited
        first = await scene.anonymous(mutation, **sign_in_by(mutation, "123456", "x" * 43))
        expect(first, "LoginCodeInvalidError")
        return await scene.anonymous(mutation, **sign_in_by(mutation, "123456", "x" * 43))

    return Scenario(run, LIMITED)


PASSWORDLESS_SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    ("requestLoginCode", C.PASSWORDLESS_DISABLED): passwordless_disabled("requestLoginCode"),
    ("requestLoginCode", C.EMAIL_FORMAT): Scenario(request_code_for_bad_address),
    ("requestLoginCode", C.RATE_LIMITED): rate_limited("requestLoginCode", email=ADA),
    **{
        (mutation, code): scenario
        for mutation in ("loginWithCode", "loginWithLinkToken")
        for code, scenario in {
            C.LOGIN_CODE_INVALID: wrong_code(mutation),
            C.PASSWORDLESS_DISABLED: passwordless_disabled(mutation),
            C.LOGIN_DISABLED: code_of_blocked_member(mutation),
            C.PENDING_APPROVAL: code_of_pending_member(mutation),
            C.TOO_MANY_SESSIONS: code_past_the_session_limit(mutation),
            C.RATE_LIMITED: code_rate_limited(mutation),
        }.items()
    },
}


# --- the table ----------------------------------------------------------------------------------

SCENARIOS: dict[tuple[str, ErrorCode], Scenario] = {
    ("register", C.REGISTRATION_DISABLED): Scenario(register_closed),
    ("register", C.UNKNOWN_PROPERTY): property_error("register", C.UNKNOWN_PROPERTY),
    ("register", C.MISSING_PASSWORD): Scenario(register_empty_password),
    ("register", C.REQUIRED_PROPERTY_MISSING): property_error("register", C.REQUIRED_PROPERTY_MISSING),
    ("register", C.MISSING_IDENTITY): property_error("register", C.MISSING_IDENTITY),
    ("register", C.REGISTRATION_ERROR): property_error("register", C.REGISTRATION_ERROR),
    ("register", C.IDENTITY_TAKEN): Scenario(register_taken_email),
    ("register", C.RESERVED_PROPERTY): property_error("register", C.RESERVED_PROPERTY),
    ("register", C.EMAIL_FORMAT): Scenario(register_bad_email),
    ("register", C.REQUIRED_PROPERTY_EMPTY): property_error("register", C.REQUIRED_PROPERTY_EMPTY),
    ("register", C.DUPLICATE_PROPERTY): property_error("register", C.DUPLICATE_PROPERTY),
    ("register", C.VALUE_TOO_LONG): property_error("register", C.VALUE_TOO_LONG),
    ("register", C.PASSWORD_POLICY): Scenario(register_weak_password),
    ("register", C.NOT_CONVERTIBLE): Scenario(register_someone_elses_guest),
    ("register", C.INVALID_ARGUMENT): Scenario(register_too_many_phones, LONGER_LISTS),
    ("register", C.EMAIL_REQUIRED): Scenario(register_without_email_under_confirmation),
    ("register", C.RATE_LIMITED): rate_limited("register", email=ADA, password=PASSWORD),
    ("login", C.EMPTY_CREDENTIALS): Scenario(login_empty),
    ("login", C.INVALID_CREDENTIALS): Scenario(login_wrong_password),
    ("login", C.LOGIN_DISABLED): Scenario(login_blocked),
    ("login", C.PENDING_APPROVAL): Scenario(login_pending),
    ("login", C.EMAIL_NOT_CONFIRMED): Scenario(login_unconfirmed),
    ("login", C.ACCOUNT_LOCKED): Scenario(login_locked_out, LOCKOUT_AFTER_TWO),
    ("login", C.RATE_LIMITED): rate_limited("login", identity=ADA, password=PASSWORD),
    ("logout", C.NOT_LOGGED_IN): Scenario(logout_twice),
    ("loginAsGuest", C.REGISTRATION_DISABLED): Scenario(guests_closed),
    ("loginAsGuest", C.RATE_LIMITED): rate_limited("loginAsGuest"),
    ("approveByToken", C.TOKEN_INVALID): forged_token("approveByToken"),
    ("approveByToken", C.TOKEN_EXPIRED): expired_token("approveByToken"),
    ("approveByToken", C.TOKEN_USED): used_token("approveByToken"),
    ("approveByToken", C.LOGIN_DISABLED): token_of_blocked_member("approveByToken"),
    ("approveByToken", C.MEMBER_NOT_FOUND): token_of_deleted_member("approveByToken"),
    ("approveByToken", C.EMAIL_NOT_CONFIRMED): Scenario(approve_by_token_unconfirmed),
    ("approveByToken", C.RATE_LIMITED): token_rate_limited("approveByToken"),
    ("approveByEmail", C.MEMBER_NOT_FOUND): unknown_member("approveByEmail", by_email),
    ("approveByEmail", C.NOT_ALLOWED): anonymous_caller("approveByEmail", by_email),
    ("approveByEmail", C.EMAIL_NOT_CONFIRMED): Scenario(approve_by_email_unconfirmed),
    ("blockByEmail", C.MEMBER_NOT_FOUND): unknown_member("blockByEmail", by_email),
    ("blockByEmail", C.NOT_ALLOWED): anonymous_caller("blockByEmail", by_email),
    ("approveMember", C.MEMBER_NOT_FOUND): unknown_member("approveMember", by_id),
    ("approveMember", C.NOT_ALLOWED): anonymous_caller("approveMember", by_id),
    ("approveMember", C.LOGIN_DISABLED): blocked_member("approveMember", by_id),
    ("blockMember", C.MEMBER_NOT_FOUND): unknown_member("blockMember", by_id),
    ("blockMember", C.NOT_ALLOWED): anonymous_caller("blockMember", by_id),
    ("unblockMember", C.MEMBER_NOT_FOUND): unknown_member("unblockMember", by_id),
    ("unblockMember", C.NOT_ALLOWED): anonymous_caller("unblockMember", by_id),
    ("confirmEmail", C.TOKEN_INVALID): forged_token("confirmEmail"),
    ("confirmEmail", C.TOKEN_EXPIRED): expired_token("confirmEmail"),
    ("confirmEmail", C.TOKEN_USED): used_token("confirmEmail"),
    ("confirmEmail", C.LOGIN_DISABLED): token_of_blocked_member("confirmEmail"),
    ("confirmEmail", C.MEMBER_NOT_FOUND): token_of_deleted_member("confirmEmail"),
    ("confirmEmail", C.RATE_LIMITED): token_rate_limited("confirmEmail"),
    ("resendEmailConfirmation", C.EMAIL_ALREADY_CONFIRMED): Scenario(resend_confirmed),
    ("resendEmailConfirmation", C.EMAIL_CONFIRMATION_DISABLED): Scenario(resend_without_confirmation),
    ("resendEmailConfirmation", C.NO_ACCOUNT_WITH_EMAIL): Scenario(resend_to_nobody),
    ("resendEmailConfirmation", C.RATE_LIMITED): rate_limited("resendEmailConfirmation", email=ADA),
    ("sendSetPasswordEmail", C.NOT_ALLOWED): anonymous_caller("sendSetPasswordEmail", by_email),
    ("sendSetPasswordEmail", C.MEMBER_NOT_FOUND): unknown_member("sendSetPasswordEmail", by_email),
    ("requestPasswordReset", C.RATE_LIMITED): rate_limited("requestPasswordReset", email=ADA),
    ("resetPassword", C.TOKEN_INVALID): forged_token("resetPassword"),
    ("resetPassword", C.TOKEN_EXPIRED): expired_token("resetPassword"),
    ("resetPassword", C.TOKEN_USED): used_token("resetPassword"),
    ("resetPassword", C.LOGIN_DISABLED): token_of_blocked_member("resetPassword"),
    ("resetPassword", C.MEMBER_NOT_FOUND): token_of_deleted_member("resetPassword"),
    ("resetPassword", C.MISSING_PASSWORD): Scenario(reset_with("")),
    ("resetPassword", C.PASSWORD_POLICY): Scenario(reset_with("é-is-not-ascii")),
    ("resetPassword", C.PENDING_APPROVAL): Scenario(reset_while_pending),
    ("resetPassword", C.RATE_LIMITED): token_rate_limited("resetPassword"),
    ("changePassword", C.NOT_LOGGED_IN): Scenario(change_password_anonymously),
    ("changePassword", C.WRONG_CURRENT_PASSWORD): Scenario(change_password("not-the-password", "brand-new-password")),
    ("changePassword", C.MISSING_PASSWORD): Scenario(change_password(PASSWORD, "")),
    ("changePassword", C.PASSWORD_POLICY): Scenario(change_password(PASSWORD, "abc")),
    ("changePassword", C.RATE_LIMITED): Scenario(change_password_too_often, LIMITED),
    ("updateMember", C.NOT_ALLOWED): Scenario(update_someone_else),
    ("updateMember", C.MEMBER_NOT_FOUND): unknown_member(
        "updateMember", lambda m: {**by_id(m), "input": {"title": "x"}}
    ),
    ("updateMember", C.SLUG_TAKEN): Scenario(update_to_taken_slug),
    ("updateMember", C.RESERVED_PROPERTY): property_error("updateMember", C.RESERVED_PROPERTY),
    ("updateMember", C.DUPLICATE_PROPERTY): property_error("updateMember", C.DUPLICATE_PROPERTY),
    ("updateMember", C.UNKNOWN_PROPERTY): property_error("updateMember", C.UNKNOWN_PROPERTY),
    ("updateMember", C.REQUIRED_PROPERTY_MISSING): property_error("updateMember", C.REQUIRED_PROPERTY_MISSING),
    ("updateMember", C.REQUIRED_PROPERTY_EMPTY): property_error("updateMember", C.REQUIRED_PROPERTY_EMPTY),
    ("updateMember", C.MISSING_IDENTITY): property_error("updateMember", C.MISSING_IDENTITY),
    ("updateMember", C.VALUE_TOO_LONG): property_error("updateMember", C.VALUE_TOO_LONG),
    ("updateMember", C.REGISTRATION_ERROR): property_error("updateMember", C.REGISTRATION_ERROR),
    ("updateMember", C.INVALID_ARGUMENT): Scenario(update_blank_nickname),
    ("changeLoginEmail", C.NOT_ALLOWED): anonymous_caller(
        "changeLoginEmail", lambda m: {"memberId": m["id"], "newEmail": NOBODY}
    ),
    ("changeLoginEmail", C.MEMBER_NOT_FOUND): unknown_member(
        "changeLoginEmail", lambda m: {"memberId": m["id"], "newEmail": NOBODY}
    ),
    ("changeLoginEmail", C.EMAIL_FORMAT): Scenario(change_login_email_to_bad),
    ("changeLoginEmail", C.IDENTITY_TAKEN): Scenario(change_login_email_to_taken),
    ("deleteMember", C.NOT_ALLOWED): anonymous_caller("deleteMember", by_id),
    ("deleteMember", C.MEMBER_NOT_FOUND): unknown_member("deleteMember", by_id),
    ("createMember", C.NOT_ALLOWED): anonymous_caller("createMember", lambda m: {"input": {"email": NOBODY}}),
    ("createMember", C.EMAIL_FORMAT): Scenario(create_member_bad_email),
    ("createMember", C.IDENTITY_TAKEN): Scenario(create_member_taken_email),
    ("createMember", C.RESERVED_PROPERTY): property_error("createMember", C.RESERVED_PROPERTY),
    ("createMember", C.DUPLICATE_PROPERTY): property_error("createMember", C.DUPLICATE_PROPERTY),
    ("createMember", C.UNKNOWN_PROPERTY): property_error("createMember", C.UNKNOWN_PROPERTY),
    ("createMember", C.REQUIRED_PROPERTY_MISSING): property_error("createMember", C.REQUIRED_PROPERTY_MISSING),
    ("createMember", C.REQUIRED_PROPERTY_EMPTY): property_error("createMember", C.REQUIRED_PROPERTY_EMPTY),
    ("createMember", C.MISSING_IDENTITY): property_error("createMember", C.MISSING_IDENTITY),
    ("createMember", C.VALUE_TOO_LONG): property_error("createMember", C.VALUE_TOO_LONG),
    ("createMember", C.REGISTRATION_ERROR): property_error("createMember", C.REGISTRATION_ERROR),
    ("createMember", C.INVALID_ARGUMENT): Scenario(create_member_too_many_phones, LONGER_LISTS),
    ("updateRegistrationSettings", C.NOT_ALLOWED): anonymous_caller(
        "updateRegistrationSettings", lambda m: {"input": {"enabled": False}}
    ),
    ("updateRegistrationSettings", C.RESERVED_PROPERTY): Scenario(
        settings_refused(declaredProperties=[{"name": "id"}])
    ),
    ("updateRegistrationSettings", C.DUPLICATE_PROPERTY): Scenario(
        settings_refused(declaredProperties=[{"name": "hobby"}, {"name": "Hobby"}])
    ),
    ("updateRegistrationSettings", C.REGISTRATION_ERROR): Scenario(
        settings_refused(declaredProperties=[{"name": "hobby", "maxLength": 0}])
    ),
    **ACCESS_SCENARIOS,
    **SESSION_SCENARIOS,
    **SECOND_FACTOR_SCENARIOS,
    **PASSWORDLESS_SCENARIOS,
    **PASSKEY_SCENARIOS,
    **MFA_POLICY_SCENARIOS,
}

# --- the tests ----------------------------------------------------------------------------------


@pytest.fixture(params=PAIRS, ids=str)
def pair(request: pytest.FixtureRequest) -> Pair:
    return request.param


@pytest.fixture
def settings(settings: Config, pair: Pair) -> Config:
    """The test settings with the changes the pair's scenario builds its app with."""
    chosen = SCENARIOS.get(pair.key)
    return replace(settings, **chosen.config) if chosen is not None else settings


async def test_the_mutation_answers_each_error_its_union_lists(
    pair: Pair, gql: GraphQLClient, services: Services
) -> None:
    chosen = SCENARIOS.get(pair.key)
    if chosen is None:
        pytest.fail(
            f"{pair.mutation}'s result union lists {pair.type_name} ({int(pair.code)}), and no scenario here "
            f"produces it: add one to SCENARIOS, or take the code out of the union if no request can produce it"
        )
    scene = Scene(gql, services)
    result = await chosen.run(scene)
    assert scene.answers[-1] == (pair.mutation, result), "a scenario ends with the mutation of its pair"
    assert result["__typename"] == pair.type_name, result
    assert result["code"] == int(pair.code), result
    assert result["reason"] == pair.code.name, result
    assert result["message"], result
    if pair.retryable:
        assert result["retryAfter"] >= 1, result


def test_every_scenario_is_for_an_error_a_union_lists() -> None:
    """A code taken out of a union takes its scenario with it."""
    listed = {pair.key for pair in PAIRS}
    assert [key for key in SCENARIOS if key not in listed] == []
