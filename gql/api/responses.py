"""How a GraphQL result becomes an HTTP response (the GraphQL-over-HTTP spec).

The media type follows the request's ``Accept``:

- ``application/graphql-response+json`` when the client lists it at least as high as
  ``application/json`` (Apollo Client 4, graphql-http and urql ask for it first). Then the
  status says what happened: 200 when execution ran (``data`` is there, even with field
  errors); a request error — the document does not parse or validate, a variable does not
  fit, a limit refused the document, a wrong API key, an enrolment-only session, an unknown
  persisted query — has no ``data`` entry and a 4xx status (``status_for``), 5xx when the server
  failed.
- ``application/json`` otherwise (also for ``*/*``, ``application/*``, no ``Accept``, or
  nothing we serve): the legacy behaviour the spec prescribes for it, status 200 for every
  well-formed request, request errors with ``"data": null``.

Either way a request that is not a well-formed GraphQL-over-HTTP request (not JSON, a
``query`` that is not a string, …) is a 400, a mutation over GET a 405, and every body is
``{"errors": [{"message", "extensions": {"code"}}]}``.
"""

from __future__ import annotations

from strawberry.types import ExecutionResult

from gql.domain.errors import ErrorCode

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

# graphql-response+json: the status of a request error, by its code; any other code is 400.
_STATUS_BY_CODE: dict[int, int] = {
    ErrorCode.INVALID_API_KEY: 403,  # "SHOULD use 401 or 403 when the request is not permitted"
    ErrorCode.MFA_REQUIRED: 403,  # an enrolment-only session (gql/api/extensions.py, RequestPolicy.guard_enrolment)
    ErrorCode.RATE_LIMITED: 429,  # with Retry-After
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.REQUEST_TOO_LARGE: 413,
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: 404,
    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED: 403,
}


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(1.0, max(0.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str) -> str:
    """The media type to answer with, given the request's ``Accept`` header ("" when absent).

    The most specific range naming each type gives its quality (RFC 9110 §12.5.1); the
    wildcards count for ``application/json`` only, as the spec wants until clients have
    moved to the new type. A tie goes to ``application/graphql-response+json``, which the
    client named itself."""
    graphql_response: float | None = None
    json_exact: float | None = None
    json_wildcard: float | None = None
    for media_range in accept.split(","):
        media_type, *parameters = media_range.split(";")
        media_type = media_type.strip().lower()
        quality = _quality(parameters)
        if media_type == GRAPHQL_RESPONSE:
            graphql_response = max(graphql_response or 0.0, quality)
        elif media_type == JSON:
            json_exact = max(json_exact or 0.0, quality)
        elif media_type in ("application/*", "*/*"):
            json_wildcard = max(json_wildcard or 0.0, quality)
    json = json_exact if json_exact is not None else (json_wildcard or 0.0)
    if graphql_response is not None and graphql_response > 0 and graphql_response >= json:
        return GRAPHQL_RESPONSE
    return JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Nothing was executed: no data, and no error belongs to a field (errors raised while
    resolving a field carry its ``path``; parse, validation, variable and guard errors do not)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def status_for(result: ExecutionResult, media_type: str) -> int:
    if media_type == JSON or not is_request_error(result):
        return 200
    first = (result.errors or [])[0]
    code = (first.extensions or {}).get("code")
    if code is None:
        return 500  # an unexpected failure, masked (extensions.requestId): the server's fault
    return _STATUS_BY_CODE.get(code, 400)
