"""The success members of the mutations' result unions.

The rule (docs/api.md, "Conventions"): mutation ``fooBar`` returns the union ``FooBarResult``
of ``FooBarPayload`` and the error types it can produce. A payload carries what changed:
the member (``MemberPayload``), a new session with its member (``SessionPayload``), the
settings, or the address a mail was queued for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from gql.api.types.api_key import ApiKey
from gql.api.types.badge import Badge
from gql.api.types.enums import RegistrationStatus
from gql.api.types.external import ExternalIdentity, ExternalProvider
from gql.api.types.member import Member
from gql.api.types.passkey import Passkey
from gql.api.types.role import Role
from gql.api.types.session import Session
from gql.api.types.settings import RegistrationSettings
from gql.domain import confirmation, external_login, reauthentication, registration, totp, trusted_sign_in
from gql.domain.access_tokens import AccessToken
from gql.domain.introspection import Validity
from gql.domain.passkeys import PasskeyLoginStart
from gql.domain.policy import (
    APPROVAL_TOKEN_LIFETIME,
    CONFIRMATION_LINK_LIFETIME,
    PASSKEY_CHALLENGE_LIFETIME,
    PASSWORD_LINK_LIFETIME,
    spoken,
)
from gql.domain.records import MemberRecord
from gql.domain.sessions import SessionGrant, SessionRecord


@strawberry.interface(description="A payload that carries the member the mutation changed, as it is now.")
class MemberPayload:
    member: Member = strawberry.field(description="The member after the change (its full record).")

    @classmethod
    def from_domain(cls, member: MemberRecord) -> Self:
        return cls(member=Member.from_domain(member))


@strawberry.interface(
    description="A payload that signs a member in: send `sessionToken` as `Authorization: Bearer <sessionToken>`."
)
class SessionPayload(MemberPayload):
    session_token: str = strawberry.field(description="The new session's bearer token; shown once, never stored.")
    session: Session = strawberry.field(description="The new session (its expiry, how it was obtained).")

    @classmethod
    def from_grant(cls, grant: SessionGrant) -> Self:
        return cls(
            session_token=grant.session_token,
            member=Member.from_domain(grant.member),
            session=Session.from_domain(grant.session, current=True),
        )


@strawberry.interface(description="A payload for a mutation that queued an email.")
class EmailPayload:
    email: str = strawberry.field(
        description="The address as given (for password resets, whether or not an account has it)."
    )


@strawberry.type(
    description="A registration. Its `status` says what the registrant holds now: ACTIVE comes with a session "
    "token; PENDING waits for approval; EMAIL_CONFIRMATION_PENDING waits for the emailed link."
)
class RegisterPayload(MemberPayload):
    status: RegistrationStatus = strawberry.field(description="What the registration ended in.")  # type: ignore[valid-type]
    approval_token: str | None = strawberry.field(
        description=f"Signed, single use, valid {spoken(APPROVAL_TOKEN_LIFETIME)}; set when the status is PENDING "
        "and only for backend "
        "(X-Api-Key) callers, so page code never approves itself."
    )
    session_token: str | None = strawberry.field(description="Set when the status is ACTIVE.")
    session: Session | None = strawberry.field(description="The new session, when the status is ACTIVE.")

    @classmethod
    def from_registration(cls, result: registration.Registration) -> RegisterPayload:
        return cls(
            status=RegistrationStatus[result.status.name],
            member=Member.from_domain(result.member),
            approval_token=result.approval_token,
            session_token=result.session_token,
            session=Session.from_domain(result.session, current=True) if result.session else None,
        )


@strawberry.type(description="Logged in.")
class LoginPayload(SessionPayload):
    pass


@strawberry.type(description="The session ended: its token no longer works, in any server process.")
class RevokeSessionPayload:
    session: Session = strawberry.field(description="The session as it was just before it ended.")

    @classmethod
    def from_domain(cls, session: SessionRecord, caller_session_id: str | None) -> RevokeSessionPayload:
        return cls(session=Session.from_domain(session, current=str(session.id) == caller_session_id))


@strawberry.type(description="Every other session of the caller's member ended; this one stays.")
class RevokeOtherSessionsPayload(MemberPayload):
    revoked_count: int = strawberry.field(description="How many sessions ended.")


@strawberry.type(description="Every session of the member ended (the caller's own too, when it is the member).")
class RevokeAllSessionsPayload(MemberPayload):
    revoked_count: int = strawberry.field(description="How many sessions ended.")


@strawberry.type(
    description="An access token: a short-lived JWT other services verify with the keys at "
    "/.well-known/jwks.json (docs/sessions.md)."
)
class IssueAccessTokenPayload:
    access_token: str = strawberry.field(
        description="The JWT; send it to the service as `Authorization: Bearer <accessToken>`. Not stored here."
    )
    token_type: str = strawberry.field(description='Always "Bearer".')
    audience: str = strawberry.field(description="Its `aud` claim: the service it is meant for.")
    expires_date: datetime = strawberry.field(description="Its `exp` claim: when services stop accepting it.")
    session_id: strawberry.ID = strawberry.field(description="Its `sid` claim: the session it was issued for.")

    @classmethod
    def from_domain(cls, token: AccessToken) -> IssueAccessTokenPayload:
        return cls(
            access_token=token.token,
            token_type="Bearer",
            audience=token.audience,
            expires_date=token.expires_at,
            session_id=strawberry.ID(str(token.session_id)),
        )


@strawberry.type(
    description="Whether a session token, or the session of an access token, is good now (the session is not "
    "extended by asking)."
)
class ValidateSessionPayload:
    valid: bool = strawberry.field(description="True while the session is alive and its member may hold one.")
    member_id: strawberry.ID | None = strawberry.field(description="The session's member, when valid.")
    session_id: strawberry.ID | None = strawberry.field(description="The session, when valid.")
    expires_date: datetime | None = strawberry.field(
        description="When it stops being good unless used (for an access token: the earlier of its own expiry "
        "and its session's), when valid."
    )

    @classmethod
    def from_domain(cls, validity: Validity) -> ValidateSessionPayload:
        return cls(
            valid=validity.valid,
            member_id=strawberry.ID(str(validity.member_id)) if validity.member_id else None,
            session_id=strawberry.ID(str(validity.session_id)) if validity.session_id else None,
            expires_date=validity.expires_at,
        )


@strawberry.type(description="The session ended; the member's other sessions (other devices) stay.")
class LogoutPayload(MemberPayload):
    pass


@strawberry.type(description="Approved with the token, and signed in.")
class ApproveByTokenPayload(SessionPayload):
    pass


@strawberry.type(description="Approved (or unblocked, and its lockout lifted), and signed in (Wix approveByEmail).")
class ApproveByEmailPayload(SessionPayload):
    pass


@strawberry.type(description="Blocked: it cannot log in and every session of it ended.")
class BlockByEmailPayload(MemberPayload):
    pass


@strawberry.type(description="Approved (no session is opened).")
class ApproveMemberPayload(MemberPayload):
    pass


@strawberry.type(description="Blocked: it cannot log in and every session of it ended.")
class BlockMemberPayload(MemberPayload):
    pass


@strawberry.type(description="Unblocked, and its lockout lifted: it may log in again (old sessions stay ended).")
class UnblockMemberPayload(MemberPayload):
    pass


@strawberry.type(description="A guest, signed in.")
class LoginAsGuestPayload(SessionPayload):
    pass


@strawberry.type(description="The email address is confirmed.")
class ConfirmEmailPayload(MemberPayload):
    pass


@strawberry.type(description="A new confirmation link is on its way; older links stopped working.")
class ResendEmailConfirmationPayload(EmailPayload):
    pass


@strawberry.type(description=f"A set-password link is on its way ({spoken(PASSWORD_LINK_LIFETIME)}, once).")
class SendSetPasswordEmailPayload(EmailPayload):
    pass


@strawberry.type(
    description="Accepted: a reset link is on its way if an account has this address (same answer either way)."
)
class RequestPasswordResetPayload(EmailPayload):
    pass


@strawberry.type(
    description="Accepted: a sign-in code and link are on their way if the address may sign in by code (the "
    "answer does not tell whether a member has it); any older code of the address stopped working."
)
class RequestLoginCodePayload(EmailPayload):
    pass


@strawberry.type(description="The password is set, every other session ended, and this one opened.")
class ResetPasswordPayload(SessionPayload):
    pass


@strawberry.type(description="The password is changed; every other session of the member ended.")
class ChangePasswordPayload(MemberPayload):
    pass


@strawberry.type(description="The member after the update.")
class UpdateMemberPayload(MemberPayload):
    pass


@strawberry.type(description="The member with its new login email (to be confirmed again when confirmation is on).")
class ChangeLoginEmailPayload(MemberPayload):
    pass


@strawberry.type(
    description="The member is gone with its sessions and tokens: `member` is its record as it was just before. "
    "Its contact stays for the site."
)
class DeleteMemberPayload(MemberPayload):
    pass


@strawberry.type(description="The invited member: approved, no password yet; a set-password email is on its way.")
class CreateMemberPayload(MemberPayload):
    pass


@strawberry.type(description="The registration settings after the update.")
class UpdateRegistrationSettingsPayload:
    settings: RegistrationSettings = strawberry.field(description="Every setting, as stored now.")


@strawberry.interface(description="A payload that carries the role the mutation changed.")
class RolePayload:
    role: Role = strawberry.field(description="The role after the change (or as it was, when deleted).")


@strawberry.type(description="The new role.")
class CreateRolePayload(RolePayload):
    pass


@strawberry.type(description="The role after the change.")
class UpdateRolePayload(RolePayload):
    pass


@strawberry.type(description="The role is gone, with its assignments: `role` is how it was.")
class DeleteRolePayload(RolePayload):
    pass


@strawberry.type(description="The member holds the role (assigning it twice changes nothing).")
class AssignRolePayload(RolePayload, MemberPayload):
    pass


@strawberry.type(description="The member no longer holds the role (removing a role it lacks changes nothing).")
class RemoveRolePayload(RolePayload, MemberPayload):
    pass


@strawberry.interface(description="A payload that carries the badge the mutation changed.")
class BadgePayload:
    badge: Badge = strawberry.field(description="The badge after the change (or as it was, when deleted).")


@strawberry.type(description="The new badge.")
class CreateBadgePayload(BadgePayload):
    pass


@strawberry.type(description="The badge after the change.")
class UpdateBadgePayload(BadgePayload):
    pass


@strawberry.type(description="The badge is gone, with its assignments: `badge` is how it was.")
class DeleteBadgePayload(BadgePayload):
    pass


@strawberry.type(description="The badge is awarded (awarding it twice changes nothing).")
class AssignBadgePayload(BadgePayload):
    member_ids: list[strawberry.ID] = strawberry.field(
        description="Those of the members asked that hold the badge now (unknown ids are left out)."
    )


@strawberry.type(description="The badge is taken back.")
class RemoveBadgePayload(BadgePayload):
    member_ids: list[strawberry.ID] = strawberry.field(description="Those of the members asked that no longer hold it.")


@strawberry.interface(description="A payload that carries the API key the mutation changed.")
class ApiKeyPayload:
    api_key: ApiKey = strawberry.field(description="The key's record (never its secret, but on creation).")


@strawberry.type(description="The new key: `key` is shown this once and stored nowhere; keep it safe.")
class CreateApiKeyPayload(ApiKeyPayload):
    key: str = strawberry.field(description="The key to send as X-Api-Key.")


@strawberry.type(description="The key no longer works: `apiKey` is how it was.")
class RevokeApiKeyPayload(ApiKeyPayload):
    pass


@strawberry.type(
    description="A session for the member with that email (Wix generateSessionToken); `created` says whether this "
    "call created the member."
)
class GenerateSessionTokenPayload(SessionPayload):
    created: bool = strawberry.field(
        description="True when no member had the email and this call created one: approved, its email counted as "
        "verified, no password."
    )

    @classmethod
    def from_sign_in(cls, sign_in: trusted_sign_in.TrustedSignIn) -> GenerateSessionTokenPayload:
        return cls(
            session_token=sign_in.grant.session_token,
            member=Member.from_domain(sign_in.grant.member),
            session=Session.from_domain(sign_in.grant.session, current=True),
            created=sign_in.created,
        )


@strawberry.type(description="Muted (`activityStatus: MUTED`); it can still log in.")
class MuteMemberPayload(MemberPayload):
    pass


@strawberry.type(description="Unmuted (`activityStatus: ACTIVE`).")
class UnmuteMemberPayload(MemberPayload):
    pass


@strawberry.type(description="The member without phone numbers on its contact.")
class DeleteMemberPhonesPayload(MemberPayload):
    pass


@strawberry.type(description="The member without further emails on its contact (its login email stays).")
class DeleteMemberEmailsPayload(MemberPayload):
    pass


@strawberry.type(description="The member without addresses on its contact.")
class DeleteMemberAddressesPayload(MemberPayload):
    pass


@strawberry.type(
    description="The password is right: this payload is the answer (a wrong one is InvalidCredentialsError). "
    "Nothing else changed."
)
class VerifyPasswordPayload(MemberPayload):
    verified_date: datetime = strawberry.field(description="When the password was verified.")

    @classmethod
    def from_verification(cls, verification: reauthentication.Verification) -> VerifyPasswordPayload:
        return cls(member=Member.from_domain(verification.member), verified_date=verification.verified_at)


@strawberry.type(
    description="A new email-confirmation link, not mailed: hand it to the member yourself. Older links stopped "
    "working."
)
class CreateEmailConfirmationUrlPayload(MemberPayload):
    url: str = strawberry.field(
        description=f"The link (MEMBERS_PUBLIC_URL + /confirm-email?token=…); single use, valid "
        f"{spoken(CONFIRMATION_LINK_LIFETIME)}. Shown once, never stored: treat it as a secret."
    )
    expires_date: datetime = strawberry.field(description="When the link stops working.")

    @classmethod
    def from_url(cls, created: confirmation.ConfirmationUrl) -> CreateEmailConfirmationUrlPayload:
        return cls(member=Member.from_domain(created.member), url=created.url, expires_date=created.expires_at)


@strawberry.type(description="The provider as saved.")
class UpsertExternalProviderPayload:
    provider: ExternalProvider = strawberry.field(description="The provider, with its settings (never the secret).")


@strawberry.type(description="The provider was deleted; members' links to it stay, unused until it is added again.")
class DeleteExternalProviderPayload:
    provider: ExternalProvider = strawberry.field(description="The provider as it was.")


@strawberry.type(description="Signed in through an external provider.")
class CompleteExternalLoginPayload(SessionPayload):
    created: bool = strawberry.field(description="Whether this sign-in created the member (or converted the guest).")
    linked: bool = strawberry.field(description="Whether this sign-in linked the provider identity to the member.")

    @classmethod
    def from_sign_in(cls, result: external_login.ExternalSignIn) -> CompleteExternalLoginPayload:
        grant = result.grant
        assert isinstance(grant, SessionGrant), "MfaRequired is answered before a payload is made"
        return cls(
            session_token=grant.session_token,
            member=Member.from_domain(grant.member),
            session=Session.from_domain(grant.session, current=True),
            created=result.created,
            linked=result.linked,
        )


@strawberry.type(description="The provider identity is linked to the caller's member.")
class LinkExternalIdentityPayload:
    identity: ExternalIdentity = strawberry.field(description="The link.")


@strawberry.type(description="The provider identity is no longer linked to the member.")
class UnlinkExternalIdentityPayload(MemberPayload):
    pass


@strawberry.type(
    description="A new authenticator-app secret, pending until confirmTotp: shown this once, never again. Show "
    "`qrCodeSvg` (or `otpauthUri`) to the member's app; `secret` is for typing it in by hand."
)
class EnrollTotpPayload:
    secret: str = strawberry.field(description="The shared secret, base32 (RFC 4648), as authenticator apps take it.")
    otpauth_uri: str = strawberry.field(description="The `otpauth://totp/...` URI authenticator apps read.")
    qr_code_svg: str = strawberry.field(description="The URI as a QR code: an inline SVG document.")

    @classmethod
    def from_domain(cls, enrolment: totp.TotpEnrolment) -> EnrollTotpPayload:
        return cls(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_code_svg=enrolment.qr_code_svg)


@strawberry.type(
    description="TOTP is on: every sign-in now asks for a code. The recovery codes are shown this once; each "
    "works once in place of a code."
)
class ConfirmTotpPayload(MemberPayload):
    recovery_codes: list[str] = strawberry.field(description="Single-use recovery codes; stored only as digests.")


@strawberry.type(description="New recovery codes, shown this once; the earlier ones stopped working.")
class RegenerateRecoveryCodesPayload:
    recovery_codes: list[str] = strawberry.field(description="Single-use recovery codes; stored only as digests.")


@strawberry.type(description="TOTP is off; its recovery codes stopped working.")
class DisableTotpPayload(MemberPayload):
    pass


@strawberry.type(description="The member's second factor is off; the member was told by mail.")
class ResetMfaPayload(MemberPayload):
    pass


@strawberry.type(description="The second factor was proved: the session the sign-in waited for.")
class VerifyMfaPayload(SessionPayload):
    pass


@strawberry.type(description="The second factor was proved again in this session (a step-up).")
class ReauthenticatePayload(MemberPayload):
    pass


# --- passkeys ---

_PASSKEY_OPTIONS = (
    "The WebAuthn options as JSON (binary values base64url-encoded): decode them (e.g. "
    "`PublicKeyCredential.parseCreationOptionsFromJSON`) and pass them to `navigator.credentials.{}`. "
    f"The challenge works once, for {spoken(PASSKEY_CHALLENGE_LIFETIME)}."
)


@strawberry.type(
    description="Options for `navigator.credentials.create`; send what it makes to finishPasskeyRegistration."
)
class StartPasskeyRegistrationPayload:
    options: str = strawberry.field(description=_PASSKEY_OPTIONS.format("create"))


@strawberry.type(description="The passkey is registered: it signs in (startPasskeyLogin) and is a second factor.")
class FinishPasskeyRegistrationPayload:
    passkey: Passkey = strawberry.field(description="The new passkey.")


@strawberry.type(description="Options for `navigator.credentials.get`; send what it answers to finishPasskeyLogin.")
class StartPasskeyLoginPayload:
    options: str = strawberry.field(description=_PASSKEY_OPTIONS.format("get"))
    challenge_id: strawberry.ID = strawberry.field(description="The challenge's id, for finishPasskeyLogin.")

    @classmethod
    def from_domain(cls, start: PasskeyLoginStart) -> StartPasskeyLoginPayload:
        return cls(options=start.options, challenge_id=strawberry.ID(str(start.challenge_id)))


@strawberry.type(
    description="Options for `navigator.credentials.get`; send what it answers to verifyMfa as `credential`."
)
class StartPasskeyMfaPayload:
    options: str = strawberry.field(description=_PASSKEY_OPTIONS.format("get"))


@strawberry.type(
    description="Options for `navigator.credentials.get`; send what it answers to reauthenticate as `credential`."
)
class StartPasskeyReauthenticationPayload:
    options: str = strawberry.field(description=_PASSKEY_OPTIONS.format("get"))


@strawberry.type(description="Signed in with a passkey (method PASSKEY; the passkey is also the second factor).")
class FinishPasskeyLoginPayload(SessionPayload):
    pass


@strawberry.type(description="The passkey's new name.")
class RenamePasskeyPayload:
    passkey: Passkey = strawberry.field(description="The renamed passkey.")


@strawberry.type(description="The passkey is deleted; it no longer signs in.")
class DeletePasskeyPayload(MemberPayload):
    pass
