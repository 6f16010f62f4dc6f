from __future__ import annotations

import strawberry

from gql.api.scalars import JSON
from gql.db.models import Contact as ContactRow


@strawberry.type(description="The member's contact record (the site's CRM entry).")
class Contact:
    first_name: str | None
    last_name: str | None
    phones: list[str]
    emails: list[str]
    picture: str | None
    custom_fields: JSON = strawberry.field(description='Custom fields, e.g. {"hobby": "Basketball"}.')

    @classmethod
    def from_row(cls, row: ContactRow) -> Contact:
        return cls(
            first_name=row.first_name,
            last_name=row.last_name,
            phones=list(row.phones or []),
            emails=list(row.emails or []),
            picture=row.picture,
            custom_fields=dict(row.custom_fields or {}),
        )
