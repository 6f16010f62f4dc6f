"""Abuse limits of the GraphQL layer: per-address rate limits on fields, list lengths,
hidden suggestions. The rules themselves live in ``gql/domain/ratelimit.py``.

``RateLimited("login")`` on a mutation takes one token from the ``login`` bucket of the
client's address each time the field runs, so 15 aliased ``login`` fields in one
document spend 15 tokens. Backend callers (a correct ``X-Api-Key``) are not limited.
A refused call raises 3207 with ``retryAfter``, which ``ErrorsAsData`` turns into the
field's ``RateLimitedError`` (list ``RateLimited`` before ``ErrorsAsData``: the last
extension of a field is the outermost), and the response gets a ``Retry-After`` header.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ExecutionResult, GraphQLError, ListValueNode, ValidationRule
from starlette.requests import Request
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.types.info import Info

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import normalise

# --- the client's address ------------------------------------------------------------


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The address a rate limit counts against.

    The connection's peer, unless that peer is a trusted proxy: then the right-most
    ``X-Forwarded-For`` entry that is not itself a trusted proxy (entries further left
    were written by the client and prove nothing). IPv6 clients are counted per /64,
    the block one subscriber usually holds.
    """
    peer = _ip(request.client.host) if request.client else None
    networks = _networks(trusted_proxies)

    def trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in networks)

    address = peer
    if trusted(peer):
        hops = [hop for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
        for hop in reversed(hops):
            candidate = _ip(hop)
            if candidate is None:
                break  # garbage: stop believing the chain, count the last trusted hop
            address = candidate
            if not trusted(candidate):
                break
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# --- per-address rate limits on fields -------------------------------------------------


class RateLimited(FieldExtension):
    """Take a token from bucket ``name`` of the caller's address (and, with
    ``per_account``, from the ``email-account`` bucket of that argument's value)."""

    def __init__(self, name: str, *, per_account: str | None = None) -> None:
        from gql.domain.ratelimit import LIMITS

        assert name in LIMITS, f"unknown rate limit {name!r}"
        self.name = name
        self.per_account = per_account

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        limits = context.services.rate_limits
        if limits is not None and limits.enabled and not _is_backend(context):
            address = client_address(context.request, context.services.config.trusted_proxies)
            subjects = [(self.name, address)]
            account = kwargs.get(self.per_account) if self.per_account else None
            if isinstance(account, str) and account.strip():
                subjects.append(("email-account", normalise(account)))
            for name, subject in subjects:
                decision = await limits.hit(name, subject)
                if not decision.allowed:
                    if context.response is not None:
                        context.response.headers["Retry-After"] = str(decision.retry_after)
                    raise DomainError(
                        ErrorCode.RATE_LIMITED,
                        f"Too many requests; try again in {decision.retry_after} seconds.",
                        retry_after=decision.retry_after,
                    )
        return await next_(source, info, **kwargs)


def _is_backend(context: Any) -> bool:
    caller = getattr(context, "_caller", None)
    return bool(caller is not None and caller.is_backend)


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
                        extensions={"code": int(ErrorCode.INVALID_ARGUMENT)},
                    )
                )

    return ListLengthRule


def _longest_list(value: Any, depth: int = 0) -> int:
    if depth > 20:
        return 0
    if isinstance(value, list):
        return max([len(value), *(_longest_list(v, depth + 1) for v in value)])
    if isinstance(value, dict):
        return max([0, *(_longest_list(v, depth + 1) for v in value.values())])
    return 0


class ListLengthLimit(SchemaExtension):
    """Refuse variables holding lists longer than the limit, before anything runs."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items

    def on_execute(self) -> Iterator[None]:
        execution_context = self.execution_context
        if execution_context.result is None and _longest_list(execution_context.variables or {}) > self.max_items:
            execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"A list argument may hold at most {self.max_items} items.",
                        extensions={"code": int(ErrorCode.INVALID_ARGUMENT), "limit": self.max_items},
                    )
                ],
            )
        yield


# --- suggestions ------------------------------------------------------------------------

_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)


class HideSuggestions(SchemaExtension):
    """With introspection off, "Did you mean …?" hints would leak the schema: drop them."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in getattr(result, "errors", None) or ():
            if "Did you mean" in error.message:
                error.message = _SUGGESTION.sub("", error.message)
                error.args = (error.message, *error.args[1:])
