"""Abuse limits of the GraphQL layer: coded document limits, list lengths, hidden suggestions.

Per-address rate limits are not here: the domain operations take their tokens themselves
(``gql/domain/ratelimit.py``), so the HTML pages and the API share them; ``ErrorsAsData``
turns a refusal into the field's ``RateLimitedError`` and sets ``Retry-After``.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, ListValueNode, ValidationContext, ValidationRule

from gql.domain.errors import ErrorCode

# --- document limits ---------------------------------------------------------------------


def coded(rule: type[ValidationRule], code: ErrorCode) -> type[ValidationRule]:
    """``rule`` whose errors carry ``extensions.code``.

    Strawberry's depth and alias validators measure the whole document when they are
    created and report to the validation context from their ``__init__``; the errors they
    report while being created are the ones coded here (built once, like the rules)."""

    class Coded(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            report = context.on_error

            def with_code(error: GraphQLError) -> None:
                error.extensions = {**(error.extensions or {}), **code.extensions()}
                report(error)

            context.on_error = with_code
            try:
                super().__init__(context)
            finally:
                context.on_error = report

    Coded.__name__ = Coded.__qualname__ = f"Coded{rule.__name__}"
    return Coded


# --- list lengths ------------------------------------------------------------------------


def list_length_rule(max_items: int) -> type[ValidationRule]:
    """Refuse list literals longer than ``max_items`` in the document (built once)."""

    class ListLengthRule(ValidationRule):
        def enter_list_value(self, node: ListValueNode, *_args: Any) -> None:
            if len(node.values) > max_items:
                self.report_error(
                    GraphQLError(
                        f"A list argument may hold at most {max_items} items.",
                        node,
                        extensions=ErrorCode.INVALID_ARGUMENT.extensions(),
                    )
                )

    return ListLengthRule


def longest_list(value: Any, depth: int = 0) -> int:
    """The length of the longest list anywhere in ``value`` (variables), to 20 levels deep."""
    if depth > 20:
        return 0
    if isinstance(value, list):
        return max([len(value), *(longest_list(v, depth + 1) for v in value)])
    if isinstance(value, dict):
        return max([0, *(longest_list(v, depth + 1) for v in value.values())])
    return 0


# --- suggestions ------------------------------------------------------------------------

_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)


def hide_suggestions(result: object) -> None:
    """With introspection off, "Did you mean …?" hints would leak the schema: drop them."""
    for error in getattr(result, "errors", None) or ():
        if "Did you mean" in error.message:
            error.message = _SUGGESTION.sub("", error.message)
            error.args = (error.message, *error.args[1:])
