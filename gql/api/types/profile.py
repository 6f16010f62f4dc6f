from __future__ import annotations

import strawberry

from gql.domain.records import ProfileRecord


@strawberry.type(
    description="What a member shows to others. Embedded in its member (no id of its own): Apollo Client users "
    "set `typePolicies: { Profile: { merge: true } }` (see docs/api.md, Client setup)."
)
class Profile:
    nickname: str = strawberry.field(description="The display name: first and last name, else the email's local part.")
    slug: str = strawberry.field(description="Unique, URL-safe; derived from the nickname unless set.")
    photo: str | None = strawberry.field(description="URL of the member's photo.")
    title: str | None = strawberry.field(description="A short title or headline.")

    @classmethod
    def from_domain(cls, profile: ProfileRecord) -> Profile:
        return cls(nickname=profile.nickname, slug=profile.slug, photo=profile.photo, title=profile.title)
