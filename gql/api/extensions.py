"""Schema extensions: caching, limits, the API-key guard and the error policy.

Built once per process. The depth and alias rules are created once and added with
``AddValidationRules`` so the validation cache (keyed by the rule classes) keeps
hitting; a limiter built per request would make every request miss (strawberry#4635).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from gql.api.errors import error_extensions
from gql.api.limits import HideSuggestions, ListLengthLimit, list_length_rule
from gql.db.availability import is_unavailable
from gql.domain.errors import DomainError, ErrorCode

logger = logging.getLogger("gql.errors")


class ApiKeyGuard(SchemaExtension):
    """A wrong X-Api-Key refuses the whole request with code 2002: nothing runs.

    Wrong keys are also counted per client address (the ``api-key`` bucket, as failed logins
    are): once an address has sent too many, every request of it that carries a key — the right
    one included — is refused with 3207 until the bucket refills, before the key is compared.
    Otherwise a guesser could go on guessing and simply notice when a guess stops being refused.
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        limits = getattr(getattr(context, "services", None), "rate_limits", None)
        if getattr(context, "api_key_sent", False) and limits is not None and limits.enabled:
            # A wrong key spends a token; the right one only looks (one statement either way).
            take = limits.hit if context.api_key_rejected else limits.peek
            decision = await take("api-key", context.address)
            if not decision.allowed:
                if context.response is not None:
                    context.response.headers["Retry-After"] = str(decision.retry_after)
                self._refuse(
                    f"Too many requests with a wrong X-Api-Key from this address; try again in "
                    f"{decision.retry_after} seconds.",
                    ErrorCode.RATE_LIMITED,
                    retryAfter=decision.retry_after,
                )
                yield
                return
        if getattr(context, "api_key_rejected", False):
            self._refuse(ErrorCode.INVALID_API_KEY.describe(), ErrorCode.INVALID_API_KEY)
        yield

    def _refuse(self, message: str, code: ErrorCode, **extensions: object) -> None:
        self.execution_context.result = ExecutionResult(
            data=None, errors=[GraphQLError(message, extensions={"code": int(code), **extensions})]
        )


class DomainErrorCodes(SchemaExtension):
    """Request-level domain errors carry their numeric code in ``extensions.code``."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
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
        error.extensions = {"code": int(ErrorCode.UNAVAILABLE)}
        return True
    request_id = uuid.uuid4().hex[:12]
    logger.error("unexpected error %s at %s", request_id, error.path, exc_info=original)
    error.extensions = {"requestId": request_id}
    return True


class _MaskUnexpected(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = error.extensions
        if (error.extensions or {}).get("code") == int(ErrorCode.UNAVAILABLE):
            masked.message = ErrorCode.UNAVAILABLE.describe()
        return masked


def build_extensions(
    max_depth: int,
    max_aliases: int,
    *,
    max_tokens: int = 1000,
    max_list_items: int = 100,
    introspection: bool = True,
) -> list[Callable[[], SchemaExtension] | type[SchemaExtension]]:
    rules: list[Any] = [
        depth_validator(max_depth, None),
        alias_validator(max_aliases),
        list_length_rule(max_list_items),
    ]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        ApiKeyGuard,
        lambda: MaxTokensLimiter(max_tokens),
        lambda: ParserCache(maxsize=1000),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=1000),
        lambda: ListLengthLimit(max_list_items),
        DomainErrorCodes,
        lambda: _MaskUnexpected(should_mask_error=_is_unexpected),
    ]
    if not introspection:
        extensions.append(HideSuggestions)
    return extensions
