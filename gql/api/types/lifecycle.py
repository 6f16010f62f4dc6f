"""Success types of the lifecycle mutations (confirmation, passwords, administration)."""

from __future__ import annotations

import strawberry

from gql.api.types.member import Member
from gql.domain.views import MemberView


@strawberry.type(description="The email address is confirmed.")
class EmailConfirmed:
    member: Member

    @classmethod
    def from_domain(cls, view: MemberView) -> EmailConfirmed:
        return cls(member=Member.from_domain(view))


@strawberry.type(description="A message is queued for delivery (for password resets: whether or not the account exists).")
class EmailQueued:
    ok: bool = True


@strawberry.type(description="The password is changed; every other session of the member has ended.")
class PasswordChanged:
    member: Member

    @classmethod
    def from_domain(cls, view: MemberView) -> PasswordChanged:
        return cls(member=Member.from_domain(view))


@strawberry.type
class MemberUpdated:
    member: Member

    @classmethod
    def from_domain(cls, view: MemberView) -> MemberUpdated:
        return cls(member=Member.from_domain(view))


@strawberry.type(description="An invited member: approved, no password yet; a set-password email is on its way.")
class MemberCreated:
    member: Member

    @classmethod
    def from_domain(cls, view: MemberView) -> MemberCreated:
        return cls(member=Member.from_domain(view))


@strawberry.type(description="The member, its sessions and tokens are gone; its contact stays.")
class MemberDeleted:
    id: strawberry.ID
