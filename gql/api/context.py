"""The request context: who the caller is, resolved from the headers.

``X-Api-Key`` makes the backend caller (compared in constant time); a wrong key is
flagged here and refused for the whole request by ``RequestPolicy.guard_api_key`` (code 2002).
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

from gql.api.loaders import Loaders
from gql.domain import api_keys
from gql.domain.caller import Caller, CallerKind, GrantsHolder, anonymous
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.services import Services
from gql.domain.sessions import caller_for_session
from gql.http import client_address


@dataclass
class Context:
    # The HTTP request, or the WebSocket of a subscription.
    request: HTTPConnection
    response: Response | None
    services: Services
    # The X-Api-Key sent, if any: checked once by RequestPolicy.guard_api_key (check_api_key) before anything runs.
    api_key: str | None = field(default=None, repr=False)
    api_key_rejected: bool = False
    # True when the request carries an X-Api-Key at all (right or wrong): RequestPolicy.guard_api_key limits those.
    api_key_sent: bool = False
    bearer_token: str | None = None
    # Where the request comes from, as rate limits and the lockout count it.
    address: str = "unknown"
    # On a WebSocket: ends it with a close code and reason (a subscriber that fell behind).
    close_connection: Callable[[int, str], None] | None = field(default=None, repr=False)
    # The User-Agent header, recorded on the sessions this request opens.
    user_agent: str | None = None
    _caller: Caller | None = field(default=None, repr=False)
    # Batch loaders of this request (roles, badges, counts): one statement per kind per request.
    loaders: Loaders = field(default_factory=Loaders, repr=False)

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
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
        address = client_address(request, services.config.trusted_proxies)
        user_agent = request.headers.get("user-agent")
        context = cls(
            request=request,
            response=response,
            services=services,
            api_key=api_key,
            api_key_sent=api_key is not None,
            bearer_token=bearer,
            address=address,
            user_agent=user_agent,
        )
        return context

    async def check_api_key(self) -> bool:
        """Resolve the X-Api-Key, if one was sent: ``MEMBERS_ADMIN_API_KEY`` (every permission) or a
        stored scoped key (its own). False, and ``api_key_rejected``, for any other key."""
        if self.api_key is None or self._caller is not None or self.api_key_rejected:
            return not self.api_key_rejected
        if hmac.compare_digest(self.api_key.encode(), self.services.config.admin_api_key.encode()):
            self._caller = Caller(CallerKind.BACKEND, address=self.address, user_agent=self.user_agent)
            return True
        found = await api_keys.key_grants(self.services, self.api_key)
        if found is None:
            self.api_key_rejected = True
            return False
        key_id, grants = found
        self._caller = Caller(
            CallerKind.BACKEND,
            address=self.address,
            user_agent=self.user_agent,
            api_key_id=key_id,
            grants=GrantsHolder(grants),
        )
        return True

    async def caller(self) -> Caller:
        if self.api_key is not None and not await self.check_api_key():
            # RequestPolicy.guard_api_key refuses such requests before anything runs; never answer as anybody.
            raise DomainError(ErrorCode.INVALID_API_KEY)
        if self._caller is None:
            found = (
                await caller_for_session(self.services, self.bearer_token, self.address, self.user_agent)
                if self.bearer_token
                else None
            )
            self._caller = found or anonymous(self.address, self.user_agent)
        return self._caller
