"""The root types, and the one function that builds the schema."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema.config import StrawberryConfig

from gql.api.extensions import build_extensions
from gql.api.mutations.administration import AdministrationMutations
from gql.api.mutations.approval import ApprovalMutations
from gql.api.mutations.lifecycle import LifecycleMutations
from gql.api.mutations.registration import RegistrationMutations
from gql.api.mutations.sessions import SessionMutations
from gql.api.mutations.settings import SettingsMutations
from gql.api.queries import Queries
from gql.api.scalars import SCALARS


@strawberry.type
class Query(Queries):
    pass


@strawberry.type
class Mutation(
    RegistrationMutations,
    ApprovalMutations,
    SessionMutations,
    SettingsMutations,
    LifecycleMutations,
    AdministrationMutations,
):
    pass


def build_schema(max_depth: int = 10, max_aliases: int = 15, **limits: Any) -> strawberry.Schema:
    """``limits``: max_tokens, max_list_items, introspection (see ``build_extensions``)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=build_extensions(max_depth, max_aliases, **limits),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"
