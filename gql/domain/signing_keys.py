"""The keys that sign access tokens: creating, storing, rotating, publishing them.

Keys are asymmetric (ES256 on P-256, or EdDSA on Ed25519: ``MEMBERS_ACCESS_TOKEN_ALGORITHM``),
so a service verifies tokens with the public half from ``/.well-known/jwks.json`` and never holds
anything that could sign one. They live in the ``signing_key`` table, shared by every server
process; each process re-reads the table at most every ``MEMBERS_SIGNING_KEY_REFRESH_SECONDS``
(its copy is good that long), so a rotation reaches every process without a restart.

- **Private halves** never leave the server: stored AES-256-GCM-encrypted under a key derived
  from ``MEMBERS_SECRET_KEY`` for this use only (as gql/domain/cursors.py derives its own), with
  the key id as associated data so a ciphertext cannot be moved to another row; or, when the
  operator gives one (``rotate-signing-key --private-key-file``), in a PEM file every server reads
  at that path, the row holding only the path. Neither is returned, printed or logged.
- **Generations**: each key has a generation number (unique). The signer is the newest
  generation whose ``signs_from`` has come. Two processes that find no key at once both try to
  create generation 1; the unique index lets one win and the other reads the winner's.
- **Rotation** (``python -m gql rotate-signing-key``) adds the next generation, signing from
  twice the refresh interval later: by then every process has read it and every verifier that
  caches the JWKS for its ``max-age`` (the refresh interval) has seen it. So no token is ever
  signed by a key a verifier could not have fetched.
- **Publication**: a key is published from its creation until every token it can have signed
  has expired: until its successor's ``signs_from``, plus one refresh interval (processes
  still signing with their old copy), plus the access-token lifetime, plus ``CLOCK_LEEWAY``.
  Rotation deletes keys past that.
- A key that cannot be decrypted (``MEMBERS_SECRET_KEY`` changed) is replaced by a new
  generation at once, with a warning; a key file that cannot be read is an error, not
  replaced: that is a deployment to fix, not a key to lose.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm
from tortoise.exceptions import IntegrityError

from gql.config import Config
from gql.db.models import SigningKey
from gql.domain.clock import Clock
from gql.domain.encoding import b64url_encode
from gql.domain.sealing import Sealer

logger = logging.getLogger("gql.signing_keys")

_PURPOSE = b"members/signing-key/v1"
# Clocks of this server and of verifiers may differ this much.
CLOCK_LEEWAY = timedelta(seconds=60)

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


class SigningKeyError(RuntimeError):
    """A key the server needs cannot be used (an unreadable key file, an unsupported key type)."""


@dataclass(frozen=True)
class LoadedKey:
    """One key as a process holds it: the public JWK, and the private half when it could be read."""

    kid: str
    generation: int
    algorithm: str
    public_jwk: dict[str, Any]
    signs_from: datetime
    from_file: str | None
    private: PrivateKey | None = field(default=None, repr=False, compare=False)

    def jwk(self) -> dict[str, Any]:
        """As published in the JWKS."""
        return {**self.public_jwk, "kid": self.kid, "use": "sig", "alg": self.algorithm}


def _generate(algorithm: str) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise SigningKeyError(f"unsupported signing algorithm {algorithm!r}")


def algorithm_of(key: PrivateKey) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise SigningKeyError("a signing key must be an EC P-256 (ES256) or an Ed25519 (EdDSA) private key")


def public_jwk(key: PrivateKey) -> dict[str, Any]:
    """The public half as a JWK (kty, crv, x[, y]): no private member, ever."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        jwk = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {name: jwk[name] for name in ("kty", "crv", "x", "y") if name in jwk}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: the SHA-256 of the required members in lexicographic order; the key id."""
    canonical = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()
    return b64url_encode(hashlib.sha256(canonical).digest())


def load_key_file(path: str) -> PrivateKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"signing key file {path} cannot be read: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(f"signing key file {path} holds no unencrypted PEM private key") from None
    algorithm_of(key)  # refuses other key types
    return key  # type: ignore[return-value]


class SigningKeys:
    """Each process's view of the ``signing_key`` table, re-read at most every refresh interval."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._sealer = Sealer(config.secret_key, _PURPOSE)
        self._keys: list[LoadedKey] = []
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def refresh(self) -> timedelta:
        return timedelta(seconds=self._config.signing_key_refresh_seconds)

    # --- storage -------------------------------------------------------------------------

    def _encrypt(self, kid: str, key: PrivateKey) -> str:
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return self._sealer.seal(der, kid)

    def _decrypt(self, row: SigningKey) -> PrivateKey | None:
        """The private half, or None when this process cannot have it (another secret encrypted it,
        or its file is not readable here: then the key still publishes, and signs nowhere here)."""
        if row.private_key_file:
            try:
                return load_key_file(row.private_key_file)
            except SigningKeyError as exc:
                logger.error("signing key %s: %s", row.kid, exc)
                return None
        der = self._sealer.open(row.private_key or "", row.kid)
        if der is None:
            return None  # another MEMBERS_SECRET_KEY wrote it
        return serialization.load_der_private_key(der, password=None)  # type: ignore[return-value]

    def _loaded(self, row: SigningKey) -> LoadedKey:
        return LoadedKey(
            kid=row.kid,
            generation=row.generation,
            algorithm=row.algorithm,
            public_jwk=dict(row.public_jwk),
            signs_from=row.signs_from,
            from_file=row.private_key_file,
            private=self._decrypt(row),
        )

    async def _read(self, clock: Clock) -> None:
        rows = await SigningKey.all().order_by("generation")
        self._keys = [self._loaded(row) for row in rows]
        self._read_at = clock.time()

    def _stale(self, clock: Clock) -> bool:
        return self._read_at is None or clock.time() - self._read_at >= self._config.signing_key_refresh_seconds

    async def keys(self, clock: Clock) -> list[LoadedKey]:
        """Every stored key, oldest generation first, as of at most one refresh interval ago."""
        if self._stale(clock):
            async with self._lock:
                if self._stale(clock):  # another task may have read them meanwhile
                    await self._read(clock)
        return self._keys

    async def add(
        self,
        clock: Clock,
        *,
        algorithm: str | None = None,
        private_key_file: str | None = None,
        signs_from: datetime | None = None,
    ) -> LoadedKey | None:
        """Store the next generation (a new key, or the one in ``private_key_file``); None when another
        process stored that generation first. Its private half is never returned by this call's users."""
        if private_key_file:
            path = str(Path(private_key_file).resolve())
            key = load_key_file(path)
        else:
            path = None
            key = _generate(algorithm or self._config.access_token_algorithm)
        jwk = public_jwk(key)
        kid = thumbprint(jwk)
        latest = await SigningKey.all().order_by("-generation").first()
        now = clock.now()
        try:
            row = await SigningKey.create(
                kid=kid,
                generation=(latest.generation + 1) if latest else 1,
                algorithm=algorithm_of(key),
                public_jwk=jwk,
                private_key=None if path else self._encrypt(kid, key),
                private_key_file=path,
                created_at=now,
                signs_from=signs_from or now,
            )
        except IntegrityError:
            return None  # that generation (or that very key) is stored already
        self._read_at = None
        return self._loaded(row)

    # --- which key signs, which are published ----------------------------------------------

    def _signer_among(self, keys: list[LoadedKey], now: datetime) -> LoadedKey | None:
        current = [key for key in keys if key.signs_from <= now]
        return current[-1] if current else None

    async def signer(self, clock: Clock) -> LoadedKey:
        """The key to sign with now; the first one is made when there is none (or none this process can read)."""
        for _attempt in range(3):
            current = self._signer_among(await self.keys(clock), clock.now())
            if current is not None and current.private is not None:
                return current
            if current is not None and current.from_file:
                raise SigningKeyError(f"signing key {current.kid}: its file {current.from_file} cannot be read here")
            if current is not None:
                logger.warning(
                    "signing key %s cannot be decrypted with this MEMBERS_SECRET_KEY: a new key replaces it",
                    current.kid,
                )
            await self.add(clock)
            await self._read(clock)
        raise SigningKeyError("no signing key could be made")

    def _published_until(self, key: LoadedKey, successor: LoadedKey | None) -> datetime | None:
        """None while it is (or will be) the signer; else when the last token it may have signed expires."""
        if successor is None:
            return None
        lifetime = timedelta(seconds=self._config.access_token_ttl_seconds)
        return successor.signs_from + self.refresh + lifetime + CLOCK_LEEWAY

    async def published(self, clock: Clock) -> list[LoadedKey]:
        """The keys verifiers need now: every key from its creation until its last token expired."""
        keys = await self.keys(clock)
        if not keys:
            await self.signer(clock)  # a fresh database publishes its first key before it signs anything
            keys = await self.keys(clock)
        now = clock.now()
        shown = []
        for index, key in enumerate(keys):
            until = self._published_until(key, keys[index + 1] if index + 1 < len(keys) else None)
            if until is None or now < until:
                shown.append(key)
        return shown

    async def verification_key(self, clock: Clock, kid: str) -> LoadedKey | None:
        return next((key for key in await self.published(clock) if key.kid == kid), None)

    async def rotate(
        self, clock: Clock, algorithm: str | None = None, private_key_file: str | None = None
    ) -> LoadedKey:
        """A new generation that signs from twice the refresh interval on; keys whose tokens have all
        expired are deleted."""
        await self._read(clock)
        if not self._keys:
            await self.signer(clock)  # the first key, so that the new one has something to succeed
        added = await self.add(
            clock, algorithm=algorithm, private_key_file=private_key_file, signs_from=clock.now() + 2 * self.refresh
        )
        if added is None:
            raise SigningKeyError("another rotation stored the next key at the same moment; run it again")
        await self._read(clock)
        shown = {key.kid for key in await self.published(clock)}
        gone = [key.kid for key in self._keys if key.kid not in shown]
        if gone:
            await SigningKey.filter(kid__in=gone).delete()
            await self._read(clock)
        return added
