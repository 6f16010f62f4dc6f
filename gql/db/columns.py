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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tortoise.models import Model
from tortoise.queryset import QuerySet

_Convert = Callable[[Any], Any]
_Converters = tuple[list[tuple[str, _Convert]], list[tuple[str, list[tuple[str, str, _Convert]]]]]


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

    def _convert(self) -> _Converters:
        """Each value converted by its own field, as a model instance's would be (made at first use:
        a relation's model is known once Tortoise has started)."""
        if self._converters is None:
            fields = self.model._meta.fields_map
            own = [(name, fields[name].to_python_value) for name in self.names]
            joined = []
            for relation, names in self.related.items():
                target: type[Model] = fields[relation].related_model  # type: ignore[attr-defined]
                targets = target._meta.fields_map
                joined.append(
                    (relation, [(f"{relation}__{name}", name, targets[name].to_python_value) for name in names])
                )
            self._converters = (own, joined)
        return self._converters

    async def read(self, query: QuerySet[Any]) -> list[Row]:
        db = self.model._meta.db
        chosen = query.using_db(db).values(*self._selected)
        chosen._make_query()  # the SQL Tortoise would run for ``await chosen``
        sql, parameters = chosen.query.get_parameterized_sql()
        own, joined = self._convert()
        rows = []
        for found in await db.execute_query_dict(sql, parameters):
            values = {name: convert(found[name]) for name, convert in own}
            for relation, columns in joined:
                values[relation] = Row({name: convert(found[key]) for key, name, convert in columns})
            rows.append(Row(values))
        return rows
