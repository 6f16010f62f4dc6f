from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.types.any_member import AnyMember
from gql.api.types.api_key import ApiKey
from gql.api.types.badge import Badge
from gql.api.types.event import MemberEvent, MemberEventConnection
from gql.api.types.external import ExternalProvider
from gql.api.types.member import Member, any_member
from gql.api.types.member_connection import MemberConnection
from gql.api.types.member_filter import MemberFilter, MemberSort
from gql.api.types.node import Node
from gql.api.types.role import Role
from gql.api.types.session import Session
from gql.api.types.settings import RegistrationSettings, settings_from_domain
from gql.domain import access, api_keys, badges, events, external_providers, members, roles, sessions, settings_store
from gql.domain.caller import CallerKind
from gql.domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from gql.domain.permissions import Permission

First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page forward: this many items (0 to {MAX_PAGE_SIZE}; null means {DEFAULT_PAGE_SIZE}). "
        "Ignored when `last` is given."
    ),
]
After = Annotated[str | None, strawberry.argument(description="Page forward from this cursor (`pageInfo.endCursor`).")]
Last = Annotated[int | None, strawberry.argument(description=f"Page backward: this many items (0 to {MAX_PAGE_SIZE}).")]
Before = Annotated[
    str | None, strawberry.argument(description="Page backward from this cursor (`pageInfo.startCursor`).")
]
MAX_NODES = MAX_PAGE_SIZE


@strawberry.type
class Queries:
    @strawberry.field(description="The signed-in member (Authorization: Bearer), or null.")
    async def current_member(self, info: Info[Context, None]) -> Member | None:
        member = await members.current_member(await info.context.caller())
        return Member.from_domain(member) if member else None

    @strawberry.field(
        description="A member by id as the caller may see it; null when it does not exist or is hidden from the caller "
        "(the two look alike)."
    )
    async def member(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The member's id.")],
    ) -> AnyMember | None:
        view = await members.get_member(await info.context.caller(), str(id))
        return any_member(view) if view else None

    @strawberry.field(
        description="Members the caller may see, a page at a time. Null, with an error carrying extensions.code, "
        "for a bad cursor or page size (3209) or emailPrefix without the backend key (3029); the rest of the "
        "response stays."
    )
    async def members(
        self,
        info: Info[Context, None],
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[MemberFilter | None, strawberry.argument(description="Narrow the listing.")] = None,
        sort: Annotated[
            MemberSort | None, strawberry.argument(description="The order (default: oldest first).")
        ] = None,
    ) -> MemberConnection | None:
        page = await members.list_members(
            await info.context.caller(),
            info.context.services.cursors,
            PageRequest(first=first, after=after, last=last, before=before),
            (filter or MemberFilter()).to_domain(),
            (sort or MemberSort()).to_domain(),
        )
        return MemberConnection.from_domain(page)

    @strawberry.field(description="Backend only (null with error 3029 otherwise). How registration works.")
    async def registration_settings(self, info: Info[Context, None]) -> RegistrationSettings | None:  # type: ignore[valid-type]
        context = info.context
        return settings_from_domain(
            await settings_store.read_registration_settings(context.services, await context.caller())
        )

    @strawberry.field(
        description="Backend only. A member's audit trail, oldest first (`last` for the newest). Null, with an error "
        "carrying extensions.code, when refused (3029) or for a bad cursor or page size (3209)."
    )
    async def member_events(
        self,
        info: Info[Context, None],
        member_id: Annotated[strawberry.ID, strawberry.argument(description="The member whose events to list.")],
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MemberEventConnection | None:
        page = await events.list_events(
            await info.context.caller(),
            info.context.services.cursors,
            str(member_id),
            PageRequest(first=first, after=after, last=last, before=before),
        )
        return MemberEventConnection.from_domain(page)

    @strawberry.field(
        description="Every role, built-in ones first (Wix getRoles; Backendless roles). For any signed-in member or "
        "backend key (3028 otherwise)."
    )
    async def roles(self, info: Info[Context, None]) -> list[Role]:
        return [Role.from_domain(role) for role in await roles.list_roles(await info.context.caller())]

    @strawberry.field(
        description="The external sign-in providers (anyone: name and display name; holders of SETTINGS_MANAGE, "
        "the backend: their settings too, never the client secret)."
    )
    async def external_providers(self, info: Info[Context, None]) -> list[ExternalProvider]:
        full = await access.can(await info.context.caller(), Permission.SETTINGS_MANAGE)
        return [ExternalProvider.from_domain(p, full) for p in await external_providers.list_providers()]

    @strawberry.field(description="Every badge (public, as on Wix).")
    async def badges(self, info: Info[Context, None]) -> list[Badge]:
        return [Badge.from_domain(badge) for badge in await badges.list_badges()]

    @strawberry.field(description="A badge by id, or null.")
    async def badge(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The badge's id.")],
    ) -> Badge | None:
        found = await badges.get_badge(str(id))
        return Badge.from_domain(found) if found else None

    @strawberry.field(description="API_KEYS_MANAGE. The scoped API keys (never their secrets), oldest first.")
    async def api_keys(self, info: Info[Context, None]) -> list[ApiKey] | None:
        return [ApiKey.from_domain(key) for key in await api_keys.list_api_keys(await info.context.caller())]

    @strawberry.field(description="Any object by its id, as the caller may see it; null when absent or hidden.")
    async def node(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, strawberry.argument(description="A UUID.")]
    ) -> Node | None:
        found = await _nodes(info, [str(id)])
        return found[0]

    @strawberry.field(
        description=f"Objects by their ids (at most {MAX_NODES}), in the order asked; null for each absent or hidden one."
    )
    async def nodes(
        self,
        info: Info[Context, None],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="UUIDs.")],
    ) -> list[Node | None]:
        return await _nodes(info, [str(i) for i in ids])


async def _nodes(info: Info[Context, None], ids: list[str]) -> list[Node | None]:
    caller = await info.context.caller()
    views = await members.get_members(caller, ids)
    found: list[Node | None] = [any_member(view) if view is not None else None for view in views]
    missing = [i for i, node in enumerate(found) if node is None]
    if missing and await events.may_read(caller):
        records = await events.get_events(caller, [ids[i] for i in missing])
        for i, event in zip(missing, records, strict=True):
            found[i] = MemberEvent.from_domain(event) if event is not None else None
    missing = [i for i, node in enumerate(found) if node is None]
    if missing:
        services = info.context.services
        for i, session in zip(
            missing, await sessions.get_sessions(services, caller, [ids[i] for i in missing]), strict=True
        ):
            found[i] = Session.from_domain(session, current=str(session.id) == caller.session_id) if session else None
    missing = [i for i, node in enumerate(found) if node is None]
    if missing:
        wanted = {ids[i] for i in missing}
        others: dict[str, Node] = {
            str(b.id): Badge.from_domain(b) for b in await badges.list_badges() if str(b.id) in wanted
        }
        if caller.kind is not CallerKind.ANONYMOUS:
            others |= {str(r.id): Role.from_domain(r) for r in await roles.list_roles(caller) if str(r.id) in wanted}
        for i in missing:
            found[i] = others.get(ids[i])
    return found
