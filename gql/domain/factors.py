"""Which second factors a member has: the one rule behind ``member.mfa_enabled``.

A member has a second factor when it has a confirmed authenticator app (TOTP, gql/domain/totp.py)
or at least one passkey (gql/domain/passkeys.py). ``member.mfa_enabled`` caches the answer on the
row (a sign-in knows without another query); every change to a factor calls ``settle`` in its
transaction, which writes the flag from this rule.
"""

from __future__ import annotations

import uuid

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member, Passkey, TotpFactor
from gql.domain.changes import change
from gql.domain.services import Services
from gql.domain.statuses import SecondFactor


async def methods_of(member_id: uuid.UUID, connection: BaseDBAsyncClient | None = None) -> tuple[SecondFactor, ...]:
    """The second factors ``member_id`` can prove now (verifyMfa accepts these)."""
    methods: list[SecondFactor] = []
    if await TotpFactor.filter(member_id=member_id, confirmed_at__not_isnull=True).using_db(connection).exists():
        methods += [SecondFactor.TOTP, SecondFactor.RECOVERY_CODE]
    if await Passkey.filter(member_id=member_id).using_db(connection).exists():
        methods.append(SecondFactor.PASSKEY)
    return tuple(methods)


async def settle(services: Services, member: Member, connection: BaseDBAsyncClient) -> None:
    """Write ``member.mfa_enabled`` from the factors the member has now (in the change's transaction)."""
    enabled = bool(await methods_of(member.id, connection))
    if member.mfa_enabled != enabled:
        await change(member, connection, mfa_enabled=enabled, updated_at=services.clock.now())
