"""The MFA policy's rules that need no server (issue 15 §2): the site-wide setting's variable and
stored form, when a role's permissions are in force, and which root fields a request selects (what
the enrolment guard of gql/api/extensions.py compares with ``ENROLMENT_OPERATIONS``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from graphql import parse

from gql.api.extensions import _root_fields
from gql.config import ConfigError, load_config
from gql.domain.caller import Caller, CallerKind
from gql.domain.errors import ErrorCode
from gql.domain.mfa_policy import ENROLMENT_OPERATIONS, enrolment_error, multi_factor, role_error, role_in_force
from gql.domain.permissions import Permission
from gql.domain.registration_settings import RegistrationSettings
from gql.domain.statuses import MfaPolicy, SecondFactor
from gql.schema import build_schema


def base(tmp_path: Path) -> dict[str, str]:
    return {"MEMBERS_SECRET_KEY": "k" * 40, "MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'x.sqlite3'}"}


def test_the_site_wide_policy_is_optional_unless_the_environment_seeds_required(tmp_path: Path) -> None:
    assert load_config(base(tmp_path)).registration.mfa_policy is MfaPolicy.OPTIONAL
    seeded = load_config({**base(tmp_path), "MEMBERS_MFA_POLICY": "required"})
    assert seeded.registration.mfa_policy is MfaPolicy.REQUIRED
    with pytest.raises(ConfigError, match="MEMBERS_MFA_POLICY"):
        load_config({**base(tmp_path), "MEMBERS_MFA_POLICY": "sometimes"})


def test_the_stored_settings_take_the_default_until_they_hold_the_policy() -> None:
    assert RegistrationSettings.from_json({"enabled": True}).mfa_policy is MfaPolicy.OPTIONAL
    required = RegistrationSettings().changed({"mfa_policy": MfaPolicy.REQUIRED})
    stored = required.to_json()
    assert stored["mfa_policy"] == "REQUIRED"
    assert RegistrationSettings.from_json(stored) == required


def member(
    second_factor: SecondFactor | None = None, *, mfa_enabled: bool = False, enrolment_only: bool = False
) -> Caller:
    return Caller(
        CallerKind.MEMBER,
        second_factor=second_factor,
        mfa_enabled=mfa_enabled,
        enrolment_only=enrolment_only,
    )


def test_a_role_requiring_mfa_is_in_force_only_for_a_multi_factor_session() -> None:
    plain, proved = member(), member(SecondFactor.TOTP, mfa_enabled=True)
    factor_gone = member(SecondFactor.PASSKEY, mfa_enabled=False)  # proved one, then removed every factor
    not_proved = member(mfa_enabled=True)  # opened before enrolment, or by trusted sign-in
    assert [role_in_force(True, c) for c in (plain, proved, factor_gone, not_proved)] == [False, True, False, False]
    assert all(role_in_force(False, c) for c in (plain, proved, factor_gone, not_proved))
    # An enrolment-only session has no role in force, whatever the role.
    assert not role_in_force(False, member(enrolment_only=True))
    assert multi_factor(SecondFactor.RECOVERY_CODE, True) and not multi_factor(None, True)
    assert Caller(CallerKind.BACKEND, second_factor=SecondFactor.TOTP, mfa_enabled=True).multi_factor is False


def test_the_error_says_what_to_do() -> None:
    enrol = role_error(member(), [Permission.MEMBERS_APPROVE])
    assert enrol.code is ErrorCode.MFA_REQUIRED and "MEMBERS_APPROVE" in enrol.message
    assert "enrollTotp" in enrol.message and "startPasskeyRegistration" in enrol.message
    prove = role_error(member(mfa_enabled=True), [Permission.MEMBERS_APPROVE])
    assert "reauthenticate" in prove.message and "enrollTotp" not in prove.message
    site = enrolment_error(member(enrolment_only=True))
    assert site.code is ErrorCode.MFA_REQUIRED and "requires a second factor" in site.message


def root_fields(document: str, operation: str | None = None) -> set[str]:
    return _root_fields(SimpleNamespace(graphql_document=parse(document), operation_name=operation))


def test_the_root_fields_a_request_selects() -> None:
    assert root_fields("{ __typename currentMember { id } }") == {"currentMember"}
    assert root_fields("query { ... on Query { members { totalCount } } }") == {"members"}
    nested = """query { ...A } fragment A on Query { ...B currentMember { id } } fragment B on Query { roles { id } }"""
    assert root_fields(nested) == {"currentMember", "roles"}
    # Whatever a directive says: a skipped field still counts.
    assert root_fields("{ currentMember { id } members @skip(if: true) { totalCount } }") == {
        "currentMember",
        "members",
    }
    two = "query Mine { currentMember { id } } mutation Theirs { logout { __typename } }"
    assert root_fields(two, "Theirs") == {"logout"} and root_fields(two, "Mine") == {"currentMember"}
    assert root_fields("{ __schema { types { name } } }") == set()


def test_every_enrolment_operation_is_a_root_field_of_the_schema() -> None:
    schema = build_schema()._schema
    assert schema.query_type is not None and schema.mutation_type is not None
    roots = set(schema.query_type.fields) | set(schema.mutation_type.fields)
    assert ENROLMENT_OPERATIONS <= roots, ENROLMENT_OPERATIONS - roots
