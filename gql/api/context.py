"""The request context: who the caller is, resolved from the headers.

``X-Api-Key`` makes the backend caller (compared in constant time); a wrong key is
flagged here and refused for the whole request by ``ApiKeyGuard`` (code 2002).
``Authorization: Bearer`` makes a member caller, looked up lazily: a request that
never asks who is calling never pays for the session query.

A WebSocket (subscriptions, gql/api/websocket.py) has one context for all its operations:
anonymous until its ``connection_init``, whose ``connectionParams`` are read as these headers.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.responses import Response

from gql.domain.caller import Caller, CallerKind, anonymous
from gql.domain.services import Services
from gql.domain.sessions import caller_for_session
from gql.http import client_address


@dataclass
class Context:
    # The HTTP request, or the WebSocket of a subscription.
    request: HTTPConnection
    response: Response | None
    services: Services
    api_key_rejected: bool = False
    # True when the request carries an X-Api-Key at all (right or wrong): ApiKeyGuard limits those.
    api_key_sent: bool = False
    bearer_token: str | None = None
    # Where the request comes from, as rate limits and the lockout count it.
    address: str = "unknown"
    # On a WebSocket: ends it with a close code and reason (a subscriber that fell behind).
    close_connection: Callable[[int, str], None] | None = field(default=None, repr=False)
    _caller: Caller | None = field(default=None, repr=False)

    @classmethod
    def from_request(
        cls,
        request: HTTPConnection,
        response: Response | None,
        services: Services,
        headers: Mapping[str, str] | None = None,
    ) -> Context:
        """``headers``: who is calling, when not the request's own (a WebSocket's connectionParams)."""
        headers = request.headers if headers is None else headers
        api_key = headers.get("x-api-key")
        rejected = False
        is_backend = False
        if api_key is not None:
            is_backend = hmac.compare_digest(api_key.encode(), services.config.admin_api_key.encode())
            rejected = not is_backend
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
        address = client_address(request, services.config.trusted_proxies)
        context = cls(
            request=request,
            response=response,
            services=services,
            api_key_rejected=rejected,
            api_key_sent=api_key is not None,
            bearer_token=bearer,
            address=address,
        )
        if is_backend:
            context._caller = Caller(CallerKind.BACKEND, address=address)
        return context

    async def caller(self) -> Caller:
        if self._caller is None:
            found = (
                await caller_for_session(self.services, self.bearer_token, self.address) if self.bearer_token else None
            )
            self._caller = found or anonymous(self.address)
        return self._caller
