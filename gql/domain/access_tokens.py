"""Access tokens: short-lived JWTs other services verify on their own.

``issueAccessToken(audience)`` gives a signed-in member a JWT signed with this server's current
signing key (gql/domain/signing_keys.py: ES256 or EdDSA, never a shared secret), valid
``MEMBERS_ACCESS_TOKEN_TTL_SECONDS`` (15 minutes). A service verifies it with the public keys
at ``/.well-known/jwks.json`` (standard middleware does: PyJWT's ``PyJWKClient``, ``jose``'s
``createRemoteJWKSet``, API gateways), checking ``iss`` and its own ``aud``.

Claims: ``iss`` (``MEMBERS_PUBLIC_URL``), ``sub`` (member id), ``aud`` (the audience asked for,
else the issuer), ``iat``, ``exp``, ``jti``, ``sid`` (the session it was issued for), ``email``
(absent for a guest), ``email_verified``, ``status``, ``amr`` (how the session was obtained,
``AMR``), and whatever ``authorization_claims`` adds (``roles``/``permissions`` once roles exist).

A token cannot be revoked: it lives out its few minutes. A service that wants revocation to
count asks ``validateSession(token)`` with it, which answers for its ``sid`` (the session may
have ended since the token was issued).
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import jwt

from gql.db.models import Member, Session
from gql.db.transactions import in_transaction
from gql.domain import mfa_policy
from gql.domain.caller import Caller, CallerKind
from gql.domain.encoding import EncodingError, b64url_decode
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.services import Services
from gql.domain.sessions import live_session_by_id
from gql.domain.statuses import MemberStatus, SecondFactor, SessionMethod

# RFC 8176 values where one fits; "approval" and "guest" name this server's own ways in.
AMR: dict[SessionMethod, tuple[str, ...]] = {
    SessionMethod.PASSWORD: ("pwd",),
    SessionMethod.REGISTRATION: ("pwd",),
    SessionMethod.APPROVAL: ("approval",),
    SessionMethod.RESET: ("email", "pwd"),
    SessionMethod.GUEST: ("guest",),
    # RFC 8176 "fed": federated authentication (an external OpenID Connect or OAuth 2.0 provider).
    SessionMethod.EXTERNAL: ("fed",),
    SessionMethod.TRUSTED: ("trusted",),
    SessionMethod.CODE: ("email", "otp"),
    # RFC 8176 "hwk": proof of a hardware-secured key; "user": user presence and verification.
    SessionMethod.PASSKEY: ("hwk", "user"),
}
# RFC 8176 values for the second factor the session proved: a TOTP code is "otp"; either is "mfa".
SECOND_FACTOR_AMR: dict[SecondFactor, tuple[str, ...]] = {
    SecondFactor.TOTP: ("otp", "mfa"),
    SecondFactor.RECOVERY_CODE: ("mfa",),
    SecondFactor.PASSKEY: ("hwk", "mfa"),
}
AUDIENCE_LENGTH = 500
_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class AccessToken:
    token: str
    audience: str
    session_id: uuid.UUID
    expires_at: datetime


async def authorization_claims(member: Member, session: Caller) -> dict[str, Any]:
    """The claims that say what the member may do with ``session``: its ``roles`` (names, computed ones
    included), its ``permissions`` over this server and the site's own ``site_permissions``. A role that
    requires MFA is left out of all three unless the session proved a second factor
    (gql/domain/mfa_policy.py): a service reading the token must not grant what this server would not."""
    from gql.domain import access, roles
    from gql.domain.statuses import MemberStatus

    held = await roles.roles_of_members([(member.id, MemberStatus(member.status))])
    grants = await access.grants_in_force(member.id, session)
    return {
        "roles": [role.name for role in held[member.id] if mfa_policy.role_in_force(role.require_mfa, session)],
        "permissions": sorted(p.value for p in grants.permissions),
        "site_permissions": sorted(grants.site_permissions),
    }


def issuer(services: Services) -> str:
    return services.config.link_base


def _audience(services: Services, asked: str | None) -> str:
    if asked is None:
        return issuer(services)
    allowed = services.config.access_token_audiences
    if not asked.strip() or len(asked) > AUDIENCE_LENGTH or (allowed and asked not in allowed):
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            "This audience is not one access tokens are issued for."
            if allowed
            else f"An audience is 1 to {AUDIENCE_LENGTH} characters.",
            property="audience",
        )
    return asked


async def issue_access_token(services: Services, caller: Caller, audience: str | None = None) -> AccessToken:
    """A JWT for the caller's session; refused (3028) without a live session of a member that may hold one."""
    await services.rate_limits.take("issueAccessToken", caller)
    caller.require_member()
    aud = _audience(services, audience)
    # The session and its member again, in one SELECT: it may have ended since the request began.
    session = await live_session_by_id(services, caller.session_id or "", with_member=True)
    if session is None:
        raise DomainError(ErrorCode.NOT_LOGGED_IN, "The session has ended.")
    member: Member = session.member
    second_factor = SecondFactor(session.second_factor) if session.second_factor else None
    as_session = Caller(
        CallerKind.MEMBER,
        member_id=member.id,
        second_factor=second_factor,
        mfa_enabled=member.mfa_enabled,
        enrolment_only=await mfa_policy.enrolment_only(services, member, second_factor),
    )
    # Whole seconds, as the claims say them: expiresDate is exactly the token's exp.
    issued = int(services.clock.time())
    expires = datetime.fromtimestamp(issued + services.config.access_token_ttl_seconds, timezone.utc)
    claims: dict[str, Any] = {
        "iss": issuer(services),
        "sub": str(member.id),
        "aud": aud,
        "iat": issued,
        "exp": int(expires.timestamp()),
        "jti": secrets.token_urlsafe(16),
        "sid": str(session.id),
        "email_verified": member.email_verified,
        "status": MemberStatus(member.status).value,
        "amr": [
            *AMR[SessionMethod(session.method)],
            *(SECOND_FACTOR_AMR[SecondFactor(session.second_factor)] if session.second_factor else ()),
        ],
        **(await authorization_claims(member, as_session)),
    }
    if member.login_email:
        claims["email"] = member.login_email
    key = await services.signing_keys.signer(services.clock)
    token = jwt.encode(claims, key.private, algorithm=key.algorithm, headers={"kid": key.kid})
    async with in_transaction() as connection:
        await record(
            services,
            connection,
            caller,
            member.id,
            EventKind.ACCESS_TOKEN_ISSUED,
            sessionId=str(session.id),
            audience=aud,
            jti=claims["jti"],
            expiresDate=expires.isoformat(),
        )
    return AccessToken(token=token, audience=aud, session_id=session.id, expires_at=expires)


def looks_like_jwt(token: str) -> bool:
    return _JWS.fullmatch(token) is not None


async def verified_claims(services: Services, token: str) -> dict[str, Any] | None:
    """The claims of an access token this server issued and that has not expired, or None.

    Checked as a verifier would: a published key (by ``kid``, with its own algorithm only),
    the issuer, the expiry; any audience. Segments must be canonical base64url."""
    if not looks_like_jwt(token):
        return None
    try:
        for segment in token.split("."):
            b64url_decode(segment)
        header = jwt.get_unverified_header(token)
    except (EncodingError, jwt.PyJWTError):
        return None
    kid = header.get("kid")
    key = await services.signing_keys.verification_key(services.clock, kid) if isinstance(kid, str) else None
    if key is None:
        return None
    try:
        claims = jwt.decode(
            token,
            jwt.PyJWK(key.jwk()).key,
            algorithms=[key.algorithm],
            issuer=issuer(services),
            # The expiry is checked below on the rules' clock (Services.clock), not PyJWT's.
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "require": ["exp", "iat", "sub", "sid", "jti"],
            },
        )
    except jwt.PyJWTError:
        return None
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires <= services.clock.time():
        return None
    return claims


async def session_of_claims(services: Services, claims: dict[str, Any]) -> Session | None:
    """The live session a verified access token was issued for (one SELECT), or None."""
    session = await live_session_by_id(services, str(claims.get("sid", "")))
    if session is None or str(session.member_id) != claims.get("sub"):  # type: ignore[attr-defined]
        return None
    return session
