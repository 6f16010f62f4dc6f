"""A passkey (WebAuthn) as the schema shows it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.domain.passkeys import PasskeyRecord


@strawberry.type(description="A passkey (a WebAuthn credential) the member signs in or proves its second factor with.")
class Passkey:
    id: strawberry.ID = strawberry.field(description="The passkey's id (for renamePasskey and deletePasskey).")
    name: str = strawberry.field(description="The name the member gave it.")
    created_date: datetime = strawberry.field(description="When it was registered.")
    last_used_date: datetime | None = strawberry.field(description="When it last signed in or proved a factor.")
    backed_up: bool = strawberry.field(description="Whether the authenticator says it is backed up (synced).")

    @classmethod
    def from_domain(cls, record: PasskeyRecord) -> Passkey:
        return cls(
            id=strawberry.ID(str(record.id)),
            name=record.name,
            created_date=record.created_at,
            last_used_date=record.last_used_at,
            backed_up=record.backed_up,
        )
