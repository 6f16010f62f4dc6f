"""Contact details as on Wix (issue 12 §6): tagged phones and emails, addresses, birthdate,
company and job title; their limits; deleteMemberPhones/Emails/Addresses; on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gql.db.models import Contact
from tests.conftest import GraphQLClient
from tests.integration.documents import (
    DELETE_ADDRESSES,
    DELETE_EMAILS,
    DELETE_PHONES,
    ERROR_FIELDS,
    MEMBER_FIELDS,
    UPDATE_MEMBER,
    events_of,
    register,
)
from tests.integration.test_statement_budgets import summary
from tests.logs import StatementCounter

FULL_CONTACT = {
    "firstName": "Ada",
    "phones": [
        {"phone": "+44 20 7946 0018", "tag": "MOBILE", "primary": True},
        {"phone": "+44 20 7946 0019"},
    ],
    "emails": [
        {"email": "ada@work.example", "tag": "WORK"},
        {"email": "ada@home.example", "tag": "HOME", "primary": True},
    ],
    "addresses": [
        {
            "addressLine": "12 St James's Square",
            "city": "London",
            "country": "gb",
            "postalCode": "SW1Y 4JH",
            "tag": "HOME",
        },
        {
            "addressLine": "1 Main St",
            "addressLine2": " ",
            "city": "Springfield",
            "subdivision": "US-IL",
            "country": "US",
            "tag": "BILLING",
        },
    ],
    "birthdate": "1815-12-10",
    "company": "Analytical Engines Ltd",
    "jobTitle": "Programmer",
}
STORED_CONTACT = {
    "firstName": "Ada",
    "lastName": None,
    "picture": None,
    "customFields": {},
    "phones": [
        {"phone": "+44 20 7946 0018", "tag": "MOBILE", "primary": True},
        {"phone": "+44 20 7946 0019", "tag": "UNTAGGED", "primary": False},
    ],
    "emails": [
        {"email": "ada@work.example", "tag": "WORK", "primary": False},
        {"email": "ada@home.example", "tag": "HOME", "primary": True},
    ],
    "addresses": [
        {
            "addressLine": "12 St James's Square",
            "addressLine2": None,
            "city": "London",
            "subdivision": None,
            "country": "GB",
            "postalCode": "SW1Y 4JH",
            "tag": "HOME",
        },
        {
            "addressLine": "1 Main St",
            "addressLine2": None,
            "city": "Springfield",
            "subdivision": "US-IL",
            "country": "US",
            "postalCode": None,
            "tag": "BILLING",
        },
    ],
    "birthdate": "1815-12-10",
    "company": "Analytical Engines Ltd",
    "jobTitle": "Programmer",
}
CREATE = f"""mutation ($input: CreateMemberInput!) {{ createMember(input: $input) {{
  __typename ... on CreateMemberPayload {{ member {{ {MEMBER_FIELDS} }} }} {ERROR_FIELDS} }} }}"""


async def update(gql: GraphQLClient, member_id: str, token: str | None = None, **changes: Any) -> dict:
    variables = {"id": member_id, "input": changes}
    body = await (gql.member(token, UPDATE_MEMBER, variables) if token else gql.backend(UPDATE_MEMBER, variables))
    assert "errors" not in body, body
    return body["data"]["updateMember"]


async def test_register_and_create_keep_every_detail_as_tagged(gql: GraphQLClient) -> None:
    registered = await register(gql, "ada@example.com", contactInfo=FULL_CONTACT)
    contact = registered["member"]["contact"]
    assert contact == STORED_CONTACT  # order kept, country upper case, blank parts null
    row = await Contact.get(id=registered["member"]["contactId"])
    assert row.phones[0] == {"phone": "+44 20 7946 0018", "tag": "MOBILE", "primary": True}  # the stored layout

    created = await gql.backend(CREATE, {"input": {"email": "grace@example.com", "contactInfo": FULL_CONTACT}})
    assert created["data"]["createMember"]["member"]["contact"] == STORED_CONTACT


async def test_update_member_replaces_lists_and_clears_what_it_is_told(gql: GraphQLClient) -> None:
    registered = await register(gql, "up@example.com", contactInfo=FULL_CONTACT)
    member_id, token = registered["member"]["id"], registered["sessionToken"]
    result = await update(gql, member_id, token, phones=[{"phone": "555", "tag": "FAX"}], company="")
    contact = result["member"]["contact"]
    assert contact["phones"] == [{"phone": "555", "tag": "FAX", "primary": False}]
    assert contact["company"] is None
    # Omitted fields stay: emails, addresses, birthdate, job title.
    assert (contact["emails"], contact["addresses"]) == (STORED_CONTACT["emails"], STORED_CONTACT["addresses"])
    assert (contact["birthdate"], contact["jobTitle"]) == ("1815-12-10", "Programmer")
    result = await update(gql, member_id, token, birthdate=None, jobTitle="Countess", addresses=[])
    contact = result["member"]["contact"]
    assert (contact["birthdate"], contact["jobTitle"], contact["addresses"]) == (None, "Countess", [])
    result = await update(gql, member_id, token, birthdate="1816-01-01")
    assert result["member"]["contact"]["birthdate"] == "1816-01-01"
    fields = [e["data"].get("fields") for e in await events_of(gql, member_id) if e["kind"] == "PROFILE_UPDATED"]
    assert fields == [["company", "phones"], ["job_title", "addresses", "birthdate"], ["birthdate"]]


@pytest.mark.parametrize(
    ("changes", "code", "property"),
    [
        ({"phones": [{"phone": "1" * 501}]}, 8000, "phones"),
        ({"phones": [{"phone": "  "}]}, 3209, "phones"),
        ({"phones": [{"phone": "1", "primary": True}, {"phone": "2", "primary": True}]}, 3209, "phones"),
        ({"emails": [{"email": "x" * 501}]}, 8000, "emails"),
        ({"emails": [{"email": ""}]}, 3209, "emails"),
        ({"emails": [{"email": "a@x.org", "primary": True}, {"email": "b@x.org", "primary": True}]}, 3209, "emails"),
        ({"addresses": [{"city": "c" * 501}]}, 8000, "addresses"),
        ({"addresses": [{"tag": "HOME"}]}, 3209, "addresses"),
        ({"addresses": [{"city": " ", "country": ""}]}, 3209, "addresses"),
        ({"addresses": [{"city": "Paris", "country": "FRA"}]}, 3209, "addresses"),
        ({"company": "c" * 501}, 8000, "company"),
        ({"jobTitle": "j" * 501}, 8000, "jobTitle"),
    ],
)
async def test_limits_as_for_the_other_contact_fields(
    gql: GraphQLClient, changes: dict[str, Any], code: int, property: str
) -> None:
    registered = await register(gql, "limits@example.com", contactInfo={"phones": [{"phone": "kept"}]})
    result = await update(gql, registered["member"]["id"], registered["sessionToken"], **changes)
    assert (result["code"], result["property"]) == (code, property), result
    if code == 8000:
        assert result["limit"] == 500
    # Registration refuses the same values with the same answer, and stores nothing.
    refused = await gql.anonymous(
        'mutation ($o: RegistrationOptions) { register(email: "no@example.com", password: "pass word", '
        "options: $o) { __typename ... on Error { code property } } }",
        {"o": {"contactInfo": changes}},
    )
    assert refused["data"]["register"] == {"__typename": result["__typename"], "code": code, "property": property}
    assert await Contact.all().count() == 1


async def test_a_member_deletes_its_own_phones_emails_and_addresses(gql: GraphQLClient) -> None:
    registered = await register(gql, "del@example.com", contactInfo=FULL_CONTACT)
    member_id, token = registered["member"]["id"], registered["sessionToken"]
    phones = (await gql.member(token, DELETE_PHONES, {"id": member_id}))["data"]["deleteMemberPhones"]
    assert phones["__typename"] == "DeleteMemberPhonesPayload"
    contact = phones["member"]["contact"]
    assert contact["phones"] == [] and contact["emails"] == STORED_CONTACT["emails"]
    assert contact["addresses"] == STORED_CONTACT["addresses"]

    emails = (await gql.member(token, DELETE_EMAILS, {"id": member_id}))["data"]["deleteMemberEmails"]
    assert emails["__typename"] == "DeleteMemberEmailsPayload"
    assert emails["member"]["contact"]["emails"] == [] and emails["member"]["loginEmail"] == "del@example.com"
    addresses = (await gql.member(token, DELETE_ADDRESSES, {"id": member_id}))["data"]["deleteMemberAddresses"]
    assert addresses["__typename"] == "DeleteMemberAddressesPayload"
    contact = addresses["member"]["contact"]
    assert (contact["phones"], contact["emails"], contact["addresses"]) == ([], [], [])
    assert (contact["company"], contact["birthdate"]) == ("Analytical Engines Ltd", "1815-12-10")  # untouched
    row = await Contact.get(id=registered["member"]["contactId"])
    assert (row.phones, row.emails, row.addresses) == ([], [], [])

    # Again: an empty list stays empty, and nothing more is recorded.
    again = (await gql.member(token, DELETE_PHONES, {"id": member_id}))["data"]["deleteMemberPhones"]
    assert again["__typename"] == "DeleteMemberPhonesPayload"
    events = [(e["kind"], e["actor"], e["data"]) for e in await events_of(gql, member_id)]
    assert events[1:] == [
        ("PROFILE_UPDATED", "MEMBER", {"fields": ["phones"]}),
        ("PROFILE_UPDATED", "MEMBER", {"fields": ["emails"]}),
        ("PROFILE_UPDATED", "MEMBER", {"fields": ["addresses"]}),
    ]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (DELETE_PHONES, "deleteMemberPhones"),
        (DELETE_EMAILS, "deleteMemberEmails"),
        (DELETE_ADDRESSES, "deleteMemberAddresses"),
    ],
)
async def test_who_may_delete_a_members_details(gql: GraphQLClient, document: str, field: str) -> None:
    public = await register(gql, "public@example.com", privacyStatus="PUBLIC", contactInfo=FULL_CONTACT)
    private = await register(gql, "private@example.com", contactInfo=FULL_CONTACT)
    other = await register(gql, "other@example.com")

    async def answer(send: Any, member_id: str) -> dict:
        body = await send(document, {"id": member_id})
        assert "errors" not in body, body
        return body["data"][field]

    as_other = lambda q, v: gql.member(other["sessionToken"], q, v)  # noqa: E731
    # One it may see but not change: 3029; one it may not see, or nobody's id: 3030, alike.
    assert (await answer(as_other, public["member"]["id"]))["code"] == 3029
    for member_id in (private["member"]["id"], str(uuid.uuid4()), "nonsense"):
        hidden = await answer(as_other, member_id)
        assert (hidden["__typename"], hidden["code"]) == ("MemberNotFoundError", 3030)
    assert (await answer(gql.anonymous, public["member"]["id"]))["code"] == 3029
    # The backend (MEMBERS_UPDATE) may.
    done = await answer(gql.backend, private["member"]["id"])
    assert done["member"]["id"] == private["member"]["id"]
    untouched = await Contact.get(id=public["member"]["contactId"])
    assert len(untouched.phones) == 2 and len(untouched.emails) == 2 and len(untouched.addresses) == 2


async def test_member_callers_are_rate_limited_the_backend_is_not(limited: GraphQLClient) -> None:
    registered = await register(limited, "busy@example.com", contactInfo=FULL_CONTACT)
    member_id, token = registered["member"]["id"], registered["sessionToken"]
    # One bucket for the three operations, per address.
    for document in (DELETE_PHONES, DELETE_EMAILS, DELETE_ADDRESSES):
        body = await limited.member(token, document, {"id": member_id})
        assert "code" not in next(iter(body["data"].values())), body
    refused = await limited.member(
        token,
        DELETE_PHONES.replace("{ code message }", "{ code message } ... on RetryableError { retryAfter }"),
        {"id": member_id},
    )
    result = refused["data"]["deleteMemberPhones"]
    assert (result["__typename"], result["code"]) == ("RateLimitedError", 3207) and result["retryAfter"] >= 1
    for _ in range(5):
        body = await limited.backend(DELETE_PHONES, {"id": member_id})
        assert body["data"]["deleteMemberPhones"]["__typename"] == "DeleteMemberPhonesPayload"


async def test_statements_do_not_grow_with_the_number_of_entries(
    gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    registered = await register(gql, "many@example.com")
    member_id, token = registered["member"]["id"], registered["sessionToken"]

    async def statements_for(count: int) -> list[str]:
        sql_statements.statements.clear()
        result = await update(
            gql,
            member_id,
            token,
            phones=[{"phone": f"555-{i}"} for i in range(count)],
            emails=[{"email": f"e{i}@example.com"} for i in range(count)],
            addresses=[{"city": f"City {i}"} for i in range(count)],
        )
        assert len(result["member"]["contact"]["phones"]) == count
        return summary(sql_statements.statements)

    one, hundred = await statements_for(1), await statements_for(100)
    assert one == hundred, (one, hundred)
    sql_statements.statements.clear()
    await gql.member(token, DELETE_PHONES, {"id": member_id})
    assert summary(sql_statements.statements) == [
        "SELECT session",  # the caller's session, joined with its member
        "SELECT registration_settings",  # the MFA policy (not cached in the suite; per process in production)
        "SELECT member",  # the member with its contact
        "UPDATE contact",
        "UPDATE member",
        "INSERT member_event",
    ]
