from __future__ import annotations

import strawberry

from gql.db.models import Member as MemberRow


@strawberry.type(description="What a member shows to others.")
class Profile:
    nickname: str
    slug: str = strawberry.field(description="Unique, URL-safe; derived from the nickname.")
    photo: str | None
    title: str | None

    @classmethod
    def from_row(cls, row: MemberRow) -> Profile:
        return cls(nickname=row.nickname, slug=row.slug, photo=row.photo, title=row.title)
