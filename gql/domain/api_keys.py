"""Scoped API keys: backend keys that hold only the permissions they were made with.

A key reads ``mbk_<prefix>_<secret>``. The prefix (public, unique) finds its row in one indexed
SELECT; the secret is compared as a SHA-256 digest in constant time, so a key is checked in
O(1) whatever the number of keys, and the database holds no usable key (the secret has 256
random bits: a fast hash is enough, nothing to guess). The key is shown once, when made.
``MEMBERS_ADMIN_API_KEY`` stays the bootstrap key holding every permission.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gql.db.models import ApiKey
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.audit import AuditKind, audit
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.lookup import parse_id
from gql.domain.permissions import Grants, Permission, checked_site_permissions, grants_of_role

if TYPE_CHECKING:
    from gql.domain.services import Services

KEY = re.compile(r"^mbk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
# How stale lastUsedDate may be: a key used all day writes its row once a minute, not per request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKeyRecord:
    id: uuid.UUID
    name: str
    prefix: str
    grants: Grants
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyRecord:
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            grants=grants_of_role("", row.permissions, row.site_permissions),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
        )


@dataclass(frozen=True)
class NewApiKey:
    record: ApiKeyRecord
    key: str  # shown once


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_key() -> tuple[str, str, str]:
    """(key, prefix, secret)."""
    prefix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    return f"mbk_{prefix}_{secret}", prefix, secret


async def make_key(
    services: Services, name: str, grants: Grants, created_by: uuid.UUID | None = None, caller: Caller | None = None
) -> NewApiKey:
    """Store a new key (its prefix and the digest of its secret) and return it once."""
    if not 1 <= len(name.strip()) <= 200:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT, "A key's name is 1 to 200 characters.", property="name", limit=200
        )
    key, prefix, secret = _new_key()
    async with in_transaction() as connection:
        row = await ApiKey.create(
            name=name.strip(),
            prefix=prefix,
            secret_hash=_digest(secret),
            permissions=sorted(p.value for p in grants.permissions),
            site_permissions=sorted(grants.site_permissions),
            created_by_member_id=created_by,
            created_at=services.clock.now(),
            using_db=connection,
        )
        if caller is not None:
            await audit(
                services,
                connection,
                caller,
                AuditKind.API_KEY_CREATED,
                apiKeyId=str(row.id),
                name=row.name,
                permissions=row.permissions,
            )
    return NewApiKey(ApiKeyRecord.of(row), key)


async def create_api_key(
    services: Services, caller: Caller, name: str, permissions: list[Permission], site_permissions: list[str]
) -> NewApiKey:
    """A new key holding at most what the caller holds (3214 otherwise)."""
    await access.require(caller, Permission.API_KEYS_MANAGE)
    grants = Grants(frozenset(permissions), checked_site_permissions(site_permissions))
    held = await access.grants_of(caller)
    if not held.covers(grants):
        raise DomainError(ErrorCode.CANNOT_GRANT, "A key cannot hold what its maker does not.", property="permissions")
    return await make_key(services, name, grants, caller.member_id, caller)


async def list_api_keys(caller: Caller) -> list[ApiKeyRecord]:
    await access.require(caller, Permission.API_KEYS_MANAGE)
    return [ApiKeyRecord.of(row) for row in await ApiKey.all().order_by("created_at", "id")]


async def revoke_api_key(services: Services, caller: Caller, key_id: str) -> ApiKeyRecord:
    await access.require(caller, Permission.API_KEYS_MANAGE)
    parsed = parse_id(key_id)
    row = await ApiKey.get_or_none(id=parsed) if parsed is not None else None
    if row is None:
        raise DomainError(ErrorCode.API_KEY_NOT_FOUND, property="id")
    record_ = ApiKeyRecord.of(row)
    held = await access.grants_of(caller)
    if not held.covers(record_.grants):  # nobody revokes a key mightier than itself
        raise DomainError(ErrorCode.CANNOT_GRANT, "You cannot revoke a key that holds more than you.", property="id")
    async with in_transaction() as connection:
        await ApiKey.filter(id=row.id).using_db(connection).delete()
        await audit(services, connection, caller, AuditKind.API_KEY_REVOKED, apiKeyId=str(row.id), name=row.name)
    return record_


async def key_grants(services: Services, key: str) -> tuple[uuid.UUID, Grants] | None:
    """The key's id and grants, or None when it is no live key. One SELECT (and now and then an UPDATE)."""
    match = KEY.match(key)
    if match is None:
        return None
    prefix, secret = match.groups()
    row = await ApiKey.get_or_none(prefix=prefix)
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        return None
    now = services.clock.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        await ApiKey.filter(id=row.id).update(last_used_at=now)
    return row.id, ApiKeyRecord.of(row).grants
