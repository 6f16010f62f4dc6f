"""The executor's short road for plain fields (gql/api/execution.py): same answers, fewer steps."""

from __future__ import annotations

import asyncio
import enum
import json
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.api.execution import PlainFieldExecution, plain_fields
from gql.schema import build_schema


@strawberry.enum
class Kind(enum.Enum):
    SMALL = "small"
    LARGE = "large"


class Nobody(BasePermission):
    message = "nobody"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Part:
    label: str

    @strawberry.field
    async def later(self) -> str:  # a sub-selection that completes later (and may fail then)
        if self.label == "boom":
            raise ValueError("boom later")
        return self.label * 2


@strawberry.type
class Thing:
    name: str
    count: int | None
    kind: Kind
    part: Part
    secret: str = strawberry.field(permission_classes=[Nobody], default="hidden")
    spare: Part | None = None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


@strawberry.type
class Query:
    things: list[Thing | None]  # a broken item is null on its own, the others still answered


class Raw:
    """A source the type did not build: fields missing or of the wrong type, as a buggy resolver might."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


PART = Part(label="p")
THINGS = [
    Thing(name="a", count=1, kind=Kind.SMALL, part=PART),
    Thing(name="b", count=None, kind=Kind.LARGE, part=PART, spare=Part(label="boom")),  # fails once awaited
    Raw(name=None, count=1, kind=Kind.SMALL, part=PART, spare=None),  # null in a String!
    Raw(name="d", count=2**40, kind=Kind.SMALL, part=PART, spare=PART),  # an Int out of range
    Raw(name="e", count=1, kind="tiny", part=PART, spare=None),  # not a Kind
    Raw(count=1, kind=Kind.SMALL, part=PART, spare=None),  # no name at all
    Raw(name="g", count=1.5, kind=Kind.SMALL, part=PART, spare=None),  # 1.5 is not an Int
    Raw(name="h", count=1, kind=Kind.SMALL, part=None, spare=None),  # null in a Part!
    Raw(name="i", count=1, kind=Kind.SMALL, part=Raw(label=None), spare=Raw(label=None)),  # null inside them
    Raw(name="j", count=1, kind=Kind.SMALL, part=PART, spare=Raw(label=None)),  # only spare is lost
]
DOCUMENT = "{ things { name count kind shout(times: 2) alias: name part { label later } spare { label later } } }"
EXPECTED_ERRORS = {  # (message start, path): what graphql-core's own road answers for THINGS
    ("boom later", ("things", 1, "spare", "later")),
    ("Cannot return null for non-nullable field Thing.name.", ("things", 2, "name")),
    ("Int cannot represent non 32-bit signed integer value", ("things", 3, "count")),
    ("Enum 'Kind' cannot represent value", ("things", 4, "kind")),
    ("'Raw' object has no attribute 'name'", ("things", 5, "name")),
    ("Int cannot represent non-integer value", ("things", 6, "count")),
    ("Cannot return null for non-nullable field Thing.part.", ("things", 7, "part")),
    ("Cannot return null for non-nullable field Part.label.", ("things", 8, "part", "label")),
    ("Cannot return null for non-nullable field Part.label.", ("things", 9, "spare", "label")),
}


def _run(schema: strawberry.Schema, document: str = DOCUMENT) -> dict[str, Any]:
    result = asyncio.run(schema.execute(document, root_value=Query(things=THINGS)))  # type: ignore[arg-type]
    return {"data": result.data, "errors": sorted((e.message, tuple(e.path or ())) for e in result.errors or ())}


def _schemas(*extensions: Any) -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(query=Query, extensions=extensions)
    short = strawberry.Schema(query=Query, extensions=extensions)
    short.execution_context_class = PlainFieldExecution.for_schema(short._schema)
    return plain, short


def test_only_strawberrys_basic_scalar_enum_and_object_fields_are_plain() -> None:
    plain, _ = _schemas()
    types = plain._schema.type_map
    assert plain_fields(plain._schema) == {
        "Thing": {
            "name": ("name", types["String"]),
            "count": ("count", types["Int"]),
            "kind": ("kind", types["Kind"]),
            "part": (
                "part",
                types["Part"],
                plain._schema.query_type.fields["things"].type.of_type.of_type.fields["part"].type,
            ),
            "spare": ("spare", types["Part"], types["Part"]),
        },
        "Part": {"label": ("label", types["String"])},
    }  # not: a field with a permission class, a resolver (with arguments or async), the list of objects


def test_the_short_road_answers_as_graphql_core_does_errors_and_nulls_included(monkeypatch: Any) -> None:
    plain, short = _schemas()
    expected = _run(plain)
    for start, path in EXPECTED_ERRORS:  # the sources above do break each rule
        assert any(message.startswith(start) and where == path for message, where in expected["errors"]), start

    long_road: list[str] = []
    real = StrawberryGraphQLCoreExecutionContext.execute_field

    def counted(self: Any, parent_type: Any, source: Any, fields: Any, *args: Any) -> Any:
        long_road.append(f"{parent_type.name}.{fields[0].node.name.value}")
        return real(self, parent_type, source, fields, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
    assert _run(short) == expected
    # The well-formed values took the short road; the rest, and what is not plain, did not.
    # shout comes after name and kind: three things are nulled before it (a null name, no name, a bad kind).
    assert long_road.count("Thing.shout") == len(THINGS) - 3
    leaves_read = [f"Thing.{name}" for name in ("name", "alias", "count", "kind")]
    assert 0 < sum(map(long_road.count, leaves_read)) < 4 * len(THINGS)
    # Seven things still stand at part (0, 1, 3, 6, 7, 8, 9): only 7's null took the long road. Its
    # null and 8's null label end those two; of the five reaching spare, the two nulls took it.
    assert long_road.count("Thing.part") == 1 and long_road.count("Thing.spare") == 2
    assert long_road.count("Part.later") == 5 + 2  # an async resolver: each part, and two spares
    assert expected["data"]["things"][9] == {**expected["data"]["things"][0], "name": "j", "alias": "j", "shout": "JJ"}


@pytest.mark.parametrize(
    "document",
    [
        "{ things { part { label } kind spare { label } alias: name count shout } }",  # leaves between the others
        "{ things { count alias: name kind } }",  # leaves only
        "{ things { spare { later label } part { label } } }",
    ],
)
def test_the_short_road_keeps_the_selections_order_and_its_errors(document: str) -> None:
    plain, short = _schemas()
    expected = _run(plain, document)
    assert expected["errors"]  # THINGS break the rules here too
    answered = _run(short, document)
    assert answered == expected
    # The same keys in the same order (a dict compares equal whatever its order; JSON does not).
    assert json.dumps(answered["data"]) == json.dumps(expected["data"])


def test_a_permission_class_is_never_skipped() -> None:
    plain, short = _schemas()
    document = "{ things { secret } }"
    assert _run(short, document) == _run(plain, document)
    assert _run(short, document)["errors"] == [("nobody", ("things", n, "secret")) for n in range(len(THINGS))]


def test_a_middleware_sends_every_field_down_graphql_cores_road() -> None:
    class Tally(SchemaExtension):
        seen: list[str] = []

        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            Tally.seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    plain, short = _schemas(Tally)
    document = "{ things { name kind } }"
    expected = _run(plain, document)
    by_plain, Tally.seen = Tally.seen, []
    assert _run(short, document) == expected
    assert Tally.seen == by_plain and Tally.seen.count("name") == len(THINGS)


@pytest.mark.parametrize(
    ("type_name", "field"), [("Member", "loginEmail"), ("Contact", "customFields"), ("Member", "contact")]
)
def test_the_members_schema_reads_its_plain_fields_by_the_short_road(type_name: str, field: str) -> None:
    schema = build_schema()
    plain = schema.execution_context_class.plain  # type: ignore[attr-defined]
    assert field in plain[type_name]
    assert "roles" not in plain["Member"]  # a resolver
    assert "node" not in plain["MemberEdge"]  # an interface: its resolve_type wants the info
