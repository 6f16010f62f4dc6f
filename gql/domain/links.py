"""Emailed links (and the approval token): what each is bound to, issuing one, opening one.

A link works once — its ``jti`` must be the member row's current one for its purpose — and
only for the account it was issued for. Each token carries a keyed fingerprint of that
account's state:

- the login email (``email_key``),
- whether the member is blocked,
- the member's security stamp, a counter raised by a block, a password change and a password
  reset (``ending_links``): unblocking does not bring a link from before the block back,
- for confirmation and password links, the password hash.

Change any of them — change the login email, change or reset the password, block, unblock,
delete the member — and every link outstanding for it is dead, without a line of code at the
place of the change. So a password link never marks an address verified that it was not sent
to: it dies when the address changes.

A mail never stores its link either: the outbox keeps what is needed to write the token
(purpose, member, jti, fingerprint, time of issue), and the worker writes it when it sends,
so no live token sits in the database (gql/worker.py).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q

from gql.db.models import Member
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.lookup import find_by_id
from gql.domain.services import Services
from gql.domain.statuses import MemberStatus
from gql.domain.tokens import Purpose, TokenClaim

# The page each emailed link opens, and the member column holding its purpose's one live jti.
PATHS: dict[Purpose, str] = {Purpose.CONFIRM: "/confirm-email", Purpose.RESET: "/reset-password"}
JTI_FIELDS: dict[Purpose, str] = {
    Purpose.APPROVE: "approval_jti",
    Purpose.CONFIRM: "confirm_jti",
    Purpose.RESET: "reset_jti",
}


def ending_links() -> dict[str, object]:
    """The member-row change that ends every outstanding link and approval token of the member
    (a block, a password change or reset make it, with their own change)."""
    return {"security_stamp": F("security_stamp") + 1}


def _state(purpose: Purpose, member: Member) -> str:
    # The same text as before issue 13 (the counter was the session epoch, renamed): links
    # issued before the upgrade keep working.
    parts = [member.email_key or "", str(member.status == MemberStatus.BLOCKED), str(member.security_stamp)]
    if purpose.binds_password:
        parts.append(member.password_hash or "")
    return "\n".join(parts)


def fingerprint(services: Services, purpose: Purpose, member: Member) -> str:
    return services.tokens.fingerprint(purpose, _state(purpose, member))


def unchanged(purpose: Purpose, member: Member) -> Q:
    """The state a link was checked against, as a filter: a conditional UPDATE with it fails
    if the account changed between the check and the write."""

    def equal(name: str, value: Any) -> Q:
        return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})

    guard = equal("email_key", member.email_key) & Q(security_stamp=member.security_stamp)
    guard &= (
        Q(status=MemberStatus.BLOCKED) if member.status == MemberStatus.BLOCKED else ~Q(status=MemberStatus.BLOCKED)
    )
    if purpose.binds_password:
        guard &= equal("password_hash", member.password_hash)
    return guard


@dataclass(frozen=True)
class Link:
    """What the outbox keeps instead of a token; the token is written again from it when the mail goes out."""

    purpose: Purpose
    member_id: uuid.UUID
    jti: str
    fingerprint: str
    issued_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "purpose": self.purpose.name,
            "memberId": str(self.member_id),
            "jti": self.jti,
            "fingerprint": self.fingerprint,
            "issuedAt": self.issued_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Link:
        return cls(
            purpose=Purpose[data["purpose"]],
            member_id=uuid.UUID(data["memberId"]),
            jti=data["jti"],
            fingerprint=data["fingerprint"],
            issued_at=datetime.fromisoformat(data["issuedAt"]),
        )

    def token(self, services: Services) -> str:
        return services.tokens.issue(self.purpose, self.member_id, self.jti, self.fingerprint, self.issued_at)

    def still_valid(self, services: Services, member: Member | None) -> bool:
        """Would the link open now? (The worker does not mail a link that is already dead.)"""
        return (
            member is not None
            and getattr(member, JTI_FIELDS[self.purpose]) == self.jti
            and hmac.compare_digest(self.fingerprint, fingerprint(services, self.purpose, member))
        )


def new_link(services: Services, purpose: Purpose, member: Member) -> Link:
    """A link for ``member``'s current jti of ``purpose`` and its current state."""
    jti = getattr(member, JTI_FIELDS[purpose])
    assert jti, f"{purpose} link for a member without a {JTI_FIELDS[purpose]}"
    return Link(purpose, member.id, jti, fingerprint(services, purpose, member), datetime.now(timezone.utc))


def issue(services: Services, purpose: Purpose, member: Member) -> str:
    """The token itself, for callers that hand it out directly (the approval token to the backend)."""
    return new_link(services, purpose, member).token(services)


async def read_link(
    services: Services, purpose: Purpose, token: str, connection: BaseDBAsyncClient | None = None
) -> tuple[TokenClaim, Member]:
    """The claim of a genuine link and its member, whatever became of the link since it was sent.

    3201 for a forged or malformed link, 3202 when expired, 3030 when the member is gone.
    ``open_link`` adds what makes a link usable now; this alone opens nothing."""
    claim = services.tokens.read(purpose, token)
    member = await find_by_id(claim.member_id, connection)
    if member is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, f"The member of this {purpose.label} link no longer exists.")
    return claim, member


def bound(services: Services, purpose: Purpose, claim: TokenClaim, member: Member) -> bool:
    """Is the account still as it was when the link was issued (address, status, stamp, password)?"""
    return hmac.compare_digest(claim.fingerprint, fingerprint(services, purpose, member))


async def open_link(
    services: Services, purpose: Purpose, token: str, connection: BaseDBAsyncClient | None = None
) -> tuple[TokenClaim, Member]:
    """The claim and the member of a link that is genuine and still bound to the account as it is.

    3201 for a forged, malformed or stale link (the account changed since it was sent), 3202
    when expired, 3203 when used or replaced by a newer one, 3030 when the member is gone, 3000
    when it is blocked. It spends nothing: the caller's conditional UPDATE (``unchanged`` and the
    jti) spends the link and settles races.
    """
    claim, member = await read_link(services, purpose, token, connection)
    if member.status == MemberStatus.BLOCKED:
        raise DomainError(ErrorCode.LOGIN_DISABLED, f"The account is blocked; its {purpose.label} link is refused.")
    if getattr(member, JTI_FIELDS[purpose]) != claim.jti:
        raise DomainError(
            ErrorCode.TOKEN_USED,
            f"This {purpose.label} link was already used or replaced by a newer one.",
            property="token",
        )
    if not bound(services, purpose, claim, member):
        raise DomainError(
            ErrorCode.TOKEN_INVALID,
            f"This {purpose.label} link was issued before the account changed (its email, password or status); "
            "ask for a new one.",
            property="token",
        )
    return claim, member
