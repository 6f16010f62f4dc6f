"""graphql-core's executor, with a short road for the plain fields of the schema's types (issue 18).

Most fields an answer holds are plain: a value read from an attribute of the Strawberry object
its parent resolved — a scalar or an enum (``cursor``, ``loginEmail``, ``status`` …: 11 of the 14
fields of each edge of the benchmark's members page) or an object (a member's ``profile`` and
``contact``: 2 more). graphql-core runs every field alike: it builds a ``GraphQLResolveInfo`` (16
values), the node list and a resolver call through Strawberry's wrappers, asks twice whether the
result is awaitable and walks ``complete_value``'s type dispatch, about 3 µs for an attribute
read. For a plain leaf this reads the attribute and coerces it as ``complete_leaf_value`` does;
for a plain object it reads the attribute and executes its sub-selection as
``complete_object_value`` does, with ``execute_field``'s error handling around it.

Plain means what Strawberry itself calls a basic field (no resolver, no field extension, no
permission class: Strawberry's resolver for it reads the attribute with the config's default
resolver, ``getattr``, and nothing else) whose type is a scalar, an enum, or an object type that
checks no ``is_type_of`` (which would want the resolve info), null or not, and that no middleware
wraps. Lists and abstract types (their ``resolve_type`` reads the info) keep graphql-core's
road. Anything unusual — a null (the spec's null rules and their error), an attribute missing,
an awaitable, a value the scalar refuses — takes graphql-core's own road from the start, which
gives the same answer or the same located error as before: the short road never answers
differently, it only answers sooner when nothing can go wrong. (An exception handler, were one
configured, could only see what the read raised; a missing attribute takes the long road.)
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


class _Leaf(NamedTuple):
    attribute: str  # the Python attribute the field reads
    type: GraphQLLeafType  # its scalar or enum, without the non-null wrapper


class _Object(NamedTuple):
    attribute: str
    type: GraphQLObjectType  # without the non-null wrapper
    declared: GraphQLOutputType  # with it: an error in a non-null field reaches its parent


PlainFields = dict[str, dict[str, _Leaf | _Object]]  # object type name → field name → how to read it


def plain_fields(schema: GraphQLSchema) -> PlainFields:
    """Every plain field of the schema's object types (see the module's docstring)."""
    found: PlainFields = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (
                definition is None
                or not definition.is_basic_field  # a resolver, or an extension (permission classes are one)
                or definition.default_resolver is not getattr
                or field.args
            ):
                continue
            nullable = get_nullable_type(field.type)
            if is_leaf_type(nullable):
                found.setdefault(type_.name, {})[name] = _Leaf(definition.python_name, nullable)
            elif isinstance(nullable, GraphQLObjectType) and nullable.is_type_of is None:
                found.setdefault(type_.name, {})[name] = _Object(definition.python_name, nullable, field.type)
    return found


class PlainFieldExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context; ``for_schema`` gives the subclass that knows a schema's plain fields."""

    plain: PlainFields = {}

    @classmethod
    def for_schema(cls, schema: GraphQLSchema) -> type[PlainFieldExecution]:
        return type(cls.__name__, (cls,), {"plain": plain_fields(schema)})

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
            fields = self.plain.get(parent_type.name)
            if fields is not None:
                field = fields.get(field_details_list[0].node.name.value)
                if field is not None:
                    value = getattr(source, field.attribute, None)
                    if value is not None and not isinstance(value, BaseException):
                        if isinstance(field, _Leaf):
                            try:
                                coerced = field.type.coerce_output_value(value)
                            except Exception:  # noqa: BLE001 — graphql-core's road gives the located error
                                coerced = None
                            if coerced is not None and coerced is not Undefined:
                                return coerced
                        elif not self.is_awaitable(value):
                            return self._object(field, value, field_details_list, path, position_context)
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _object(
        self, field: _Object, value: Any, field_details_list: FieldDetailsList, path: Path, position_context: Any
    ) -> Any:
        """``execute_field``'s completion of a non-null object value: an error in its sub-selection
        nulls the field, or its parent when the field is non-null, located at the field."""
        try:
            completed = self.collect_and_execute_subfields(
                field.type, field_details_list, path, value, position_context
            )
        except Exception as error:  # noqa: BLE001 — handled as graphql-core handles it
            self.handle_field_error(error, field.declared, field_details_list, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def awaited() -> Any:
            try:
                return await completed
            except Exception as error:  # noqa: BLE001 — as above
                self.handle_field_error(error, field.declared, field_details_list, path)
                return None

        return awaited()


def _probe(*_: Any, **__: Any) -> None:
    """A resolver that a middleware manager hands back as it is only when it holds no middleware."""
