"""Our scalars, registered with the schema through ``SCALARS`` (StrawberryConfig.scalar_map).

``JSON`` is Strawberry's JSON scalar (same name, description and SDL) except that it refuses
numbers JSON cannot carry. A GraphQL float literal has no upper bound: ``{x: 1e309}`` in a
document parses to ``inf``; stored in customFields it made every later response that shows
it invalid JSON. Request bodies are refused at the HTTP edge (gql/json_input.py); this
catches the document's literals, variable defaults included, and any other caller.
"""

from __future__ import annotations

import math
from typing import Any, NewType

import strawberry
from graphql import GraphQLError, ValueNode, value_from_ast_untyped
from strawberry.types.scalar import ScalarDefinition

from gql.domain.errors import ErrorCode
from gql.json_input import NOT_FINITE

ECMA_404 = "https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf"

JSON = NewType("JSON", object)


def _finite(value: Any, node: ValueNode | None = None) -> Any:
    """``value`` unchanged when every number in it is finite; 3209 otherwise.

    Walked with a stack, not recursion: a value may be nested as deep as its JSON parser allowed.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise GraphQLError(NOT_FINITE, node, extensions=ErrorCode.INVALID_ARGUMENT.extensions())
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value


def _parse_value(value: Any) -> Any:
    return _finite(value)


def _parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    # The error points at the literal in the document (its line and column).
    return _finite(value_from_ast_untyped(node, variables), node)


JSON_DEFINITION: ScalarDefinition = strawberry.scalar(
    name="JSON",
    description=f"The `JSON` scalar type represents JSON values as specified by [ECMA-404]({ECMA_404}).",
    specified_by_url=ECMA_404,
    serialize=lambda value: value,
    parse_value=_parse_value,
    parse_literal=_parse_literal,
)

SCALARS: dict[object, ScalarDefinition] = {JSON: JSON_DEFINITION}
