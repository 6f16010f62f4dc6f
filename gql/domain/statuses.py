"""The states a member, its profile and the registration settings can be in: declared once.

The schema's enums, the model fields and every rule use these; nothing spells the strings.
Each value carries its description, which the schema shows. ``StrEnum`` values are their own
names, so they compare equal to what the database holds.
"""

from __future__ import annotations

from enum import StrEnum


class Described(StrEnum):
    """A string enum whose members carry a description: ``NAME = "NAME", "what it means"``."""

    description: str

    def __new__(cls, value: str, description: str = "") -> Described:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


class MemberStatus(Described):
    """Where a member stands (Wix's member statuses, with Backendless's guests)."""

    PENDING = "PENDING", "Registered under manual approval; cannot log in until approved."
    APPROVED = "APPROVED", "May log in (once its email is confirmed, when confirmation is on)."
    BLOCKED = "BLOCKED", "May not log in; every session was ended."
    GUEST = "GUEST", "A guest login (no email, no password) until converted by register(options: {guestId})."


class PrivacyStatus(Described):
    """Whether other visitors may see the member's public profile."""

    PUBLIC = "PUBLIC", "Anybody may see the member's public profile (when it is APPROVED)."
    PRIVATE = "PRIVATE", "Only the member itself and the backend see the member."


class ActivityStatus(Described):
    """Wix's activity status."""

    ACTIVE = "ACTIVE", "The member takes part as usual."
    MUTED = "MUTED", "Muted by the site (it can still log in)."


class ApprovalMode(Described):
    """How a new registration is approved."""

    AUTOMATIC = "AUTOMATIC", "Registrations are approved at once and signed in."
    MANUAL = "MANUAL", "Registrations wait (PENDING) until the backend, or a holder of the approval token, approves."


class RegistrationStatus(Described):
    """What a registration ended in (the seed's ``RegistrationResult.status``).

    ``ACTIVE`` is the seed's word for "approved and signed in"; the member's own status is
    then ``APPROVED``.
    """

    ACTIVE = "ACTIVE", "Approved and signed in: sessionToken is set (the member's status is APPROVED)."
    PENDING = "PENDING", "Waits for approval (the member's status is PENDING); no session."
    EMAIL_CONFIRMATION_PENDING = (
        "EMAIL_CONFIRMATION_PENDING",
        "Approved, but no session until the emailed confirmation link is followed.",
    )


class SessionMethod(Described):
    """How a session was obtained (an access token's ``amr`` claim says the same)."""

    PASSWORD = "PASSWORD", "Logged in with identity and password."
    REGISTRATION = "REGISTRATION", "Registered with a password and signed in at once (automatic approval)."
    APPROVAL = "APPROVAL", "Signed in by its approval: the approval token, or the backend's approveByEmail."
    RESET = "RESET", "Set or reset its password with an emailed link, which signed it in."
    GUEST = "GUEST", "A guest login (no email, no password)."
    TRUSTED = "TRUSTED", "Opened by a trusted backend for a member a third party authenticated (generateSessionToken)."
    EXTERNAL = (
        "EXTERNAL",
        "Signed in through an external provider (OpenID Connect or OAuth 2.0: completeExternalLogin).",
    )
    CODE = "CODE", "Signed in without a password by a one-time code or link emailed to it (passwordless)."
    PASSKEY = "PASSKEY", "Signed in without a password by a passkey (WebAuthn) with user verification."


class SecondFactor(Described):
    """A second factor a member proves after its first one (gql/domain/mfa.py)."""

    TOTP = "TOTP", "A 6-digit code from an authenticator app (RFC 6238)."
    RECOVERY_CODE = "RECOVERY_CODE", "One of the single-use recovery codes handed out when TOTP was confirmed."
    PASSKEY = "PASSKEY", "A passkey (WebAuthn): an assertion for a challenge of startPasskeyMfa (or startPasskeyLogin)."


class ClientAuthMethod(Described):
    """How the server proves itself to a provider's token endpoint (OpenID Connect Core §9)."""

    CLIENT_SECRET_BASIC = (
        "CLIENT_SECRET_BASIC",
        "The client id and secret in an HTTP Basic Authorization header (the default every provider accepts).",
    )
    CLIENT_SECRET_POST = "CLIENT_SECRET_POST", "The client id and secret as fields of the token request's form."
    PRIVATE_KEY_JWT = (
        "PRIVATE_KEY_JWT",
        "A short-lived JWT signed with this server's signing key (no secret is stored); register this server's "
        "/.well-known/jwks.json as the client's JWKS URI at the provider.",
    )


class MfaPolicy(Described):
    """Whether the site requires a second factor of every member (gql/domain/mfa_policy.py)."""

    OPTIONAL = (
        "OPTIONAL",
        "Members choose whether to add a second factor; only roles with requireMfa ask one of their holders.",
    )
    REQUIRED = (
        "REQUIRED",
        "Every member (guests excepted) needs a second factor: a session that has not proved one may only enrol one "
        "(or prove it with reauthenticate); anything else is refused with 3243.",
    )


class SessionLimitPolicy(Described):
    """What happens when a sign-in would give a member more sessions than the limit allows."""

    END_OLDEST = "END_OLDEST", "The new session opens and the member's oldest sessions end."
    REFUSE = (
        "REFUSE",
        (
            "login (and loginWithCode, loginWithLinkToken) is refused with 3217 (TooManySessionsError) until a "
            "session ends; the other ways in "
            "(approval, password reset), which an emailed link or the backend drives, end the oldest instead."
        ),
    )


class ProviderKind(Described):
    """How an external provider is spoken to."""

    OIDC = "OIDC", "OpenID Connect: endpoints and keys from the issuer's discovery document; the ID token is verified."
    OAUTH2 = (
        "OAUTH2",
        "Plain OAuth 2.0: the authorization, token and userinfo URLs are given; userinfo says who signed in.",
    )
