"""Per-request batch loaders: the roles, badges and counts a page of results asks for are read in
a fixed number of statements whatever the page size (one batch per kind), not one per item."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from gql.domain import badges, roles, sessions
from gql.domain.badges import BadgeRecord
from gql.domain.errors import DomainError
from gql.domain.roles import RoleRecord
from gql.domain.sessions import SessionRecord
from gql.domain.statuses import MemberStatus

if TYPE_CHECKING:
    from gql.api.context import Context


class Loaders:
    """Each loader is made on its first use: most requests use none of them."""

    def __init__(self) -> None:
        # Needs the request's caller: made on first use (session_loader).
        self.sessions: DataLoader[uuid.UUID, list[SessionRecord]] | None = None

    @cached_property
    def roles_of_member(self) -> DataLoader[tuple[uuid.UUID, MemberStatus], list[RoleRecord]]:
        return DataLoader(self._roles_of_members)

    @cached_property
    def badges_of_member(self) -> DataLoader[uuid.UUID, list[BadgeRecord]]:
        return DataLoader(self._badges_of_members)

    @cached_property
    def role(self) -> DataLoader[uuid.UUID, RoleRecord | None]:
        return DataLoader(self._roles)

    @cached_property
    def role_member_count(self) -> DataLoader[uuid.UUID, int]:
        return DataLoader(self._role_counts)

    @cached_property
    def badge_member_count(self) -> DataLoader[uuid.UUID, int]:
        return DataLoader(self._badge_counts)

    @staticmethod
    async def _roles_of_members(keys: list[tuple[uuid.UUID, MemberStatus]]) -> Sequence[list[RoleRecord]]:
        found = await roles.roles_of_members(keys)
        return [found[member_id] for member_id, _ in keys]

    @staticmethod
    async def _badges_of_members(keys: list[uuid.UUID]) -> Sequence[list[BadgeRecord]]:
        found = await badges.badges_of_members(keys)
        return [found[key] for key in keys]

    @staticmethod
    async def _roles(keys: list[uuid.UUID]) -> Sequence[RoleRecord | None]:
        found = await roles.roles_by_ids(keys)
        return [found.get(key) for key in keys]

    @staticmethod
    async def _role_counts(keys: list[uuid.UUID]) -> Sequence[int]:
        counts = await roles.member_counts(keys)
        return [counts.get(key, 0) for key in keys]

    @staticmethod
    async def _badge_counts(keys: list[uuid.UUID]) -> Sequence[int]:
        counts = await badges.member_counts(keys)
        return [counts.get(key, 0) for key in keys]


def session_loader(context: Context) -> DataLoader[uuid.UUID, list[SessionRecord]]:
    """``Member.sessions`` of every member of the response, in one SELECT (gql/domain/sessions.py)."""
    loaders = context.loaders
    if loaders.sessions is None:

        async def load(member_ids: Sequence[uuid.UUID]) -> list[list[SessionRecord] | DomainError]:
            return await sessions.sessions_of(context.services, await context.caller(), list(member_ids))

        loaders.sessions = DataLoader(load_fn=load)
    return loaders.sessions
