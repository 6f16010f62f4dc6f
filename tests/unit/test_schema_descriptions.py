"""Every type, field, argument, input field and enum value of the schema has a description
(graphql-schema-linter's description rules), so the Docs panel and generated clients explain
everything."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)

from gql.schema import build_schema


def undescribed(schema: GraphQLSchema) -> list[str]:
    missing: list[str] = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not (kind.description or "").strip():
            missing.append(name)
        if isinstance(kind, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in kind.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if not (arg.description or "").strip():
                        missing.append(f"{name}.{field_name}({arg_name})")
        elif isinstance(kind, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in kind.fields.items() if not (field.description or "").strip()]
        elif isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not (value.description or "").strip()]
        elif isinstance(kind, GraphQLUnionType):
            pass  # its own description is checked above
    return missing


def test_everything_in_the_schema_is_described() -> None:
    missing = undescribed(build_schema()._schema)
    assert not missing, f"{len(missing)} schema elements have no description: {', '.join(missing)}"


def test_the_check_finds_a_missing_description() -> None:
    from graphql import build_schema as parse_sdl

    schema = parse_sdl('"""Root."""\ntype Query { """A field."""\n x(y: Int): Int }')
    assert undescribed(schema) == ["Query.x(y)"]
