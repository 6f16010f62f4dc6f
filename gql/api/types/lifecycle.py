"""Success types of the lifecycle mutations (confirmation, passwords, administration)."""

from __future__ import annotations

import strawberry

from gql.api.types.member_payload import MemberPayload


@strawberry.type(description="The email address is confirmed.")
class EmailConfirmed(MemberPayload):
    pass


@strawberry.type(
    description="A message is queued for delivery (for password resets: whether or not the account exists)."
)
class EmailQueued:
    ok: bool = True


@strawberry.type(description="The password is changed; every other session of the member has ended.")
class PasswordChanged(MemberPayload):
    pass


@strawberry.type(description="The member after the change.")
class MemberUpdated(MemberPayload):
    pass


@strawberry.type(description="An invited member: approved, no password yet; a set-password email is on its way.")
class MemberCreated(MemberPayload):
    pass


@strawberry.type(description="The member, its sessions and tokens are gone; its contact stays.")
class MemberDeleted:
    id: strawberry.ID
