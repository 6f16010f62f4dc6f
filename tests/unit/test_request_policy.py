"""The error policy of ``RequestPolicy`` after an operation and on each streamed result.

The HTTP paths are covered end to end (tests/attack/test_logs_and_errors.py and the others);
these drive the hooks directly, for what HTTP cannot reach: a subscription's streamed results,
each masked once, and the result of the operation after them left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLError

from gql.api.extensions import Limits, RequestPolicy
from gql.domain.errors import DomainError, ErrorCode


def _policy(hide_suggestions: bool = False) -> tuple[RequestPolicy, SimpleNamespace]:
    policy = RequestPolicy(Limits((), max_tokens=1000, max_list_items=100, hide_suggestions=hide_suggestions))
    context = SimpleNamespace(result=None, parse_options={}, validation_rules=())
    policy.execution_context = context  # type: ignore[assignment]
    return policy, context


def _finish(hook: Iterator[None]) -> None:
    with pytest.raises(StopIteration):
        next(hook)


def _errors() -> list[GraphQLError]:
    return [
        GraphQLError("boom: secret detail", path=["currentMember"], original_error=RuntimeError("secret detail")),
        GraphQLError("3029: not allowed", original_error=DomainError(ErrorCode.NOT_ALLOWED)),
        GraphQLError("Cannot query field 'nam'. Did you mean 'name'?"),
    ]


def test_an_operation_result_is_masked_coded_and_stripped_of_suggestions(caplog: Any) -> None:
    policy, context = _policy(hide_suggestions=True)
    operation = policy.on_operation()
    next(operation)
    assert context.parse_options == {"max_tokens": 1000}
    context.result = SimpleNamespace(data=None, errors=_errors())
    with caplog.at_level(logging.ERROR, logger="gql.errors"):
        _finish(operation)
    unexpected, refused, suggested = context.result.errors
    assert unexpected.message == "Unexpected error." and unexpected.path == ["currentMember"]
    assert set(unexpected.extensions) == {"requestId"} and unexpected.original_error is None
    assert unexpected.extensions["requestId"] in caplog.text  # the log has the id and the cause
    assert refused.extensions["code"] == int(ErrorCode.NOT_ALLOWED)
    assert suggested.message == "Cannot query field 'nam'."


def test_suggestions_stay_where_introspection_is_on() -> None:
    policy, context = _policy(hide_suggestions=False)
    operation = policy.on_operation()
    next(operation)
    context.result = SimpleNamespace(data=None, errors=_errors()[2:])
    _finish(operation)
    assert context.result.errors[0].message.endswith("Did you mean 'name'?")


def test_each_streamed_result_is_masked_once(caplog: Any) -> None:
    policy, context = _policy()
    operation = policy.on_operation()
    next(operation)
    streamed = []
    with caplog.at_level(logging.ERROR, logger="gql.errors"):
        for _ in range(2):
            result = SimpleNamespace(data=None, errors=_errors()[:2], incremental=None, completed=None)
            hook = policy.on_stream_result(result)
            next(hook)
            _finish(hook)
            streamed.append(result)
        context.result = streamed[-1]
        _finish(operation)
    for result in streamed:
        unexpected, refused = result.errors
        assert unexpected.message == "Unexpected error." and "requestId" in unexpected.extensions
        assert refused.extensions["code"] == int(ErrorCode.NOT_ALLOWED)
    # One log line per streamed error: the operation's end did not mask the last result again.
    assert caplog.text.count("unexpected error") == 2
    assert streamed[-1].errors[0].message == "Unexpected error."


def test_validation_is_cached_per_parsed_document_without_hashing_its_tree(monkeypatch: Any) -> None:
    import graphql

    from gql.api import extensions

    schema = graphql.build_schema("type Query { a: Int, b: Int }")
    runs: list[graphql.DocumentNode] = []
    real_validate = extensions.validate_document

    def counted(schema: Any, document: graphql.DocumentNode, rules: Any) -> list[GraphQLError]:
        runs.append(document)
        return real_validate(schema, document, rules)

    def refused(_: object) -> int:
        raise AssertionError("the document's tree was hashed")

    monkeypatch.setattr(extensions, "validate_document", counted)
    monkeypatch.setattr(graphql.DocumentNode, "__hash__", refused)  # a walk over the whole tree, per request
    found = []
    for text in ("{ a }", "{ a }", "{ nope }", "{ nope }"):
        policy, context = _policy()
        context.query, context.schema = text, SimpleNamespace(_schema=schema)
        context.validation_rules = tuple(graphql.specified_rules)
        for hook in (policy.on_parse(), policy.on_validate()):
            next(hook)
            _finish(hook)
        found.append(context.pre_execution_errors)
    assert [document.loc.source.body for document in runs] == ["{ a }", "{ nope }"]  # once per document
    assert found[0] == found[1] == []
    assert found[2] is found[3] and [error.extensions["code"] for error in found[3]] == [3251]
