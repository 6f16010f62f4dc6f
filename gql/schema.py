"""The root types, and the one function that builds the schema."""

from __future__ import annotations

import json
from typing import Any

import strawberry
from graphql import is_abstract_type
from strawberry.schema.config import StrawberryConfig

from gql.api.errors import ERROR_TYPES
from gql.api.execution import PlainFieldExecution
from gql.api.extensions import build_extensions
from gql.api.mutations.access import AccessMutations
from gql.api.mutations.approval import ApprovalMutations
from gql.api.mutations.confirmation import ConfirmationMutations
from gql.api.mutations.external import ExternalMutations
from gql.api.mutations.members import MemberMutations
from gql.api.mutations.parity import ParityMutations
from gql.api.mutations.passkeys import PasskeyMutations
from gql.api.mutations.passwordless import PasswordlessMutations
from gql.api.mutations.passwords import PasswordMutations
from gql.api.mutations.registration import RegistrationMutations
from gql.api.mutations.second_factors import SecondFactorMutations
from gql.api.mutations.sessions import SessionMutations
from gql.api.mutations.settings import SettingsMutations
from gql.api.queries import Queries
from gql.api.scalars import SCALARS
from gql.api.subscriptions import Subscription
from gql.api.types.member import Member
from gql.api.types.public_member import PublicMember


@strawberry.type(description="What can be read.")
class Query(Queries):
    pass


@strawberry.type(description="What can be changed. Every mutation answers a union of its payload and its error types.")
class Mutation(
    RegistrationMutations,
    SessionMutations,
    ApprovalMutations,
    ConfirmationMutations,
    PasswordMutations,
    MemberMutations,
    SettingsMutations,
    AccessMutations,
    ParityMutations,
    ExternalMutations,
    SecondFactorMutations,
    PasswordlessMutations,
    PasskeyMutations,
):
    pass


def build_schema(max_depth: int = 10, max_aliases: int = 15, **limits: Any) -> strawberry.Schema:
    """``limits``: max_tokens, max_list_items, introspection (see ``build_extensions``)."""
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Every error type is in the schema even where no union lists it yet, and both member
        # fieldsets, so clients and code generators see the whole catalogue.
        types=[*ERROR_TYPES.values(), Member, PublicMember],
        extensions=build_extensions(max_depth, max_aliases, **limits),
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
    )
    # Its plain fields are known once the types are built (gql/api/execution.py).
    schema.execution_context_class = PlainFieldExecution.for_schema(schema._schema)
    return schema


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"


def possible_types() -> dict[str, list[str]]:
    """Every union and interface with the object types it may be: Apollo Client's ``possibleTypes``
    (its InMemoryCache matches ``... on Error`` and ``... on AnyMember`` fragments only with it)."""
    schema = build_schema()._schema
    abstract = [t for t in schema.type_map.values() if is_abstract_type(t) and not t.name.startswith("__")]
    return {
        t.name: sorted(o.name for o in schema.get_possible_types(t)) for t in sorted(abstract, key=lambda t: t.name)
    }


def possible_types_json() -> str:
    return json.dumps(possible_types(), indent=2) + "\n"
