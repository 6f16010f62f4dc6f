"""Response compression: gzip for query results above a size, and for nothing else.

Why not every response: BREACH. A compressed response that holds a secret next to text
the requester chose leaks the secret through its size, one guessed character at a time,
to whoever can make the victim send requests and can watch their sizes. Here the secrets
in responses are the session and approval tokens, and only mutations hand them out
(``register``, ``login``, ``approveByToken``, ``resetPassword``, …); their responses also
echo the request's input (error messages, the registrant's own fields). So:

- a ``/graphql`` response is compressed only when the operation that ran was a query
  (``allow_compression()``, called by the schema extension that sees the operation type,
  ``gql/api/extensions.py``): queries read members and settings, and no query returns a
  token;
- mutation responses, HTTP refusals and the HTML pages behind emailed links (the reset
  form carries its token) are never compressed;
- responses under ``MINIMUM_SIZE`` bytes are not compressed either (gzip would not pay).

Sessions are bearer tokens sent by the client's code, never cookies, so a third-party page
cannot make a browser send authenticated requests in the first place: this rule is the
second line, not the only one.

Brotli is not served: the libraries that offer it for ASGI (brotli-asgi, starlette-compress)
decide per path or per media type when the request arrives, not per response, so the rule
above could not be kept without reaching into their private modules.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipResponder
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 1024
# zlib's default: most of level 9's gain for a fraction of its CPU (two cores serve everything).
LEVEL = 6
_STATE_KEY = "compress_response"


def accepts_gzip(accept_encoding: str) -> bool:
    """Does the client take gzip? Its own entry decides, else ``*`` (RFC 9110, 12.5.3): a
    quality of 0 is a refusal, which Starlette's substring test would read as a yes."""
    qualities: dict[str, float] = {}
    for coding in accept_encoding.split(","):
        name, *parameters = coding.split(";")
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[name.strip().lower()] = quality
    chosen = qualities.get("gzip", qualities.get("x-gzip", qualities.get("*", 0.0)))
    return chosen > 0


def allow_compression(request: HTTPConnection) -> None:
    """Mark this request's response as safe to compress (it carries no secret)."""
    setattr(request.state, _STATE_KEY, True)


def _allowed(scope: Scope) -> bool:
    # Request.state keeps its attributes in scope["state"], the dict every middleware sees.
    state = scope.get("state") or {}
    return bool(state.get(_STATE_KEY, False))


class QueryCompression:
    """Starlette's gzip responder, for the responses marked by ``allow_compression`` only.

    The mark is read when the response starts, after the operation has run; the responder is
    made only then, for a marked response (most responses — mutations, refusals — never are)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not accepts_gzip(", ".join(Headers(scope=scope).getlist("accept-encoding"))):
            await self.app(scope, receive, send)
            return
        responder: GZipResponder | None = None

        async def send_allowed(message: Message) -> None:
            nonlocal responder
            if message["type"] == "http.response.start" and _allowed(scope):
                responder = GZipResponder(self.app, MINIMUM_SIZE, compresslevel=LEVEL)
                responder.send = send  # what its own __call__ sets; the app already runs
            if responder is None:
                await send(message)
            else:
                await responder.send_with_compression(message)

        await self.app(scope, receive, send_allowed)
