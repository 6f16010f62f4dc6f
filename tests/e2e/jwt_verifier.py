"""A stand-in for another service: it accepts a request when its Bearer token is an access token of
the members server, verified with PyJWT's ``PyJWKClient`` and the published JWKS — nothing else.

It imports nothing of ``gql`` (``GET /health`` says so, and the test checks), shares no secret
with the server, and fetches the JWKS for every token (no cache), so a key counts exactly while
the server publishes it.

    python -I tests/e2e/jwt_verifier.py --jwks-url URL --issuer URL --audience AUD

prints ``listening on <port>`` once it serves. ``GET /orders`` with ``Authorization: Bearer <token>``
answers 200 ``{"sub", "sid", "kid"}`` or 401 ``{"error": "<PyJWT's exception name>"}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jwks-url", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    args = parser.parse_args()
    keys = jwt.PyJWKClient(args.jwks_url, cache_jwk_set=False, cache_keys=False)

    class Handler(BaseHTTPRequestHandler):
        def reply(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/health":
                self.reply(200, {"gql_imported": any(name == "gql" or name.startswith("gql.") for name in sys.modules)})
                return
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            try:
                if scheme.lower() != "bearer":
                    raise jwt.InvalidTokenError("no bearer token")
                key = keys.get_signing_key_from_jwt(token)
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[key.algorithm_name],  # the key's own algorithm, never the token's say-so
                    audience=args.audience,
                    issuer=args.issuer,
                    options={"require": ["exp", "iat", "sub", "sid"]},
                )
            except jwt.PyJWTError as exc:
                self.reply(401, {"error": type(exc).__name__})
                return
            self.reply(200, {"sub": claims["sub"], "sid": claims["sid"], "kid": key.key_id})

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
            return  # quiet: the test reads answers, not logs

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
