from __future__ import annotations

import strawberry

from gql.api.scalars import JSON
from gql.domain.records import ContactRecord


@strawberry.type(description="The member's contact record (the site's CRM entry). Cached by its own id.")
class Contact:
    id: strawberry.ID = strawberry.field(description="The contact's UUID (the member's `contactId`).")
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    phones: list[str] = strawberry.field(description="Phone numbers, as given.")
    emails: list[str] = strawberry.field(description="Further email addresses (the login email is the member's).")
    picture: str | None = strawberry.field(description="URL of a picture.")
    custom_fields: JSON = strawberry.field(description='Custom fields, e.g. {"hobby": "Basketball"}.')

    @classmethod
    def from_domain(cls, contact: ContactRecord) -> Contact:
        return cls(
            id=strawberry.ID(str(contact.id)),
            first_name=contact.first_name,
            last_name=contact.last_name,
            phones=list(contact.phones),
            emails=list(contact.emails),
            picture=contact.picture,
            custom_fields=dict(contact.custom_fields),
        )
