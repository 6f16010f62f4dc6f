"""Persisted queries: documents sent once and then named by their SHA-256 hash.

Apollo's APQ protocol (``PersistedQueryLink``, urql's ``persistedExchange``): the request's
``extensions.persistedQuery`` is ``{"version": 1, "sha256Hash": "<64 hex digits>"}``.

- hash without ``query``: the stored document runs; an unknown hash is answered
  ``PersistedQueryNotFound`` (3257; the client then sends the document with its hash);
- hash with ``query``: the hash must be the SHA-256 of the query's UTF-8 text (3259 if not);
  the document runs and, once it has parsed and validated, is stored under its hash;
- over GET too (``?extensions={…}``), for queries: a stored mutation sent over GET is 405.

``MEMBERS_PERSISTED_QUERIES`` picks the mode:

- ``apq`` (default): the above; documents are stored in a bounded cache, in this process
  (an LRU of ``LRU_ENTRIES``) or, with ``MEMBERS_REDIS_URL``, in Redis, shared by every
  process, each key expiring ``REDIS_TTL_SECONDS`` after its last use. Documents longer than
  ``MAX_DOCUMENT_BYTES`` run but are not stored.
- ``safelist``: only the documents of the manifest ``MEMBERS_PERSISTED_QUERIES_MANIFEST``
  run — by hash, or sent in full when their hash is in the manifest; anything else is 3258.
  The manifest is the ``persisted-documents.json`` GraphQL Code Generator's client preset
  writes (``{"<sha256>": "<document>"}``, with ``hashAlgorithm: "sha256"``).
- ``off``: ``extensions.persistedQuery`` is ignored; a hash without a document is answered
  ``PersistedQueryNotSupported`` (3259), which makes Apollo's link stop sending hashes.

A persisted document is only a way to name the text: it runs through ``schema.execute`` like
any other, so every limit (tokens, depth, aliases, list lengths), the API-key guard, the
rate limits and the parser and validation caches apply to it.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gql.config import Config, ConfigError
from gql.domain.errors import ErrorCode

logger = logging.getLogger("gql.persisted_queries")

LRU_ENTRIES = 1000
REDIS_TTL_SECONDS = 3600
MAX_DOCUMENT_BYTES = 32_768
NOT_FOUND = "PersistedQueryNotFound"  # Apollo's link matches this exact message
NOT_SUPPORTED = "PersistedQueryNotSupported"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Mode(enum.Enum):
    APQ = "apq"
    SAFELIST = "safelist"
    OFF = "off"


class PersistedQueryError(Exception):
    """The request is refused before anything runs: a request-level error with its code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Resolved:
    """The document to run; ``store_as`` is set when it is to be stored once it validates."""

    query: str | None
    store_as: str | None = None


# --- stores ---------------------------------------------------------------------------------


class DocumentStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...

    async def close(self) -> None: ...


class LruStore:
    """This process's documents, the ``capacity`` most recently used."""

    def __init__(self, capacity: int = LRU_ENTRIES) -> None:
        self.capacity = capacity
        self.documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        document = self.documents.get(sha256)
        if document is not None:
            self.documents.move_to_end(sha256)
        return document

    async def put(self, sha256: str, document: str) -> None:
        self.documents[sha256] = document
        self.documents.move_to_end(sha256)
        while len(self.documents) > self.capacity:
            self.documents.popitem(last=False)

    async def close(self) -> None:
        return None


class RedisStore:
    """Documents in Redis, shared by every process: one key per hash, expiring ``ttl``
    seconds after its last use (a hit renews it). When Redis cannot be reached, lookups
    miss and nothing is stored (logged every 10 s): clients then send their documents."""

    def __init__(self, url: str, prefix: str, ttl: int = REDIS_TTL_SECONDS) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix + "apq:"
        self.ttl = ttl
        self._last_warning = 0.0

    def _unreachable(self) -> None:
        if time.monotonic() - self._last_warning > 10:
            self._last_warning = time.monotonic()
            logger.warning("persisted queries not shared: Redis unreachable", exc_info=True)

    async def get(self, sha256: str) -> str | None:
        from redis.exceptions import RedisError

        try:
            found = await self.client.getex(self.prefix + sha256, ex=self.ttl)
        except (RedisError, OSError):
            self._unreachable()
            return None
        return found.decode("utf-8") if found is not None else None

    async def put(self, sha256: str, document: str) -> None:
        from redis.exceptions import RedisError

        try:
            await self.client.set(self.prefix + sha256, document.encode("utf-8"), ex=self.ttl)
        except (RedisError, OSError):
            self._unreachable()

    async def close(self) -> None:
        await self.client.aclose()


# --- the safelist manifest ------------------------------------------------------------------


def load_manifest(path: Path) -> dict[str, str]:
    """``{"<sha256>": "<document>"}``; refuses (ConfigError) anything else, and any key that
    is not the SHA-256 of its document (a manifest written with another hash algorithm)."""
    where = f"MEMBERS_PERSISTED_QUERIES_MANIFEST ({path})"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{where} is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or not manifest:
        raise ConfigError(f'{where} must be a JSON object {{"<sha256>": "<document>", …}} with at least one document')
    documents: dict[str, str] = {}
    for key, document in manifest.items():
        if not isinstance(document, str) or not document.strip():
            raise ConfigError(f"{where}: the value of {key!r} must be a GraphQL document")
        if key.lower() != sha256_hex(document):
            raise ConfigError(
                f"{where}: {key!r} is not the SHA-256 of its document "
                "(GraphQL Code Generator: set persistedDocuments.hashAlgorithm to 'sha256')"
            )
        documents[key.lower()] = document
    return documents


# --- the protocol ----------------------------------------------------------------------------


def _requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    if (
        not isinstance(persisted, dict)
        or persisted.get("version") != 1
        or not isinstance(digest, str)
        or not _SHA256.fullmatch(digest.lower())
    ):
        raise PersistedQueryError(
            ErrorCode.BAD_REQUEST,
            'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<64 hexadecimal digits>"}.',
        )
    return digest.lower()


def _check_hash(query: str, digest: str) -> None:
    if sha256_hex(query) != digest:
        raise PersistedQueryError(
            ErrorCode.BAD_REQUEST, "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query."
        )


class PersistedQueries:
    def __init__(self, mode: Mode, store: DocumentStore | None = None, safelist: Mapping[str, str] | None = None):
        self.mode = mode
        self.store = store or LruStore()
        self.safelist = dict(safelist or {})
        self.safelisted_texts = frozenset(self.safelist.values())

    @classmethod
    def from_config(cls, config: Config) -> PersistedQueries:
        mode = Mode(config.persisted_queries)
        if mode is Mode.SAFELIST:
            assert config.persisted_queries_manifest, "load_config requires the manifest in safelist mode"
            return cls(mode, safelist=load_manifest(Path(config.persisted_queries_manifest)))
        if mode is Mode.APQ and config.redis_url:
            return cls(mode, RedisStore(config.redis_url, config.redis_prefix))
        return cls(mode)

    async def resolve(self, query: str | None, extensions: Mapping[str, Any] | None) -> Resolved:
        """The document this request runs; raises ``PersistedQueryError`` to refuse it."""
        if self.mode is Mode.OFF:
            if query is None and (extensions or {}).get("persistedQuery") is not None:
                raise PersistedQueryError(ErrorCode.BAD_REQUEST, NOT_SUPPORTED)
            return Resolved(query)
        digest = _requested_hash(extensions)
        if self.mode is Mode.SAFELIST:
            return self._safelisted(query, digest)
        if digest is None:
            return Resolved(query)
        if query is None:
            stored = await self.store.get(digest)
            if stored is None:
                raise PersistedQueryError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, NOT_FOUND)
            return Resolved(stored)
        _check_hash(query, digest)
        fits = len(query.encode("utf-8")) <= MAX_DOCUMENT_BYTES
        return Resolved(query, store_as=digest if fits else None)

    def _safelisted(self, query: str | None, digest: str | None) -> Resolved:
        if digest is not None:
            if query is not None:
                _check_hash(query, digest)
            document = self.safelist.get(digest)
            if document is None:
                if query is None:
                    raise PersistedQueryError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, NOT_FOUND)
                raise PersistedQueryError(
                    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED, ErrorCode.PERSISTED_QUERY_NOT_ALLOWED.describe()
                )
            return Resolved(document)
        if query is not None and query not in self.safelisted_texts:
            raise PersistedQueryError(
                ErrorCode.PERSISTED_QUERY_NOT_ALLOWED, ErrorCode.PERSISTED_QUERY_NOT_ALLOWED.describe()
            )
        return Resolved(query)

    async def store_valid(self, resolved: Resolved) -> None:
        """Store a document sent with its hash, once it has parsed and validated."""
        if resolved.store_as is not None and resolved.query is not None:
            await self.store.put(resolved.store_as, resolved.query)

    async def close(self) -> None:
        await self.store.close()
