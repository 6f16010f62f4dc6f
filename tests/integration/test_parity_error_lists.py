"""Every error type the issue-12 mutations' unions list is produced by a scenario here, and
nothing else (under test, a code a union does not list fails the request: UnlistedErrorCode).
So a union can neither promise an error that never comes nor miss one that does."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from graphql import GraphQLUnionType

from gql.api.errors import ERROR_TYPES
from gql.db.models import Member
from gql.domain.statuses import MemberStatus
from gql.schema import build_schema
from tests.conftest import GraphQLClient
from tests.integration.documents import (
    CREATE_CONFIRMATION_URL,
    DELETE_ADDRESSES,
    DELETE_EMAILS,
    DELETE_PHONES,
    GENERATE_SESSION_TOKEN,
    MUTE,
    UNMUTE,
    VERIFY_PASSWORD,
    mfa_role_holder,
    register,
    settings,
)

Scenario = Callable[[GraphQLClient], Awaitable[dict[str, Any]]]


def first(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    (value,) = body["data"].values()
    return value


async def member(gql: GraphQLClient, email: str = "m@example.com", **options: Any) -> dict[str, Any]:
    return await register(gql, email, **options)


def by_member(document: str, variables: Callable[[dict[str, Any]], dict[str, Any]]) -> Scenario:
    async def run(gql: GraphQLClient) -> dict[str, Any]:
        me = await member(gql)
        return first(await gql.member(me["sessionToken"], document, variables(me)))

    return run


def by_backend(
    document: str, variables: dict[str, Any], setup: Callable[[GraphQLClient], Awaitable[Any]] | None = None
) -> Scenario:
    async def run(gql: GraphQLClient) -> dict[str, Any]:
        if setup is not None:
            await setup(gql)
        return first(await gql.backend(document, variables))

    return run


def anonymously(document: str, variables: dict[str, Any]) -> Scenario:
    async def run(gql: GraphQLClient) -> dict[str, Any]:
        return first(await gql.anonymous(document, variables))

    return run


async def _blocked(gql: GraphQLClient) -> None:
    made = await member(gql, "s@example.com")
    await Member.filter(id=made["member"]["id"]).update(status=MemberStatus.BLOCKED)


async def _pending(gql: GraphQLClient) -> None:
    await settings(gql, approval="MANUAL")
    await member(gql, "s@example.com")


async def _identity_is_username(gql: GraphQLClient) -> None:
    await settings(gql, declaredProperties=[{"name": "username"}], identityProperty="username")


async def _confirmation_on_and_confirmed(gql: GraphQLClient) -> None:
    made = await member(gql, "s@example.com")
    await settings(gql, emailConfirmation=True)
    await Member.filter(id=made["member"]["id"]).update(email_verified=True)


async def _confirmation_on(gql: GraphQLClient) -> None:
    await settings(gql, emailConfirmation=True)


def _other_public(document: str) -> Scenario:
    async def run(gql: GraphQLClient) -> dict[str, Any]:
        target = await member(gql, "public@example.com", privacyStatus="PUBLIC")
        me = await member(gql)
        return first(await gql.member(me["sessionToken"], document, {"id": target["member"]["id"]}))

    return run


def _without_a_second_factor(document: str, variables: Callable[[dict[str, Any]], dict[str, Any]]) -> Scenario:
    """What only a role requiring MFA would allow (every permission), asked by a session of its holder that
    proved no second factor: 3243. ``variables`` get a public member to act on."""

    async def run(gql: GraphQLClient) -> dict[str, Any]:
        target = await member(gql, "public@example.com", privacyStatus="PUBLIC")
        me = await mfa_role_holder(gql)
        return first(await gql.member(me["sessionToken"], document, variables(target)))

    return run


def _deletes(document: str) -> dict[int, Scenario]:
    return {
        3029: _other_public(document),
        3243: _without_a_second_factor(document, lambda target: {"id": target["member"]["id"]}),
        3030: by_backend(document, {"id": str(uuid.uuid4())}),
        3207: _limited(document),  # run with the rate limits on (below)
    }


def _limited(document: str) -> Scenario:
    async def run(gql: GraphQLClient) -> dict[str, Any]:
        me = await member(gql)
        answers = [first(await gql.member(me["sessionToken"], document, {"id": me["member"]["id"]})) for _ in range(4)]
        return answers[-1]

    return run


def _verify_locked() -> Scenario:
    async def run(gql: GraphQLClient) -> dict[str, Any]:
        me = await member(gql)
        for n in range(10):  # the default lockout: 10 failures from one address
            wrong = first(await gql.member(me["sessionToken"], VERIFY_PASSWORD, {"password": f"wrong-{n}"}))
            assert wrong["code"] == 3003
        return first(await gql.member(me["sessionToken"], VERIFY_PASSWORD, {"password": "wonderland"}))

    return run


def _verify_limited() -> Scenario:
    async def run(gql: GraphQLClient) -> dict[str, Any]:
        me = await member(gql)  # a tenth of 30 logins per 5 minutes: 3 tokens
        answers = [
            first(await gql.member(me["sessionToken"], VERIFY_PASSWORD, {"password": "wonderland"})) for _ in range(4)
        ]
        return answers[-1]

    return run


SCENARIOS: dict[str, dict[int, Scenario]] = {
    "generateSessionToken": {
        3029: anonymously(GENERATE_SESSION_TOKEN, {"email": "s@example.com"}),
        3243: _without_a_second_factor(GENERATE_SESSION_TOKEN, lambda target: {"email": "s@example.com"}),
        3040: by_backend(GENERATE_SESSION_TOKEN, {"email": "s@"}),
        3000: by_backend(GENERATE_SESSION_TOKEN, {"email": "s@example.com"}, _blocked),
        3204: by_backend(GENERATE_SESSION_TOKEN, {"email": "s@example.com"}, _pending),
        3021: by_backend(GENERATE_SESSION_TOKEN, {"email": "s@example.com"}, _identity_is_username),
    },
    "muteMember": {
        3029: by_member(MUTE, lambda me: {"id": me["member"]["id"]}),
        3243: _without_a_second_factor(MUTE, lambda target: {"id": target["member"]["id"]}),
        3030: by_backend(MUTE, {"id": "nope"}),
    },
    "unmuteMember": {
        3029: by_member(UNMUTE, lambda me: {"id": me["member"]["id"]}),
        3243: _without_a_second_factor(UNMUTE, lambda target: {"id": target["member"]["id"]}),
        3030: by_backend(UNMUTE, {"id": str(uuid.uuid4())}),
    },
    "deleteMemberPhones": _deletes(DELETE_PHONES),
    "deleteMemberEmails": _deletes(DELETE_EMAILS),
    "deleteMemberAddresses": _deletes(DELETE_ADDRESSES),
    "verifyPassword": {
        3028: by_backend(VERIFY_PASSWORD, {"password": "wonderland"}),
        3006: by_member(VERIFY_PASSWORD, lambda me: {"password": ""}),
        3003: by_member(VERIFY_PASSWORD, lambda me: {"password": "not it"}),
        3036: _verify_locked(),
        3207: _verify_limited(),
    },
    "createEmailConfirmationUrl": {
        3029: by_member(CREATE_CONFIRMATION_URL, lambda me: {"email": "m@example.com"}),
        3243: _without_a_second_factor(CREATE_CONFIRMATION_URL, lambda target: {"email": "public@example.com"}),
        3103: by_backend(CREATE_CONFIRMATION_URL, {"email": "s@example.com"}, lambda gql: member(gql, "s@example.com")),
        3104: by_backend(CREATE_CONFIRMATION_URL, {"email": "s@example.com"}, _confirmation_on),
        3102: by_backend(CREATE_CONFIRMATION_URL, {"email": "s@example.com"}, _confirmation_on_and_confirmed),
    },
}


def listed_codes(field: str) -> set[int]:
    """The codes of the error types in ``field``'s result union."""
    union = build_schema()._schema.mutation_type.fields[field].type.of_type  # type: ignore[union-attr]
    assert isinstance(union, GraphQLUnionType)
    names = {member.name for member in union.types}
    return {int(code) for code, cls in ERROR_TYPES.items() if cls.__name__ in names}


@pytest.mark.parametrize("field", sorted(SCENARIOS))
def test_the_scenarios_are_exactly_the_unions_codes(field: str) -> None:
    assert set(SCENARIOS[field]) == listed_codes(field)


CASES = [(field, code) for field, codes in sorted(SCENARIOS.items()) for code in sorted(codes) if code != 3207]
LIMITED = [(field, code) for field, codes in sorted(SCENARIOS.items()) for code in sorted(codes) if code == 3207]


@pytest.mark.parametrize(("field", "code"), CASES, ids=[f"{field}-{code}" for field, code in CASES])
async def test_each_listed_code_is_produced(gql: GraphQLClient, field: str, code: int) -> None:
    result = await SCENARIOS[field][code](gql)
    assert result.get("code") == code, result


@pytest.mark.parametrize(("field", "code"), LIMITED, ids=[f"{field}-{code}" for field, code in LIMITED])
async def test_each_listed_rate_limit_is_produced(limited: GraphQLClient, field: str, code: int) -> None:
    """Rate limits are off in the suite; these run with them on."""
    result = await SCENARIOS[field][code](limited)
    assert result.get("code") == code, result
