"""The request context: who the caller is, resolved from the headers.

``X-Api-Key`` makes the backend caller (compared in constant time); a wrong key is
flagged here and refused for the whole request by ``ApiKeyGuard`` (code 2002).
``Authorization: Bearer`` makes a member caller, looked up lazily: a request that
never asks who is calling never pays for the session query.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from gql.domain.caller import Caller, CallerKind, anonymous
from gql.domain.services import Services
from gql.domain.sessions import caller_for_session
from gql.http import client_address


@dataclass
class Context:
    request: Request
    response: Response | None
    services: Services
    api_key_rejected: bool = False
    # True when the request carries an X-Api-Key at all (right or wrong): ApiKeyGuard limits those.
    api_key_sent: bool = False
    bearer_token: str | None = None
    # Where the request comes from, as rate limits and the lockout count it.
    address: str = "unknown"
    _caller: Caller | None = field(default=None, repr=False)

    @classmethod
    def from_request(cls, request: Request, response: Response | None, services: Services) -> Context:
        api_key = request.headers.get("x-api-key")
        rejected = False
        is_backend = False
        if api_key is not None:
            is_backend = hmac.compare_digest(api_key.encode(), services.config.admin_api_key.encode())
            rejected = not is_backend
        authorization = request.headers.get("authorization", "")
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
