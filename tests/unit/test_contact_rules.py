"""The contact's tagged entries without a database: their stored layout, the rules on them, and
how a proved member's entries fill the site's contact (gql/domain/contacts.py)."""

from __future__ import annotations

import pytest

from gql.db.models import Contact
from gql.domain.contacts import (
    MAX_LIST_ITEMS,
    Address,
    ContactInfo,
    ContactTag,
    Email,
    Phone,
    _merge_into,
    canonical_addresses,
    check_contact,
    check_entries,
    phones_of,
)
from gql.domain.errors import DomainError, ErrorCode


def refusal(**entries: object) -> tuple[ErrorCode, str | None]:
    with pytest.raises(DomainError) as caught:
        check_entries(entries.get("phones"), entries.get("emails"), entries.get("addresses"))  # type: ignore[arg-type]
    return caught.value.code, caught.value.details.get("property")


def test_entries_round_trip_through_their_stored_layout() -> None:
    phone = Phone("+1 555 0100", ContactTag.MOBILE, True)
    assert phone.to_json() == {"phone": "+1 555 0100", "tag": "MOBILE", "primary": True}
    assert Phone.from_json(phone.to_json()) == phone
    email = Email("a@example.org", ContactTag.WORK)
    assert Email.from_json(email.to_json()) == email
    address = Address(address_line="1 Main St", country="US", tag=ContactTag.SHIPPING)
    assert Address.from_json(address.to_json()) == address


def test_the_layout_before_0006_still_reads() -> None:
    """A process of the old version may write a bare string while a deployment rolls."""
    assert Phone.from_json("555") == Phone("555", ContactTag.UNTAGGED, False)
    assert Email.from_json("a@example.org") == Email("a@example.org")
    assert Phone.from_json({"phone": "1", "tag": "NO SUCH TAG"}).tag is ContactTag.UNTAGGED
    assert phones_of(Contact(phones=["1", {"phone": "2", "tag": "FAX", "primary": True}])) == (
        Phone("1"),
        Phone("2", ContactTag.FAX, True),
    )


def test_limits() -> None:
    many = tuple(Phone(str(n)) for n in range(MAX_LIST_ITEMS + 1))
    assert refusal(phones=many) == (ErrorCode.INVALID_ARGUMENT, "phones")
    check_entries(many[:MAX_LIST_ITEMS], None, None)  # exactly the limit is fine
    assert refusal(emails=(Email("x" * 501),)) == (ErrorCode.VALUE_TOO_LONG, "emails")
    check_entries(None, (Email("x" * 500),), None)
    assert refusal(phones=(Phone(" \t"),)) == (ErrorCode.INVALID_ARGUMENT, "phones")
    assert refusal(emails=(Email("a", primary=True), Email("b", primary=True))) == (
        ErrorCode.INVALID_ARGUMENT,
        "emails",
    )
    assert refusal(addresses=(Address(),)) == (ErrorCode.INVALID_ARGUMENT, "addresses")
    assert refusal(addresses=(Address(city="Paris", country="F1"),)) == (ErrorCode.INVALID_ARGUMENT, "addresses")
    assert refusal(addresses=(Address(postal_code="9" * 501),)) == (ErrorCode.VALUE_TOO_LONG, "addresses")
    check_entries(None, None, (Address(country="fr"),))  # any case
    with pytest.raises(DomainError) as caught:
        check_contact(ContactInfo(job_title="j" * 501))
    assert caught.value.details["property"] == "jobTitle"


def test_addresses_are_stored_canonical() -> None:
    (address,) = canonical_addresses((Address(address_line=" ", city="Lyon", country="fr", postal_code=""),))
    assert address == Address(city="Lyon", country="FR")


def test_a_proved_members_entries_fill_what_the_sites_contact_lacks() -> None:
    site = Contact(
        first_name="Site",
        phones=[Phone("1", ContactTag.HOME, True).to_json()],
        emails=[],
        addresses=[],
        custom_fields={},
    )
    own = ContactInfo(
        first_name="Own",
        phones=(Phone("1", ContactTag.MOBILE), Phone("2", ContactTag.WORK, True)),
        emails=(Email("e@example.org", primary=True),),
        addresses=(Address(city="Oslo", country="no"),),
        company="Own Co",
    )
    assert _merge_into(site, own, {}) is True
    assert site.first_name == "Site"  # what the site's contact holds is never overwritten
    assert site.company == "Own Co"
    # The number it had stays as it was; the new one comes after it, no longer primary (one primary at most).
    assert site.phones == [Phone("1", ContactTag.HOME, True).to_json(), Phone("2", ContactTag.WORK).to_json()]
    assert site.emails == [Email("e@example.org", primary=True).to_json()]  # the only one: stays primary
    assert site.addresses == [Address(city="Oslo", country="NO").to_json()]
    assert _merge_into(site, own, {}) is False  # nothing left to fill
