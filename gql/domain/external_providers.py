"""External providers (OpenID Connect and plain OAuth 2.0): configuring them, and speaking to them.

- **Configuration** (``upsertExternalProvider``, ``deleteExternalProvider``): holders of
  SETTINGS_MANAGE (the backend key holds it). Anyone may list the providers' names and display
  names; a settings manager sees everything but the client secret.
- **The client secret** is stored AES-256-GCM-encrypted under a key derived from
  ``MEMBERS_SECRET_KEY`` for this use only (as gql/domain/signing_keys.py stores private keys),
  with the provider's name as associated data, so a ciphertext cannot be moved to another
  provider. It is never returned, printed or logged; an update that gives none keeps it.
- **Speaking to a provider** (``ProviderClient``, one per process in ``Services``): the OpenID
  discovery document and the JWKS are cached per process (``METADATA_TTL``, by ``Services.clock``); an ID token signed
  by a key id the cached JWKS lacks refetches the JWKS once (at most every ``JWKS_MIN_REFRESH``),
  so a provider's key rotation needs no restart. ID tokens are verified with joserfc (signature
  against the JWKS, ``iss``, ``aud``, ``azp``, ``exp``, ``iat``, ``nonce``); no JOSE is written here.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, urlencode, urlsplit

import httpx
import jwt as pyjwt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gql.db.models import ExternalProvider
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.audit import AuditKind, audit
from gql.domain.caller import Caller
from gql.domain.cursors import derive_key
from gql.domain.encoding import EncodingError, b64url_decode, b64url_encode
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import Permission
from gql.domain.properties import MAX_CUSTOM_FIELDS
from gql.domain.registration_settings import check_property_name
from gql.domain.statuses import ClientAuthMethod, ProviderKind

if TYPE_CHECKING:  # Services builds a ProviderClient
    from gql.domain.services import Services

_PURPOSE = b"members/provider-client-secret/v1"
_NONCE_SIZE = 12
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
# The claims a provider's answer is read for, and where they are by default (OpenID Connect's names).
DEFAULT_CLAIMS = {"subject": "sub", "email": "email", "emailVerified": "email_verified", "name": "name"}
DEFAULT_SCOPES = {ProviderKind.OIDC: ("openid", "email", "profile"), ProviderKind.OAUTH2: ()}
# Signature algorithms an ID token may use: asymmetric only (no "none", no HMAC with the client secret).
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
METADATA_TTL = 3600.0
JWKS_MIN_REFRESH = 10.0
HTTP_TIMEOUT = 10.0
# Provider clocks may differ from ours this much (iat, exp).
CLOCK_LEEWAY_SECONDS = 60
# A client assertion (PRIVATE_KEY_JWT) lives this long: one token request.
CLIENT_ASSERTION_LIFETIME_SECONDS = 60
CLAIM_NAME_LENGTH = 200


def _answer_invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.EXTERNAL_ANSWER_INVALID, message)


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderInput:
    """``upsertExternalProvider``'s input; ``client_secret`` None keeps the stored one (an update)."""

    name: str
    display_name: str
    kind: ProviderKind
    client_id: str
    client_secret: str | None = field(default=None, repr=False)  # never in a log line or a traceback
    issuer: str | None = None
    authorization_url: str | None = None
    token_url: str | None = None
    userinfo_url: str | None = None
    scopes: tuple[str, ...] | None = None
    claim_mapping: dict[str, str] | None = None
    allow_signup: bool = False
    trust_verified_email: bool = False
    token_auth_method: ClientAuthMethod = ClientAuthMethod.CLIENT_SECRET_BASIC
    # {custom field of a member it signs up: the claim it is read from}; None keeps the stored one.
    custom_field_claims: dict[str, str] | None = None


@dataclass(frozen=True)
class ProviderRecord:
    """A provider as the domain hands it out: never its client secret."""

    name: str
    display_name: str
    kind: ProviderKind
    issuer: str | None
    authorization_url: str | None
    token_url: str | None
    userinfo_url: str | None
    client_id: str
    scopes: tuple[str, ...]
    claim_mapping: dict[str, str]
    allow_signup: bool
    trust_verified_email: bool
    token_auth_method: ClientAuthMethod
    custom_field_claims: dict[str, str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ExternalProvider) -> ProviderRecord:
        return cls(
            name=row.name,
            display_name=row.display_name,
            kind=ProviderKind(row.kind),
            issuer=row.issuer,
            authorization_url=row.authorization_url,
            token_url=row.token_url,
            userinfo_url=row.userinfo_url,
            client_id=row.client_id,
            scopes=tuple(row.scopes),
            claim_mapping={**DEFAULT_CLAIMS, **row.claim_mapping},
            allow_signup=row.allow_signup,
            trust_verified_email=row.trust_verified_email,
            token_auth_method=ClientAuthMethod(row.token_auth_method),
            # By field name: PostgreSQL's jsonb keeps no order of its own.
            custom_field_claims=dict(sorted(row.custom_field_claims.items())),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class SecretBox:
    """Client secrets at rest: AES-256-GCM under a key derived from MEMBERS_SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        self._aead = AESGCM(derive_key(secret_key, _PURPOSE))

    def seal(self, provider: str, secret: str) -> str:
        nonce = secrets.token_bytes(_NONCE_SIZE)
        return b64url_encode(nonce + self._aead.encrypt(nonce, secret.encode(), provider.encode()))

    def open(self, provider: str, sealed: str) -> str:
        try:
            data = b64url_decode(sealed)
            return self._aead.decrypt(data[:_NONCE_SIZE], data[_NONCE_SIZE:], provider.encode()).decode()
        except (EncodingError, InvalidTag, ValueError):
            raise _answer_invalid(
                "This provider's client secret cannot be read (MEMBERS_SECRET_KEY changed?): set it again."
            ) from None


def _invalid(message: str, property: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_ARGUMENT, message, property=property)


def _url(value: str | None, property: str, required: bool) -> str | None:
    value = value.strip() if value else None
    if value is None:
        if required:
            raise _invalid(f"{property} is required for this kind of provider.", property)
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise _invalid(f"{property} must be an absolute http(s) URL without a fragment.", property)
    return value


def checked(data: ProviderInput, existing: ExternalProvider | None) -> ProviderInput:
    """The input as stored: valid name, the URLs its kind needs, a known claim mapping, a secret."""
    if not PROVIDER_NAME.match(data.name):
        raise _invalid('A provider name is a lower-case letter, then up to 63 of a-z, 0-9, "_" or "-".', "name")
    if not 1 <= len(data.display_name.strip()) <= 200:
        raise _invalid("A display name is 1 to 200 characters.", "displayName")
    if not data.client_id.strip():
        raise _invalid("The client id is required.", "clientId")
    if data.client_secret is not None and not data.client_secret:
        raise _invalid("The client secret is empty.", "clientSecret")
    uses_secret = data.token_auth_method is not ClientAuthMethod.PRIVATE_KEY_JWT
    if uses_secret and data.client_secret is None and (existing is None or existing.client_secret is None):
        raise _invalid(
            f"A client secret is required: {data.token_auth_method.value} sends it to the token endpoint.",
            "clientSecret",
        )
    oidc = data.kind is ProviderKind.OIDC
    unknown = set(data.claim_mapping or {}) - set(DEFAULT_CLAIMS)
    if unknown:
        raise _invalid(f"Unknown claims to map: {', '.join(sorted(unknown))}.", "claimMapping")
    scopes = tuple(data.scopes) if data.scopes is not None else DEFAULT_SCOPES[data.kind]
    if oidc and "openid" not in scopes:
        scopes = ("openid", *scopes)
    return ProviderInput(
        name=data.name,
        display_name=data.display_name.strip(),
        kind=data.kind,
        client_id=data.client_id.strip(),
        client_secret=data.client_secret,
        issuer=_url(data.issuer, "issuer", oidc).rstrip("/") if oidc else None,  # type: ignore[union-attr]
        authorization_url=_url(data.authorization_url, "authorizationUrl", not oidc),
        token_url=_url(data.token_url, "tokenUrl", not oidc),
        userinfo_url=_url(data.userinfo_url, "userinfoUrl", not oidc),
        scopes=scopes,
        claim_mapping=dict(data.claim_mapping or {}),
        allow_signup=data.allow_signup,
        trust_verified_email=data.trust_verified_email,
        token_auth_method=data.token_auth_method,
        custom_field_claims=_custom_field_claims(data.custom_field_claims),
    )


def _custom_field_claims(mapping: dict[str, str] | None) -> dict[str, str] | None:
    """Custom field names as registration accepts them (no reserved or built-in name, no two alike),
    each read from a non-empty claim name; whether the registration settings declare them is checked
    at sign-up, as for a registration, since the settings may change after the provider is saved."""
    if mapping is None:
        return None
    if len(mapping) > MAX_CUSTOM_FIELDS:
        raise _invalid(f"At most {MAX_CUSTOM_FIELDS} custom fields.", "customFieldClaims")
    seen: set[str] = set()
    for name, claim in mapping.items():
        try:
            check_property_name(name)
        except DomainError as exc:
            raise _invalid(exc.message, "customFieldClaims") from None
        if name.casefold() in seen:
            raise _invalid(f'Custom field "{name}" is mapped twice.', "customFieldClaims")
        seen.add(name.casefold())
        if not 1 <= len(claim.strip()) <= CLAIM_NAME_LENGTH:
            raise _invalid(f"A claim name is 1 to {CLAIM_NAME_LENGTH} characters.", "customFieldClaims")
    return {name: claim.strip() for name, claim in mapping.items()}


async def require_provider_manager(caller: Caller) -> None:
    """Who may configure providers and see their settings: holders of SETTINGS_MANAGE."""
    await access.require(caller, Permission.SETTINGS_MANAGE)


async def upsert_provider(services: Services, caller: Caller, data: ProviderInput) -> ProviderRecord:
    await require_provider_manager(caller)
    async with in_transaction() as connection:
        existing = await ExternalProvider.filter(name=data.name).using_db(connection).select_for_update().first()
        data = checked(data, existing)
        now = services.clock.now()
        values: dict[str, Any] = {
            "display_name": data.display_name,
            "kind": data.kind.value,
            "issuer": data.issuer,
            "authorization_url": data.authorization_url,
            "token_url": data.token_url,
            "userinfo_url": data.userinfo_url,
            "client_id": data.client_id,
            "scopes": list(data.scopes or ()),
            "claim_mapping": data.claim_mapping,
            "allow_signup": data.allow_signup,
            "trust_verified_email": data.trust_verified_email,
            "token_auth_method": data.token_auth_method.value,
            "updated_at": now,
        }
        if data.custom_field_claims is not None:
            values["custom_field_claims"] = data.custom_field_claims
        if data.client_secret is not None:
            values["client_secret"] = services.external.secrets.seal(data.name, data.client_secret)
        if existing is None:
            row = await ExternalProvider.create(name=data.name, created_at=now, using_db=connection, **values)
        else:
            await ExternalProvider.filter(name=data.name).using_db(connection).update(**values)
            row = await ExternalProvider.get(name=data.name).using_db(connection)
        fields = sorted(k for k in values if k != "updated_at")
        await audit(
            services,
            connection,
            caller,
            AuditKind.EXTERNAL_PROVIDER_SAVED,
            provider=data.name,
            created=existing is None,
            fields=fields,
        )
    services.external.forget(row.name)
    return ProviderRecord.of(row)


async def delete_provider(services: Services, caller: Caller, name: str) -> ProviderRecord:
    """Deletes the provider; its members' links stay (they sign in again if it is configured again)."""
    await require_provider_manager(caller)
    async with in_transaction() as connection:
        row = await ExternalProvider.filter(name=name).using_db(connection).select_for_update().first()
        if row is None:
            raise DomainError(ErrorCode.UNKNOWN_PROVIDER, property="name")
        await ExternalProvider.filter(name=name).using_db(connection).delete()
        await audit(services, connection, caller, AuditKind.EXTERNAL_PROVIDER_DELETED, provider=name)
    services.external.forget(name)
    return ProviderRecord.of(row)


async def list_providers() -> list[ProviderRecord]:
    return [ProviderRecord.of(row) for row in await ExternalProvider.all().order_by("name")]


async def provider_named(name: str) -> ExternalProvider:
    row = await ExternalProvider.filter(name=name).first()
    if row is None:
        raise DomainError(ErrorCode.UNKNOWN_PROVIDER, property="provider")
    return row


# --- speaking to a provider --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoints:
    """Where a provider answers (OpenID discovery, or the configured URLs of a plain OAuth 2.0 one)."""

    authorization: str
    token: str
    userinfo: str | None
    issuer: str | None = None
    jwks_uri: str | None = None
    algorithms: tuple[str, ...] = ID_TOKEN_ALGORITHMS


@dataclass(frozen=True)
class ExternalProfile:
    """Who signed in at the provider, as its answer says (read through the provider's claim mapping)."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    custom_fields: dict[str, Any] = field(default_factory=dict)


# Signs a client assertion for (client id, token endpoint): client_assertion bound to the services.
AssertionSigner = Callable[[str, str], Awaitable[str]]


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: the unpadded base64url SHA-256 of the verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def authorization_url(
    provider: ExternalProvider, endpoints: Endpoints, redirect_uri: str, state: str, nonce: str, verifier: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": state,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if provider.kind == ProviderKind.OIDC.value:
        params["nonce"] = nonce
    separator = "&" if urlsplit(endpoints.authorization).query else "?"
    return f"{endpoints.authorization}{separator}{urlencode(params)}"


@dataclass
class _Cached:
    value: Any
    fetched_at: float


@dataclass
class ProviderClient:
    """One per process: the secrets' codec, the HTTP client, and the discovery and JWKS caches."""

    secrets: SecretBox
    # Tests put a transport here that alters answers (a tampered ID token); None: the network.
    transport: httpx.AsyncBaseTransport | None = None
    _metadata: dict[str, _Cached] = field(default_factory=dict)
    _jwks: dict[str, _Cached] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def forget(self, name: str | None = None) -> None:
        """Drop the cached discovery documents and key sets (a provider changed)."""
        self._metadata.clear()
        self._jwks.clear()

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=HTTP_TIMEOUT, follow_redirects=False)

    async def _get_json(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            async with self._http() as http:
                response = await http.get(url, headers={"Accept": "application/json", **(headers or {})})
        except httpx.HTTPError:
            raise _answer_invalid(f"The provider could not be reached ({urlsplit(url).netloc}).") from None
        if response.status_code != 200:
            raise _answer_invalid(f"The provider answered {response.status_code} at {urlsplit(url).path}.")
        try:
            body = response.json()
        except ValueError:
            raise _answer_invalid("The provider's answer is not JSON.") from None
        if not isinstance(body, dict):
            raise _answer_invalid("The provider's answer is not a JSON object.")
        return body

    async def endpoints(self, provider: ExternalProvider, now: float) -> Endpoints:
        if provider.kind != ProviderKind.OIDC.value:
            return Endpoints(provider.authorization_url or "", provider.token_url or "", provider.userinfo_url)
        issuer = provider.issuer or ""
        cached = self._metadata.get(issuer)
        if cached is None or not 0 <= now - cached.fetched_at <= METADATA_TTL:
            document = await self._get_json(f"{issuer}/.well-known/openid-configuration")
            if document.get("issuer") != issuer:
                raise _answer_invalid("The provider's discovery document names another issuer.")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(document.get(key), str):
                    raise _answer_invalid(f"The provider's discovery document lacks {key}.")
            cached = _Cached(document, now)
            self._metadata[issuer] = cached
        document = cached.value
        offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        return Endpoints(
            authorization=provider.authorization_url or document["authorization_endpoint"],
            token=provider.token_url or document["token_endpoint"],
            userinfo=provider.userinfo_url or document.get("userinfo_endpoint"),
            issuer=issuer,
            jwks_uri=document["jwks_uri"],
            algorithms=tuple(a for a in offered if a in ID_TOKEN_ALGORITHMS) or ("RS256",),
        )

    async def _key_set(self, jwks_uri: str, kid: str | None, now: float) -> KeySet:
        """The provider's keys; refetched when the token names a key id the cached set lacks (at most
        every ``JWKS_MIN_REFRESH`` seconds, so tokens with made-up key ids cannot flood the provider)."""
        async with self._lock:
            cached = self._jwks.get(jwks_uri)
            stale = cached is None or not 0 <= now - cached.fetched_at <= METADATA_TTL
            unknown = cached is not None and kid is not None and not _has_kid(cached.value, kid)
            if stale or (unknown and now - cached.fetched_at >= JWKS_MIN_REFRESH):  # type: ignore[union-attr]
                document = await self._get_json(jwks_uri)
                try:
                    keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError, KeyError):
                    raise _answer_invalid("The provider's JWKS cannot be read.") from None
                cached = _Cached(keys, now)
                self._jwks[jwks_uri] = cached
            assert cached is not None
            return cached.value

    async def exchange(
        self,
        provider: ExternalProvider,
        endpoints: Endpoints,
        code: str,
        redirect_uri: str,
        verifier: str,
        assertion: AssertionSigner,
    ) -> dict[str, Any]:
        """The token endpoint's answer to the code, with the PKCE verifier; the client authenticated as the
        provider is configured to expect (``ClientAuthMethod``)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: httpx.Auth | None = None
        method = ClientAuthMethod(provider.token_auth_method)
        if method is ClientAuthMethod.PRIVATE_KEY_JWT:
            # RFC 7523 §2.2 / OpenID Connect Core §9: the assertion's audience is the token endpoint.
            form["client_id"] = provider.client_id
            form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            form["client_assertion"] = await assertion(provider.client_id, endpoints.token)
        else:
            if provider.client_secret is None:
                raise _answer_invalid(f"This provider has no client secret for {method.value}: set one.")
            secret = self.secrets.open(provider.name, provider.client_secret)
            if method is ClientAuthMethod.CLIENT_SECRET_POST:
                form["client_id"] = provider.client_id
                form["client_secret"] = secret
            else:
                # RFC 6749 §2.3.1: id and secret are form-encoded before they go into the Basic header.
                auth = httpx.BasicAuth(_form_encode(provider.client_id), _form_encode(secret))
        try:
            async with self._http() as http:
                response = await http.post(
                    endpoints.token,
                    data=form,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                    headers={"Accept": "application/json"},
                )
        except httpx.HTTPError:
            raise _answer_invalid("The provider's token endpoint could not be reached.") from None
        if response.status_code != 200:
            raise _answer_invalid(f"The provider refused the code ({response.status_code}).")
        try:
            body = response.json()
        except ValueError:
            raise _answer_invalid("The provider's token answer is not JSON.") from None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise _answer_invalid("The provider's token answer holds no access token.")
        return body

    async def verify_id_token(
        self, provider: ExternalProvider, endpoints: Endpoints, id_token: str, nonce: str, now: float
    ) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, azp, times and nonce check out."""
        try:
            header = jws.extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError, TypeError):
            raise _answer_invalid("The ID token is malformed.") from None
        assert endpoints.jwks_uri is not None
        keys = await self._key_set(endpoints.jwks_uri, header.get("kid"), now)
        try:
            token = jwt.decode(id_token, keys, algorithms=list(endpoints.algorithms))
            jwt.JWTClaimsRegistry(
                now=int(now),
                leeway=CLOCK_LEEWAY_SECONDS,
                iss={"essential": True, "value": endpoints.issuer},
                aud={"essential": True, "value": provider.client_id},
                sub={"essential": True},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError, TypeError):
            raise _answer_invalid(
                "The ID token did not validate (signature, issuer, audience, times or nonce)."
            ) from None
        claims = token.claims
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        azp = claims.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != provider.client_id:
            raise _answer_invalid("The ID token was issued to another party (azp).")
        return claims

    async def userinfo(self, endpoints: Endpoints, access_token: str) -> dict[str, Any]:
        if not endpoints.userinfo:
            raise _answer_invalid("This provider has no userinfo endpoint.")
        return await self._get_json(endpoints.userinfo, {"Authorization": f"Bearer {access_token}"})

    async def authenticate(
        self,
        provider: ExternalProvider,
        code: str,
        redirect_uri: str,
        verifier: str,
        nonce: str,
        now: float,
        assertion: AssertionSigner,
    ) -> ExternalProfile:
        """Who signed in: the code exchanged, then the verified ID token (OpenID Connect, completed by
        userinfo for the claims it lacks) or the userinfo answer (plain OAuth 2.0)."""
        endpoints = await self.endpoints(provider, now)
        tokens = await self.exchange(provider, endpoints, code, redirect_uri, verifier, assertion)
        mapping = {**DEFAULT_CLAIMS, **provider.claim_mapping}
        if provider.kind == ProviderKind.OIDC.value:
            id_token = tokens.get("id_token")
            if not isinstance(id_token, str):
                raise _answer_invalid("The provider's token answer holds no ID token.")
            claims = await self.verify_id_token(provider, endpoints, id_token, nonce, now)
            if mapping["email"] not in claims and endpoints.userinfo:
                info = await self.userinfo(endpoints, tokens["access_token"])
                if info.get("sub") != claims["sub"]:
                    raise _answer_invalid("The userinfo answer is about another subject.")
                claims = {**info, **claims}
            subject = claims["sub"]
        else:
            claims = await self.userinfo(endpoints, tokens["access_token"])
            subject = claims.get(mapping["subject"])
        if isinstance(subject, int):
            subject = str(subject)
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise _answer_invalid("The provider's answer names no subject.")
        email = claims.get(mapping["email"])
        verified = claims.get(mapping["emailVerified"])
        name = claims.get(mapping["name"])
        return ExternalProfile(
            subject=subject,
            email=email.strip() if isinstance(email, str) and email.strip() else None,
            email_verified=verified is True or verified == "true",
            name=name.strip()[:200] if isinstance(name, str) and name.strip() else None,
            # Only the claims the answer holds: an absent one is a missing field, not a null value.
            custom_fields={
                field: claims[claim] for field, claim in provider.custom_field_claims.items() if claim in claims
            },
        )


async def client_assertion(services: Services, client_id: str, audience: str) -> str:
    """A PRIVATE_KEY_JWT client assertion: signed with the key that signs access tokens, whose public half
    the provider reads from this server's JWKS; single use by its ``jti``, and short-lived."""
    key = await services.signing_keys.signer(services.clock)
    issued = int(services.clock.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + CLIENT_ASSERTION_LIFETIME_SECONDS,
        "jti": secrets.token_urlsafe(16),
    }
    return pyjwt.encode(claims, key.private, algorithm=key.algorithm, headers={"kid": key.kid})


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


def _form_encode(value: str) -> str:
    return quote_plus(value)
