"""Registration over GraphQL on a real database: every rule and its error code."""

from __future__ import annotations

import pytest

from gql.db.models import Contact, Member
from gql.domain.services import Services
from tests.conftest import GraphQLClient
from tests.integration.documents import code, register, settings


async def test_automatic_approval_returns_active_session_and_full_record(gql: GraphQLClient) -> None:
    result = await register(
        gql,
        "javier@example.com",
        options={
            "contactInfo": {
                "firstName": "Javier",
                "lastName": "Doe",
                "customFields": {"hobby": "Basketball", "favorite-meal": "Pasta"},
            },
            "privacyStatus": "PUBLIC",
        },
    )
    assert result["status"] == "ACTIVE" and result["sessionToken"] and result["approvalToken"] is None
    member = result["member"]
    assert member["status"] == "APPROVED" and member["privacyStatus"] == "PUBLIC"
    assert member["loginEmail"] == "javier@example.com"
    assert member["profile"] == {"nickname": "Javier Doe", "slug": "javierdoe", "photo": None, "title": None}
    assert member["contact"]["customFields"] == {"hobby": "Basketball", "favorite-meal": "Pasta"}
    me = await gql.member(result["sessionToken"], "{ currentMember { id } }")
    assert me["data"]["currentMember"]["id"] == member["id"]


async def test_ids_are_uuids_and_privacy_defaults_to_private(gql: GraphQLClient) -> None:
    import uuid

    member = (await register(gql, "p@example.com"))["member"]
    uuid.UUID(member["id"]), uuid.UUID(member["contactId"])
    assert member["privacyStatus"] == "PRIVATE"
    assert member["profile"]["nickname"] == "p"


async def test_manual_approval_hides_token_from_anonymous(gql: GraphQLClient) -> None:
    await settings(gql, approval="MANUAL")
    anonymous = await register(gql, "anon@example.com")
    assert (anonymous["status"], anonymous["approvalToken"], anonymous["sessionToken"]) == ("PENDING", None, None)
    assert anonymous["member"]["status"] == "PENDING"
    backend = await register(gql, "back@example.com", backend=True)
    assert backend["status"] == "PENDING" and backend["approvalToken"].startswith("JWS.")
    assert backend["sessionToken"] is None


async def test_the_stored_password_hash_checks_the_password_and_nothing_else(
    gql: GraphQLClient, services: Services
) -> None:
    await register(gql, "hash@example.com", "my secret pw")
    await register(gql, "hash2@example.com", "my secret pw")
    row, other = await Member.get(email_key="hash@example.com"), await Member.get(email_key="hash2@example.com")
    cost = f"$2b${services.config.bcrypt_cost:02d}$"
    assert row.password_hash is not None and row.password_hash.startswith(cost)
    assert await services.hasher.verify("my secret pw", row.password_hash)
    assert not await services.hasher.verify("my secret pW", row.password_hash)
    assert row.password_hash != other.password_hash  # salted: one password, two hashes


async def test_hundred_character_password_counts_in_full(gql: GraphQLClient) -> None:
    password = "x" * 99 + "!"
    assert (await register(gql, "long@example.com", password))["status"] == "ACTIVE"
    from tests.integration.documents import login

    assert (await login(gql, "long@example.com", "x" * 99 + "?"))["code"] == 3003
    assert (await login(gql, "long@example.com", password))["__typename"] == "LoginPayload"


@pytest.mark.parametrize(
    ("email", "password", "options", "expected"),
    [
        ("not-an-email", "wonderland", None, 3040),
        ("a@example.com", "abc", None, 3200),
        ("a@example.com", "x" * 101, None, 3200),
        ("a@example.com", "non-ascii-é", None, 3200),
        ("a@example.com", "", None, 3011),
        ("", "wonderland", None, 3013),
        (None, "wonderland", None, 3013),
        ("a@example.com", "wonderland", {"contactInfo": {"customFields": {"id": "1"}}}, 3039),
        ("a@example.com", "wonderland", {"contactInfo": {"customFields": {"Hobby": "a", "hobby": "b"}}}, 3043),
        ("a@example.com", "wonderland", {"contactInfo": {"customFields": {"email": "x@y.z"}}}, 3043),
        ("a@example.com", "wonderland", {"contactInfo": {"customFields": {"bio": "x" * 501}}}, 8000),
        ("a@example.com", "wonderland", {"contactInfo": {"firstName": "x" * 501}}, 8000),
        ("a@example.com", "wonderland", {"contactInfo": {"customFields": {"bad name": "x"}}}, 3021),
        ("a@example.com", "wonderland", {"guestId": "6a1a0c39-0b52-4b4b-9a0e-2f8e1b8d2a11"}, 3206),
    ],
)
async def test_invalid_registrations_are_typed_errors(gql: GraphQLClient, email, password, options, expected) -> None:
    result = await register(gql, email, password, **(options or {}))
    assert code(result) == expected, result
    assert await Member.all().count() == 0 and await Contact.all().count() == 0


async def test_value_too_long_names_property_and_limit(gql: GraphQLClient) -> None:
    result = await register(gql, "a@example.com", options={"contactInfo": {"customFields": {"bio": "x" * 501}}})
    assert (result["__typename"], result["property"], result["limit"]) == ("ValueTooLongError", "bio", 500)


async def test_registration_disabled_3009(gql: GraphQLClient) -> None:
    await settings(gql, enabled=False)
    assert code(await register(gql, "a@example.com")) == 3009
    await settings(gql, approval="MANUAL")  # partial update keeps enabled=false
    assert code(await register(gql, "a@example.com")) == 3009


async def test_dynamic_properties_off_3010(gql: GraphQLClient) -> None:
    await settings(gql, dynamicProperties=False, declaredProperties=[{"name": "hobby"}])
    assert (await register(gql, "a@example.com", options={"contactInfo": {"customFields": {"hobby": "x"}}}))[
        "status"
    ] == "ACTIVE"
    assert code(await register(gql, "b@example.com", options={"contactInfo": {"customFields": {"pet": "cat"}}})) == 3010


async def test_declared_required_3012_3041_and_long_limit(gql: GraphQLClient) -> None:
    await settings(gql, declaredProperties=[{"name": "city", "required": True, "maxLength": 2000}])
    assert code(await register(gql, "a@example.com")) == 3012
    assert code(await register(gql, "a@example.com", options={"contactInfo": {"customFields": {"city": ""}}})) == 3041
    ok = await register(gql, "a@example.com", options={"contactInfo": {"customFields": {"city": "y" * 2000}}})
    assert ok["status"] == "ACTIVE"


@pytest.mark.parametrize("variant", ["DUP@example.com", "  dup@example.com  ", "ｄｕｐ@example.com", "Dup@Example.COM"])
async def test_identity_compared_after_normalisation_3033(gql: GraphQLClient, variant: str) -> None:
    await register(gql, "dup@example.com")
    assert code(await register(gql, variant)) == 3033
    assert await Member.all().count() == 1


async def test_blocked_email_cannot_register_again(gql: GraphQLClient) -> None:
    from tests.integration.documents import BLOCK_BY_EMAIL

    await register(gql, "blocked@example.com")
    await gql.backend(BLOCK_BY_EMAIL, {"email": "blocked@example.com"})
    assert code(await register(gql, "Blocked@example.com")) == 3033


async def test_custom_identity_property(gql: GraphQLClient) -> None:
    await settings(gql, declaredProperties=[{"name": "username"}], identityProperty="username")
    result = await register(gql, None, options={"contactInfo": {"customFields": {"username": "Captain"}}})
    assert result["status"] == "ACTIVE", result
    assert code(await register(gql, None, options={"contactInfo": {"customFields": {"username": "CAPTAIN"}}})) == 3033
    assert code(await register(gql, None)) == 3013
    from tests.integration.documents import login

    assert (await login(gql, "captain"))["__typename"] == "LoginPayload"


async def test_slugs_stay_unique(gql: GraphQLClient) -> None:
    slugs = set()
    for i in range(4):
        member = (
            await register(
                gql, f"jd{i}@example.com", options={"contactInfo": {"firstName": "Javier", "lastName": "Doe"}}
            )
        )["member"]
        slugs.add(member["profile"]["slug"])
    assert len(slugs) == 4 and "javierdoe" in slugs


async def test_anonymous_claims_the_sites_contact_only_after_proving_the_address(gql: GraphQLClient, services) -> None:
    from gql.domain.links import issue
    from gql.domain.tokens import Purpose

    existing = await Contact.create(email_key="c@example.com", first_name="Kept", custom_fields={"a": "1"})
    member = (
        await register(
            gql,
            "C@example.com",
            options={"contactInfo": {"firstName": "New", "lastName": "Name", "customFields": {"a": "2", "b": "3"}}},
        )
    )["member"]
    # Until the address is proved, the registrant holds only what it sent itself.
    assert member["contactId"] != str(existing.id)
    assert member["contact"]["firstName"] == "New" and member["contact"]["customFields"] == {"a": "2", "b": "3"}

    # Following a link mailed to the address proves it: the site's contact becomes the member's,
    # nothing it held is overwritten, what it lacked is filled in, the interim contact goes.
    row = await Member.get(id=member["id"])
    row.reset_jti = "proof"
    await row.save()
    reset = await gql.anonymous(
        'mutation ($t: String!) { resetPassword(token: $t, newPassword: "pw-proved") { __typename '
        "... on SessionPayload { member { contactId contact { firstName lastName customFields } } } } }",
        {"t": issue(services, Purpose.RESET, row)},
    )
    proved = reset["data"]["resetPassword"]["member"]
    assert proved["contactId"] == str(existing.id)
    assert proved["contact"]["firstName"] == "Kept" and proved["contact"]["lastName"] == "Name"
    assert proved["contact"]["customFields"] == {"a": "1", "b": "3"}
    assert not await Contact.filter(id=member["contactId"]).exists()

    # The backend always makes a new contact, and never claims one.
    await Contact.create(email_key="d@example.com")
    backend_member = (await register(gql, "d@example.com", backend=True))["member"]
    assert await Contact.filter(email_key="d@example.com").count() == 2
    assert not (await Member.get(id=backend_member["id"])).claims_contact


async def test_failed_registration_leaves_no_contact(gql: GraphQLClient) -> None:
    await register(gql, "one@example.com")
    contacts = await Contact.all().count()
    assert code(await register(gql, "ONE@example.com", backend=True)) == 3033
    assert await Contact.all().count() == contacts  # the contact insert was rolled back with the member


async def test_a_taken_slug_retries_only_the_member_insert(gql: GraphQLClient, sql_statements) -> None:
    same_name = {"contactInfo": {"firstName": "Javier", "lastName": "Doe"}}
    await register(gql, "first@example.com", options=same_name)
    sql_statements.statements.clear()
    await register(gql, "other@example.com", options={"contactInfo": {"firstName": "Ada", "lastName": "King"}})
    plain = [s.split()[0].upper() for s in sql_statements.statements]
    sql_statements.statements.clear()
    second = await register(gql, "second@example.com", options=same_name)
    taken = [s.split()[0].upper() for s in sql_statements.statements]
    assert second["member"]["profile"]["slug"].startswith("javierdoe-")
    # One more INSERT (the refused one, undone by its savepoint); the contact is not written twice.
    assert len(taken) == len(plain) + 1 and taken.count("INSERT") == plain.count("INSERT") + 1, (plain, taken)
    assert await Contact.filter(email_key="second@example.com").count() == 1


async def test_a_registration_whose_session_cannot_be_written_leaves_nothing(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first session is written in the registration's transaction: a failure there undoes the
    member, its contact and its audit event (the registrant can simply register again)."""
    from gql.db import sessions as session_storage
    from gql.db.models import MemberEvent, OutboxMessage, Session
    from tests.integration.documents import REGISTER

    real_insert = session_storage.insert

    async def failing_insert(*args: object, **kwargs: object) -> object:
        await real_insert(*args, **kwargs)  # the row is written, then the transaction fails
        raise RuntimeError("the disk is full")

    async def counts() -> list[int]:
        return [await model.all().count() for model in (Member, Contact, MemberEvent, Session, OutboxMessage)]

    before = await counts()
    monkeypatch.setattr(session_storage, "insert", failing_insert)
    body = await gql.anonymous(REGISTER, {"email": "full@example.com", "password": "wonderland", "options": None})
    assert body["data"] is None or body["data"]["register"] is None, body
    assert body["errors"][0]["message"] == "Unexpected error.", body  # masked: nothing about the cause
    assert await counts() == before
    monkeypatch.undo()  # the disk has room again: the same address registers
    assert (await register(gql, "full@example.com"))["status"] == "ACTIVE"
