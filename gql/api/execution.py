"""graphql-core's executor, with a short road for the plain leaf fields of the schema's types (issue 18).

Most fields an answer holds are plain: a scalar or an enum read from an attribute of the
Strawberry object its parent resolved (``cursor``, ``loginEmail``, ``status``, ``createdDate``
…: 11 of the 14 fields of each edge of the benchmark's members page). graphql-core runs every
field alike: it builds a ``GraphQLResolveInfo`` (16 values), the node list and a resolver call
through Strawberry's wrappers, asks twice whether the result is awaitable and walks
``complete_value``'s type dispatch, about 3 µs for an attribute read. For a plain leaf this
reads the attribute and coerces it as ``complete_leaf_value`` does, nothing else.

Plain means what Strawberry itself calls a basic field (no resolver, no field extension, no
permission class: Strawberry's resolver for it reads the attribute with the config's default
resolver, ``getattr``, and nothing else) whose type is a scalar or an enum, null or not, and
that no middleware wraps. Anything unusual — a null (the spec's null rules and their error), an
attribute missing, a value the scalar refuses — takes graphql-core's own road from the start,
which gives the same answer or the same located error as before: the short road never answers
differently, it only answers sooner when nothing can go wrong. (An exception handler, were one
configured, could only see what the read raised; a missing attribute takes the long road.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import GraphQLLeafType, GraphQLObjectType, GraphQLSchema, get_nullable_type, is_leaf_type
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


class _Leaf(NamedTuple):
    attribute: str  # the Python attribute the field reads
    type: GraphQLLeafType  # its scalar or enum, without the non-null wrapper


PlainLeaves = dict[str, dict[str, _Leaf]]  # object type name → field name → leaf


def plain_leaves(schema: GraphQLSchema) -> PlainLeaves:
    """Every plain leaf field of the schema's object types (see the module's docstring)."""
    found: PlainLeaves = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            leaf = get_nullable_type(field.type)
            if (
                definition is not None
                and definition.is_basic_field  # no resolver, no extension (permission classes are one)
                and definition.default_resolver is getattr
                and not field.args
                and is_leaf_type(leaf)
            ):
                found.setdefault(type_.name, {})[name] = _Leaf(definition.python_name, leaf)
    return found


class PlainLeafExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context; ``for_schema`` gives the subclass that knows a schema's leaves."""

    leaves: PlainLeaves = {}

    @classmethod
    def for_schema(cls, schema: GraphQLSchema) -> type[PlainLeafExecution]:
        return type(cls.__name__, (cls,), {"leaves": plain_leaves(schema)})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # A middleware (an extension's ``resolve`` hook) wraps every resolver: then no field is plain.
        self.shortcut = manager is None or manager.get_field_resolver(_probe) is _probe

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        if self.shortcut:
            fields = self.leaves.get(parent_type.name)
            if fields is not None:
                leaf = fields.get(field_details_list[0].node.name.value)
                if leaf is not None:
                    value = getattr(source, leaf.attribute, None)
                    if value is not None and not isinstance(value, BaseException):
                        try:
                            coerced = leaf.type.coerce_output_value(value)
                        except Exception:  # noqa: BLE001 — graphql-core's road gives the located error
                            coerced = None
                        if coerced is not None and coerced is not Undefined:
                            return coerced
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


def _probe(*_: Any, **__: Any) -> None:
    """A resolver that a middleware manager hands back as it is only when it holds no middleware."""
