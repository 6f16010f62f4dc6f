"""Some columns of a queryset's rows, read as plain values instead of model instances.

A listing needs a dozen columns of each row and of the row it JOINs; Tortoise's ``await query``
makes a model instance of every column of both tables (41 for a member and its contact) and
``.values()`` wraps each value in several calls of its own. For a members page of 20 that was
1.2 ms of the page's 3.8 ms (issue 18's profile); reading the chosen columns with the query's
own SQL and converting each with its field, as the model would, takes a third of it. Secrets
the listing has no use for (password hashes, token ids) are not even read.

The queryset keeps everything that makes the SQL (filters, ordering, limit); the columns only
choose what comes back. A ``Row`` has the columns as attributes (a related row under the
relation's name, ``row.contact.first_name``) and ``pk``, so code that reads a model's fields
reads a row alike; a column not chosen is an ``AttributeError``, never a silent default.

Choosing the columns is most of what Tortoise's builder costs: rendering the queryset's own
SQL takes 0.12 ms, its ``values()`` SQL 0.65 ms (36 columns, each resolved, the JOIN found, the
query copied at each step). The chosen SQL is remembered by the queryset's own SQL, which holds
every filter, order and limit with the values as parameters: the same text, the same shape, so
the same chosen SQL with the same parameters. That is checked when a shape is first seen (the
two builds must have equal parameters, or nothing is remembered), and each answer's column
names (its first row's) are checked against the chosen ones before any value is read by position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise.models import Model
from tortoise.queryset import QuerySet

_Convert = Callable[[Any], Any]
# Own columns (name, position, converter); related ones (relation, [(name, position, converter)]).
_Converters = tuple[list[tuple[str, int, _Convert]], list[tuple[str, list[tuple[str, int, _Convert]]]]]

# Query shapes remembered per Columns: a listing has a few dozen (filters × sort × direction).
# Past this the rest are built each time; an inlined value (none today) could not grow it for ever.
SHAPES = 256


class Row:
    """Chosen columns of one row (see the module's docstring)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__ = values

    @property
    def pk(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"Row({self.__dict__!r})"


class Columns:
    """``names`` of ``model``, and for each relation in ``related`` (one row each, by JOIN) its ``names``."""

    def __init__(self, model: type[Model], names: tuple[str, ...], **related: tuple[str, ...]) -> None:
        self.model = model
        self.names = names
        self.related = related
        self._selected = (*names, *(f"{relation}__{name}" for relation, columns in related.items() for name in columns))
        self._converters: _Converters | None = None
        self._chosen: dict[tuple[str, str], str] = {}  # (dialect, the queryset's SQL) → the chosen SQL

    def _convert(self) -> _Converters:
        """Each value converted by its own field, as a model instance's would be (made at first use:
        a relation's model is known once Tortoise has started)."""
        if self._converters is None:
            fields = self.model._meta.fields_map
            position = iter(range(len(self._selected)))  # the SELECT's order: ``_selected``'s
            own = [(name, next(position), fields[name].to_python_value) for name in self.names]
            joined = []
            for relation, names in self.related.items():
                target: type[Model] = fields[relation].related_model  # type: ignore[attr-defined]
                targets = target._meta.fields_map
                joined.append((relation, [(name, next(position), targets[name].to_python_value) for name in names]))
            self._converters = (own, joined)
        return self._converters

    def statement(self, query: QuerySet[Any]) -> tuple[str, list[Any]]:
        """The SQL and parameters Tortoise would run for ``await query.values(*chosen)``."""
        db = self.model._meta.db
        query = query.using_db(db)
        query._make_query()  # the queryset's own SQL (all its model's columns): the shape's key
        shape, parameters = query.query.get_parameterized_sql()
        key = (db.capabilities.dialect, shape)
        sql = self._chosen.get(key)
        if sql is not None:
            return sql, parameters
        chosen = query.values(*self._selected)
        chosen._make_query()
        sql, chosen_parameters = chosen.query.get_parameterized_sql()
        if chosen_parameters == parameters and len(self._chosen) < SHAPES:
            self._chosen[key] = sql
        return sql, chosen_parameters

    async def read(self, query: QuerySet[Any]) -> list[Row]:
        sql, parameters = self.statement(query)
        _, found = await self.model._meta.db.execute_query(sql, parameters)
        if found and tuple(found[0].keys()) != self._selected:  # positions below are ``_selected``'s
            raise RuntimeError(f"{self.model.__name__} listing: columns {tuple(found[0].keys())}, not {self._selected}")
        own, joined = self._convert()
        rows = []
        for values in found:
            row = {name: convert(values[at]) for name, at, convert in own}
            for relation, columns in joined:
                row[relation] = Row({name: convert(values[at]) for name, at, convert in columns})
            rows.append(Row(row))
        return rows
