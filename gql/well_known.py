"""``/.well-known/jwks.json`` and ``/.well-known/openid-configuration``: what a service needs to
verify this server's access tokens with standard middleware and no code of ours.

The JWKS lists every published signing key (gql/domain/signing_keys.py: the signer, a key
rotated in but not signing yet, and retired keys until their last token expired), public
halves only. It may be cached for ``MEMBERS_SIGNING_KEY_REFRESH_SECONDS`` — a rotated-in key is
published twice that long before it signs, so a verifier's cached copy always has the key of
any token it is shown (PyJWT's ``PyJWKClient`` also refetches when it meets an unknown ``kid``).

The discovery document names the issuer and the JWKS. This server is no OpenID provider (it
has no authorization endpoint): the document is there because JWT middleware and gateways
look up ``jwks_uri`` from an issuer this way.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql.config import SIGNING_ALGORITHMS
from gql.domain.access_tokens import issuer
from gql.domain.services import Services

JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"


def _services(request: Request) -> Services:
    return request.app.state.services


def _cached(body: dict[str, object], seconds: float) -> Response:
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={int(seconds)}"})


async def jwks(request: Request) -> Response:
    services = _services(request)
    keys = await services.signing_keys.published(services.clock)
    return _cached({"keys": [key.jwk() for key in keys]}, services.config.signing_key_refresh_seconds)


async def openid_configuration(request: Request) -> Response:
    services = _services(request)
    base = issuer(services)
    return _cached(
        {
            "issuer": base,
            "jwks_uri": base + JWKS_PATH,
            # Access tokens are JWTs signed with one of these (the key's own "alg" says which).
            "id_token_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
            "access_token_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
            "subject_types_supported": ["public"],
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "iat",
                "exp",
                "jti",
                "sid",
                "email",
                "email_verified",
                "status",
                "amr",
            ],
        },
        services.config.signing_key_refresh_seconds,
    )
