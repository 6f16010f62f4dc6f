"""SELECTs of the hot paths, built by Tortoise's query builder once per database instead of per call.

Building a query is most of what a short read costs: resolving the filters, joining a
``select_related`` table and rendering the SQL took 60 % of a Bearer request's CPU and the
member lookup of a login 1.2 ms (issue 18's profile, BENCHMARKS.md). A ``Prepared`` query is
declared as the queryset it replaces — the same filters, the same ``Q`` rules (who may hold a
session, say) — with its arguments as named parameters. On first use against a database it
builds that queryset once with a distinctive sample for each argument, keeps the SQL and
finds the position of each sample among the statement's parameters; every later call puts
its own values (converted by the same field, as the filter converts them) in those
positions and hands the SQL to Tortoise's executor, which makes the model instances (and
the ``select_related`` one) exactly as the queryset would.

Arguments are scalars (UUID, datetime, int, text) compared by equality or order; what changes
the SQL's shape is not one: ``None`` (the builder says ``IS NULL``) is refused at the call, and
a list for ``__in`` is prepared once per length, each item an argument of its own
(gql/domain/roles.py). A sample that does not come out as one of the parameters (an argument
the builder inlines, or converts some other way) fails the preparation, loudly, at its
first use.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import CharField, DatetimeField, Field, IntField, TextField, UUIDField
from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)


def _sample(field: Field, n: int) -> Any:
    """A value of ``field``'s type that no real call and no other argument would send."""
    if isinstance(field, UUIDField):
        return uuid.UUID(int=0x5A3D_0000_0000_4000_8000_0000_0000_0000 + n)
    if isinstance(field, DatetimeField):
        return datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC) + timedelta(microseconds=n + 1)
    if isinstance(field, IntField):
        return -987_654_321 - n
    if isinstance(field, (CharField, TextField)):
        return f"\x00prepared-sample-{n}\x00"
    raise TypeError(f"no sample for a {type(field).__name__}: prepare only UUID, datetime, int and text arguments")


@dataclass(frozen=True)
class _Argument:
    name: str
    model: type[Model]
    field: Field
    positions: tuple[int, ...]  # where its value goes among the statement's parameters


@dataclass(frozen=True)
class _Plan:
    sql: str
    values: tuple[Any, ...]  # the statement's parameters as built: its constants, and the samples
    arguments: tuple[_Argument, ...]
    select_related_idx: tuple[Any, ...]


class Prepared(Generic[M]):
    """A ``model`` queryset, ``build(**arguments)``, whose SQL is built once per database."""

    def __init__(self, model: type[M], build: Callable[..., QuerySet[M]], **arguments: str) -> None:
        """``arguments``: each argument's name → the field whose conversion its value gets, as the
        filter converts it: a field of ``model``, or of a related one ("member__status")."""
        self.model = model
        self.build = build
        self.arguments = arguments
        self._plans: dict[str, _Plan] = {}  # by SQL dialect: each renders its own placeholders

    def _field(self, path: str) -> tuple[type[Model], Field]:
        model: type[Model] = self.model
        *relations, name = path.split("__")
        for relation in relations:
            model = model._meta.fields_map[relation].related_model  # type: ignore[attr-defined]
        return model, model._meta.fields_map[name]

    def _plan(self, connection: BaseDBAsyncClient) -> _Plan:
        dialect = connection.capabilities.dialect
        plan = self._plans.get(dialect)
        if plan is not None:
            return plan
        fields = {name: self._field(path) for name, path in self.arguments.items()}
        samples = {name: _sample(field, n) for n, (name, (_, field)) in enumerate(fields.items())}
        query = self.build(**samples).using_db(connection)
        query._make_query()
        sql, values = query.query.get_parameterized_sql()
        arguments = []
        for name, (model, field) in fields.items():
            converted = field.to_db_value(samples[name], model)
            found = tuple(i for i, value in enumerate(values) if type(value) is type(converted) and value == converted)
            if not found:
                raise TypeError(f"{self.model.__name__}: argument {name!r} is not one of the statement's parameters")
            arguments.append(_Argument(name, model, field, found))
        plan = _Plan(sql, tuple(values), tuple(arguments), tuple(query._select_related_idx))
        self._plans[dialect] = plan
        return plan

    async def all(self, connection: BaseDBAsyncClient | None = None, **arguments: Any) -> list[M]:
        db = connection or self.model._meta.db
        plan = self._plan(db)
        values = list(plan.values)
        for argument in plan.arguments:
            value = arguments[argument.name]
            if value is None:
                # The builder says "IS NULL" for None; "= NULL" would match nothing.
                raise TypeError(f"{self.model.__name__}: argument {argument.name!r} is None")
            converted = argument.field.to_db_value(value, argument.model)
            for position in argument.positions:
                values[position] = converted
        executor = db.executor_class(
            model=self.model,
            db=db,
            prefetch_map={},
            prefetch_queries={},
            select_related_idx=list(plan.select_related_idx),
        )
        return await executor.execute_select(plan.sql, values)

    async def first(self, connection: BaseDBAsyncClient | None = None, **arguments: Any) -> M | None:
        """The first row (declare the queryset with ``.limit(1)``), or None."""
        rows = await self.all(connection, **arguments)
        return rows[0] if rows else None
