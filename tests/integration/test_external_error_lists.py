"""Every error type the external sign-in mutations' unions list is produced by a scenario here, and
nothing else (under test, a code a union does not list fails the request: UnlistedErrorCode). The
scenarios that need the provider's answer walk the real OpenID Provider's pages (tests/oidc/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from graphql import GraphQLUnionType

from gql.api.errors import ERROR_TYPES
from gql.db.models import Member
from gql.domain.errors import ErrorCode as C
from gql.domain.statuses import MemberStatus
from gql.schema import build_schema
from tests.integration import documents
from tests.integration.external_harness import COMPLETE as COMPLETE_DOCUMENT
from tests.integration.external_harness import DELETE, UPSERT, External, Start, first, provider_input
from tests.integration.external_harness import LINK as LINK_DOCUMENT
from tests.integration.external_harness import UNLINK as UNLINK_DOCUMENT
from tests.oidc.harness import OTHER_REDIRECT_URI

Scenario = Callable[[External], Awaitable[dict[str, Any]]]
# Each per-address bucket holds one token: startExternalLogin spends it, the next call is 3207.
LIMITED = {"rate_limit_scale": 0.001}


async def _member(h: External, email: str = "m@example.com") -> str:
    return (await documents.register(h.client, email))["sessionToken"]


async def upsert_anonymously(h: External) -> dict[str, Any]:
    return first(await h.client.anonymous(UPSERT, {"input": provider_input(h.provider)}))


async def upsert_bad_name(h: External) -> dict[str, Any]:
    return first(await h.client.backend(UPSERT, {"input": provider_input(h.provider, name="Not A Name")}))


async def delete_anonymously(h: External) -> dict[str, Any]:
    return first(await h.client.anonymous(DELETE, {"name": "op"}))


async def upsert_without_a_second_factor(h: External) -> dict[str, Any]:
    """A holder of a role that requires MFA (and grants SETTINGS_MANAGE), signed in without a factor: 3243."""
    token = (await documents.mfa_role_holder(h.client))["sessionToken"]
    return first(await h.client.member(token, UPSERT, {"input": provider_input(h.provider)}))


async def delete_without_a_second_factor(h: External) -> dict[str, Any]:
    token = (await documents.mfa_role_holder(h.client))["sessionToken"]
    return first(await h.client.member(token, DELETE, {"name": "op"}))


async def delete_unknown(h: External) -> dict[str, Any]:
    return first(await h.client.backend(DELETE, {"name": "nobody"}))


async def start_unknown(h: External) -> dict[str, Any]:
    return await h.start(provider="nobody")


async def start_bad_redirect(h: External) -> dict[str, Any]:
    return await h.start(redirect_uri=OTHER_REDIRECT_URI)


async def start_someone_elses_guest(h: External) -> dict[str, Any]:
    guest = await h.guest()
    return await h.start(guest_id=guest["member"]["id"])


async def start_without_discovery(h: External) -> dict[str, Any]:
    await h.configure(issuer=h.provider.issuer + "/nothing-here")
    return await h.start()


async def start_twice(h: External) -> dict[str, Any]:
    assert (await h.start())["__typename"] == "StartExternalLoginPayload"
    return await h.start()


async def complete_unknown_state(h: External) -> dict[str, Any]:
    return first(await h.client.anonymous(COMPLETE_DOCUMENT, {"state": "no-such-state", "code": "x"}))


async def complete_wrong_code(h: External) -> dict[str, Any]:
    return await h.complete(replace(await h.authorize("alice"), code="not-the-code"))


async def complete_existing_email(h: External) -> dict[str, Any]:
    await documents.register(h.client, "bob@example.com")
    return await h.sign_in("bob")


async def complete_deleted_provider(h: External) -> dict[str, Any]:
    callback = await h.authorize("alice")
    assert first(await h.client.backend(DELETE, {"name": "op"}))["__typename"] == "DeleteExternalProviderPayload"
    return await h.complete(callback)


async def complete_without_signup(h: External) -> dict[str, Any]:
    await h.configure(allowSignup=False)
    return await h.sign_in("alice")


async def complete_without_email(h: External) -> dict[str, Any]:
    return await h.sign_in("nomail")


async def complete_username_identity(h: External) -> dict[str, Any]:
    await h.settings(declaredProperties=[{"name": "username"}], identityProperty="username")
    return await h.sign_in("alice")


# The custom fields a sign-up takes from the provider's claims follow the registration settings.
async def complete_unknown_field(h: External) -> dict[str, Any]:
    await h.configure(customFieldClaims=[{"field": "employer", "claim": "company"}])
    await h.settings(dynamicProperties=False)
    return await h.sign_in("erin")


async def complete_required_field_missing(h: External) -> dict[str, Any]:
    await h.settings(declaredProperties=[{"name": "employer", "required": True}])
    return await h.sign_in("erin")


async def complete_required_field_empty(h: External) -> dict[str, Any]:
    await h.configure(customFieldClaims=[{"field": "team", "claim": "team"}])
    await h.settings(declaredProperties=[{"name": "team", "required": True}])
    return await h.sign_in("erin")


async def complete_field_too_long(h: External) -> dict[str, Any]:
    await h.configure(customFieldClaims=[{"field": "employer", "claim": "company"}])
    await h.settings(declaredProperties=[{"name": "employer", "maxLength": 3}])
    return await h.sign_in("erin")


async def complete_converted_guest(h: External) -> dict[str, Any]:
    guest = await h.guest()
    callback = await h.authorize("alice", token=guest["sessionToken"], guest_id=guest["member"]["id"])
    converted = await documents.register(
        h.client, "other@example.com", backend=True, options={"guestId": guest["member"]["id"]}
    )
    assert converted["__typename"] == "RegisterPayload", converted
    return await h.complete(callback)


async def complete_pending(h: External) -> dict[str, Any]:
    await h.settings(approval="MANUAL")
    return await h.sign_in("alice")


async def complete_blocked(h: External) -> dict[str, Any]:
    made = await h.sign_in("alice")
    await Member.filter(id=made["member"]["id"]).update(status=MemberStatus.BLOCKED)
    return await h.sign_in("alice")


async def complete_unconfirmed(h: External) -> dict[str, Any]:
    await h.configure(trustVerifiedEmail=False)
    await h.settings(emailConfirmation=True)
    return await h.sign_in("alice")


async def complete_too_often(h: External) -> dict[str, Any]:
    assert (await h.start())["__typename"] == "StartExternalLoginPayload"
    return first(await h.client.anonymous(COMPLETE_DOCUMENT, {"state": "x", "code": "x"}))


async def link_anonymously(h: External) -> dict[str, Any]:
    return first(await h.client.anonymous(LINK_DOCUMENT, {"state": "x", "code": "x"}))


async def link_unknown_state(h: External) -> dict[str, Any]:
    return first(await h.client.member(await _member(h), LINK_DOCUMENT, {"state": "no-such-state", "code": "x"}))


async def link_wrong_code(h: External) -> dict[str, Any]:
    token = await _member(h)
    return await h.link(token, replace(await h.authorize("dave", token=token), code="not-the-code"))


async def link_deleted_provider(h: External) -> dict[str, Any]:
    token = await _member(h)
    callback = await h.authorize("dave", token=token)
    await h.client.backend(DELETE, {"name": "op"})
    return await h.link(token, callback)


async def link_taken(h: External) -> dict[str, Any]:
    await h.sign_in("alice")
    token = await _member(h)
    return await h.link(token, await h.authorize("alice", token=token))


async def link_too_often(h: External) -> dict[str, Any]:
    token = await _member(h)
    assert (await h.start(token=token))["__typename"] == "StartExternalLoginPayload"
    return first(await h.client.member(token, LINK_DOCUMENT, {"state": "x", "code": "x"}))


async def unlink_anonymously(h: External) -> dict[str, Any]:
    return first(await h.client.anonymous(UNLINK_DOCUMENT, {"provider": "op"}))


async def unlink_not_linked(h: External) -> dict[str, Any]:
    return await h.unlink(await _member(h))


async def unlink_last(h: External) -> dict[str, Any]:
    made = await h.sign_in("alice")
    return await h.unlink(made["sessionToken"])


SCENARIOS: dict[str, dict[int, Scenario]] = {
    "upsertExternalProvider": {
        C.NOT_ALLOWED: upsert_anonymously,
        C.MFA_REQUIRED: upsert_without_a_second_factor,
        C.INVALID_ARGUMENT: upsert_bad_name,
    },
    "deleteExternalProvider": {
        C.NOT_ALLOWED: delete_anonymously,
        C.MFA_REQUIRED: delete_without_a_second_factor,
        C.UNKNOWN_PROVIDER: delete_unknown,
    },
    "startExternalLogin": {
        C.UNKNOWN_PROVIDER: start_unknown,
        C.REDIRECT_URI_NOT_ALLOWED: start_bad_redirect,
        C.NOT_CONVERTIBLE: start_someone_elses_guest,
        C.EXTERNAL_ANSWER_INVALID: start_without_discovery,
        C.RATE_LIMITED: start_twice,
    },
    "completeExternalLogin": {
        C.EXTERNAL_STATE_INVALID: complete_unknown_state,
        C.EXTERNAL_ANSWER_INVALID: complete_wrong_code,
        C.EXTERNAL_LINK_REQUIRED: complete_existing_email,
        C.UNKNOWN_PROVIDER: complete_deleted_provider,
        C.REGISTRATION_DISABLED: complete_without_signup,
        C.EMAIL_REQUIRED: complete_without_email,
        C.REGISTRATION_ERROR: complete_username_identity,
        C.NOT_CONVERTIBLE: complete_converted_guest,
        C.PENDING_APPROVAL: complete_pending,
        C.LOGIN_DISABLED: complete_blocked,
        C.EMAIL_NOT_CONFIRMED: complete_unconfirmed,
        C.UNKNOWN_PROPERTY: complete_unknown_field,
        C.REQUIRED_PROPERTY_MISSING: complete_required_field_missing,
        C.REQUIRED_PROPERTY_EMPTY: complete_required_field_empty,
        C.VALUE_TOO_LONG: complete_field_too_long,
        C.RATE_LIMITED: complete_too_often,
    },
    "linkExternalIdentity": {
        C.NOT_LOGGED_IN: link_anonymously,
        C.EXTERNAL_STATE_INVALID: link_unknown_state,
        C.EXTERNAL_ANSWER_INVALID: link_wrong_code,
        C.UNKNOWN_PROVIDER: link_deleted_provider,
        C.IDENTITY_LINKED_ELSEWHERE: link_taken,
        C.RATE_LIMITED: link_too_often,
    },
    "unlinkExternalIdentity": {
        C.NOT_LOGGED_IN: unlink_anonymously,
        C.UNKNOWN_PROVIDER: unlink_not_linked,
        C.LAST_SIGN_IN_METHOD: unlink_last,
    },
}
CONFIG = {C.RATE_LIMITED: LIMITED}

SCHEMA = build_schema()._schema
CODE_OF_TYPE = {cls.__strawberry_definition__.name: code for code, cls in ERROR_TYPES.items()}  # type: ignore[attr-defined]


def listed_codes(field: str) -> set[int]:
    assert SCHEMA.mutation_type is not None
    union = SCHEMA.mutation_type.fields[field].type
    while not isinstance(union, GraphQLUnionType):
        union = union.of_type  # type: ignore[union-attr]
    return {int(CODE_OF_TYPE[t.name]) for t in union.types if t.name in CODE_OF_TYPE}


@pytest.mark.parametrize("field", sorted(SCENARIOS))
def test_the_scenarios_are_exactly_the_unions_codes(field: str) -> None:
    assert set(SCENARIOS[field]) == listed_codes(field)


PAIRS = [(field, int(code)) for field, codes in SCENARIOS.items() for code in codes]


@pytest.mark.parametrize(("field", "code"), PAIRS, ids=[f"{f}-{C(c).name}" for f, c in PAIRS])
async def test_each_listed_code_is_produced(external: Start, field: str, code: int) -> None:
    h = await external(**CONFIG.get(C(code), {}))
    result = await SCENARIOS[field][code](h)
    error = ERROR_TYPES[C(code)].__strawberry_definition__.name  # type: ignore[attr-defined]
    assert result["__typename"] == error, result
    assert result["code"] == code and result["reason"] == C(code).name and result["message"], result
