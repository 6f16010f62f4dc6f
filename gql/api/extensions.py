"""The schema's one extension: document caches and limits, the API-key guard, the error policy.

Strawberry makes each extension afresh for every request and resolves each of its hooks at
every stage, so one class holds all of it (issue 18's profile: seven extensions of one hook
each cost a request more than all their checks did). Its settings are built once per process:
the depth and alias rules in particular are made once, so the validation cache (keyed by the
rule classes) keeps hitting; a limiter built per request would make every request miss
(strawberry#4635).

Every request-level error carries ``extensions.code``: 3250 the document does not parse
(3255 when it is over the token limit), 3251 it does not validate (3253 too deep, 3254 too
many aliases, 3209 a list literal too long), 3252 a variable does not fit its type, 3259 a
subscription over HTTP; the API key guard's are 2002 and 3207, the MFA enrolment guard's 3243. The
same extension runs for the documents a WebSocket subscribes to.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    get_operation_ast,
    parse,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from gql.api.errors import error_extensions, request_error
from gql.api.limits import coded, hide_suggestions, list_length_rule, longest_list
from gql.compression import allow_compression
from gql.db.availability import is_unavailable
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.mfa_policy import ENROLMENT_OPERATIONS, enrolment_error

logger = logging.getLogger("gql.errors")


@dataclass(frozen=True)
class Limits:
    """The document limits, built once per process (``build_extensions``)."""

    rules: tuple[type[ASTValidationRule], ...]  # depth 3253, aliases 3254, list literals 3209, introspection
    max_tokens: int
    max_list_items: int
    hide_suggestions: bool  # introspection is off: "Did you mean …?" would leak the schema


# Parsing and validating a document cost more than running most operations; clients send the
# same few documents again and again. Bounded: every distinct text a stranger sends is a key.
CACHED_DOCUMENTS = 1000
_parse = lru_cache(maxsize=CACHED_DOCUMENTS)(parse)


class _Parsed:
    """A parsed document as a cache key, by identity.

    graphql-core's nodes are frozen dataclasses whose hash walks the whole tree (8 µs for a
    ``member(id)`` document, 15 µs for a members page, at every request); the parse cache hands
    back the same object for the same text, so identity is enough. The key holds the document:
    its id cannot be reused by another one while the entry lives."""

    __slots__ = ("document",)

    def __init__(self, document: DocumentNode) -> None:
        self.document = document

    def __hash__(self) -> int:
        return id(self.document)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Parsed) and other.document is self.document


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _validated(
    schema: GraphQLSchema, parsed: _Parsed, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    return validate_document(schema, parsed.document, rules)


class RequestPolicy(SchemaExtension):
    """The product's rules around each operation. In the order they run:

    - the token limit (3255) and the cached parse (3250);
    - the cached validation with the limit rules (3251, or the rule's own code);
    - ``guard_api_key``: a wrong X-Api-Key refuses the whole request with 2002 (and a wrong-key
      flood from one address, 3207, even with the right key: see there);
    - ``guard_enrolment``: an enrolment-only session runs only the enrolment operations (3243);
    - subscriptions run over the WebSocket only (3259 over HTTP);
    - ``limit_lists``: variables with lists longer than the limit are refused (3209);
    - a query's HTTP response may be compressed, a mutation's never (BREACH, gql/compression.py);

    and afterwards, in each result (those a subscription streams too): suggestions dropped when
    introspection is off, unexpected errors masked (``_is_unexpected``: logged with a request id,
    the message replaced), a variable that does not fit its type coded 3252, request-level domain
    errors given their numeric code. A refusal before execution sets the result, so nothing runs;
    for a subscription, which ignores a result set here, it is raised instead.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.streamed = False

    def on_operation(self) -> Iterator[None]:
        execution_context = self.execution_context
        execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        execution_context.validation_rules = (*execution_context.validation_rules, *self.limits.rules)
        yield
        result = execution_context.result
        if self.limits.hide_suggestions:
            hide_suggestions(result)
        if not self.streamed:  # on_stream_result has masked each streamed result already
            _mask(getattr(result, "initial_result", None) or result)
        _code_domain_errors(result)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        _code_domain_errors(result)
        self.streamed = True
        for part in (
            result,
            *(getattr(result, "incremental", None) or ()),
            *(getattr(result, "completed", None) or ()),
        ):
            _mask(part)
        yield

    def on_parse(self) -> Iterator[None]:
        execution_context = self.execution_context
        try:
            execution_context.graphql_document = _parse(execution_context.query, **execution_context.parse_options)
        except GraphQLSyntaxError as error:
            # Raised from this hook, before anything else sees the error: the code is given here.
            # graphql-core's wording: "Document contains more than N tokens. Parsing aborted."
            over_limit = f"more than {self.limits.max_tokens} tokens" in error.message
            _code(error, ErrorCode.TOO_MANY_TOKENS if over_limit else ErrorCode.GRAPHQL_PARSE_FAILED)
            raise
        yield

    def on_validate(self) -> Iterator[None]:
        execution_context = self.execution_context
        assert execution_context.graphql_document is not None
        execution_context.pre_execution_errors = _validated(
            execution_context.schema._schema,
            _Parsed(execution_context.graphql_document),
            execution_context.validation_rules,
        )
        yield
        for error in execution_context.pre_execution_errors or ():
            _code(error, ErrorCode.GRAPHQL_VALIDATION_FAILED)

    async def on_execute(self) -> AsyncIterator[None]:
        execution_context = self.execution_context
        context = execution_context.context
        request = getattr(context, "request", None)
        await self.guard_api_key(context)
        if execution_context.result is None:
            await self.guard_enrolment(context)
        if execution_context.operation_type is OperationType.SUBSCRIPTION and not isinstance(request, WebSocket):
            raise GraphQLError(
                "Subscriptions are served over WebSocket at this path (graphql-transport-ws), not over HTTP.",
                extensions=ErrorCode.BAD_REQUEST.extensions(),
            )
        if execution_context.result is None:
            self.limit_lists()
        if isinstance(request, Request) and execution_context.operation_type is OperationType.QUERY:
            allow_compression(request)
        yield
        result = execution_context.result
        errors = getattr(result, "errors", None) or []
        # Field errors carry their path; graphql-core's variable coercion errors do not.
        if getattr(result, "data", None) is None and errors and all(error.path is None for error in errors):
            for error in errors:
                _code(error, ErrorCode.BAD_VARIABLES)

    async def guard_api_key(self, context: Any) -> None:
        """A wrong X-Api-Key refuses the whole request with code 2002: nothing runs.

        Wrong keys are also counted per client address (the ``api-key`` bucket, as failed logins
        are): once an address has sent too many, every request of it that carries a key — the right
        one included — is refused with 3207 until the bucket refills, before the key is compared.
        Otherwise a guesser could go on guessing and simply notice when a guess stops being refused.
        """
        check = getattr(context, "check_api_key", None)
        if check is not None:
            await check()
        limits = getattr(getattr(context, "services", None), "rate_limits", None)
        if getattr(context, "api_key_sent", False) and limits is not None and limits.enabled:
            # A wrong key spends a token; the right one only looks (one statement either way).
            take = limits.hit if context.api_key_rejected else limits.peek
            decision = await take("api-key", context.address)
            if not decision.allowed:
                if context.response is not None:
                    context.response.headers["Retry-After"] = str(decision.retry_after)
                message = (
                    f"Too many requests with a wrong X-Api-Key from this address; try again in "
                    f"{decision.retry_after} seconds."
                )
                error = GraphQLError(
                    message, extensions={**ErrorCode.RATE_LIMITED.extensions(), "retryAfter": decision.retry_after}
                )
                self._refuse(error)
                return
        if getattr(context, "api_key_rejected", False):
            self._refuse(
                GraphQLError(ErrorCode.INVALID_API_KEY.describe(), extensions=ErrorCode.INVALID_API_KEY.extensions())
            )

    async def guard_enrolment(self, context: Any) -> None:
        """A session the MFA policy leaves enrolment-only — the site requires a second factor and the
        session has proved none (gql/domain/mfa_policy.py) — runs only the operations that enrol or prove
        a factor (``ENROLMENT_OPERATIONS``: currentMember, enrollTotp, confirmTotp, …, logout). A request
        that selects any other root field is refused as a whole with 3243 before anything runs (HTTP 403
        under ``application/graphql-response+json``), as a wrong API key is: a client handles it in one
        place by sending the member to enrolment. Only requests with a session are asked about (backend
        keys and page code never are), and the session is the one the request resolves anyway."""
        if not getattr(context, "bearer_token", None) or getattr(context, "api_key", None) is not None:
            return
        try:
            caller = await context.caller()
        except Exception as exc:  # noqa: BLE001 (the database unreachable, or a bug: nothing runs either way)
            self._refuse(_failure(exc))
        else:
            if caller.enrolment_only and not _root_fields(self.execution_context) <= ENROLMENT_OPERATIONS:
                self._refuse(request_error(enrolment_error(caller)))

    def limit_lists(self) -> None:
        """Refuse variables holding lists longer than the limit, before anything runs."""
        limit = self.limits.max_list_items
        if longest_list(self.execution_context.variables or {}) > limit:
            error = GraphQLError(
                f"A list argument may hold at most {limit} items.",
                extensions={**ErrorCode.INVALID_ARGUMENT.extensions(), "limit": limit},
            )
            self.execution_context.result = ExecutionResult(data=None, errors=[error])

    def _refuse(self, error: GraphQLError) -> None:
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            # Strawberry subscribes whatever result this hook sets: raising is what stops it.
            raise error
        self.execution_context.result = ExecutionResult(data=None, errors=[error])


def _failure(exc: Exception) -> GraphQLError:
    """A failure to read the caller, answered as a resolver's would be: 3208 when the database is
    unreachable, else "Unexpected error." with a logged request id — never the exception's text."""
    error = GraphQLError(ErrorCode.UNAVAILABLE.describe(), original_error=exc)
    _is_unexpected(error)  # logs it, and gives it its code (3208) or a request id
    if (error.extensions or {}).get("code") != int(ErrorCode.UNAVAILABLE):
        error.message = "Unexpected error."
    return error


def _root_fields(execution_context: Any) -> set[str]:
    """The root fields the request's operation selects (through fragments too; ``__typename`` and the
    introspection fields left out), whatever directives say."""
    document = execution_context.graphql_document
    operation = get_operation_ast(document, execution_context.operation_name) if document is not None else None
    if operation is None:
        return set()
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: set[str] = set()
    seen: set[str] = set()

    def collect(selections: Any) -> None:
        for selection in selections:
            if isinstance(selection, FieldNode):
                if not selection.name.value.startswith("__"):
                    names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                collect(selection.selection_set.selections)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    collect(fragment.selection_set.selections)

    collect(operation.selection_set.selections)
    return names


def _code(error: GraphQLError, code: ErrorCode) -> None:
    """Give a request-level error its code, unless a rule or guard already gave it one."""
    if "code" not in (error.extensions or {}):
        error.extensions = {**(error.extensions or {}), **code.extensions()}


def _code_domain_errors(result: object) -> None:
    for error in getattr(result, "errors", None) or ():
        original = error.original_error
        if isinstance(original, DomainError):
            error.extensions = error_extensions(original)


def _is_unexpected(error: GraphQLError) -> bool:
    """Mask exceptions we did not foresee; keep validation and domain errors readable."""
    original = error.original_error
    if original is None or isinstance(original, (DomainError, GraphQLError)):
        return False
    if is_unavailable(original):
        # Not a bug: the database is unreachable. Code 3208, one log line, no trace.
        logger.warning("database unavailable at %s: %s", error.path, type(original).__name__)
        error.extensions = ErrorCode.UNAVAILABLE.extensions()
        return True
    request_id = uuid.uuid4().hex[:12]
    logger.error("unexpected error %s at %s", request_id, error.path, exc_info=original)
    error.extensions = {"requestId": request_id}
    return True


def _mask(result: object) -> None:
    """Replace each unexpected error by "Unexpected error." (or 3208's message), keeping its path,
    locations and the extensions ``_is_unexpected`` gave it (a request id, or 3208)."""
    errors = getattr(result, "errors", None)
    if not errors:
        return
    masked = []
    for error in errors:
        if _is_unexpected(error):
            unavailable = (error.extensions or {}).get("code") == int(ErrorCode.UNAVAILABLE)
            message = ErrorCode.UNAVAILABLE.describe() if unavailable else "Unexpected error."
            error = GraphQLError(  # noqa: PLW2901
                message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions=error.extensions,
            )
        masked.append(error)
    result.errors = masked  # type: ignore[attr-defined]


def build_extensions(
    max_depth: int,
    max_aliases: int,
    *,
    max_tokens: int = 1000,
    max_list_items: int = 100,
    introspection: bool = True,
) -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    rules: list[Any] = [
        coded(depth_validator(max_depth, None), ErrorCode.QUERY_TOO_DEEP),
        coded(alias_validator(max_aliases), ErrorCode.TOO_MANY_ALIASES),
        list_length_rule(max_list_items),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    limits = Limits(tuple(rules), max_tokens, max_list_items, hide_suggestions=not introspection)
    return [lambda: RequestPolicy(limits)]
