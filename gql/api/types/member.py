from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.loaders import session_loader
from gql.api.types.any_member import AnyMember
from gql.api.types.contact import Contact
from gql.api.types.enums import ActivityStatus, MemberStatus, Permission, PrivacyStatus
from gql.api.types.external import ExternalIdentity
from gql.api.types.passkey import Passkey
from gql.api.types.profile import Profile
from gql.api.types.public_member import PublicMember
from gql.api.types.role import Role
from gql.api.types.session import Session
from gql.domain import access, external_login, mfa_policy, passkeys
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import Grants
from gql.domain.records import MemberRecord, MemberView
from gql.domain.statuses import MemberStatus as DomainMemberStatus


@strawberry.type(
    description="A site member with every field (Wix's FULL fieldset): what the member itself and the backend see."
)
class Member(AnyMember):
    login_email: str | None = strawberry.field(description="The email the member logs in with; null for a guest.")
    login_email_verified: bool = strawberry.field(
        description="Whether the login email was confirmed: by an emailed link, or vouched for by a trusted sign-in "
        "(generateSessionToken)."
    )
    status: MemberStatus = strawberry.field(description="Where the member stands.")  # type: ignore[valid-type]
    privacy_status: PrivacyStatus = strawberry.field(description="Whether others see its profile.")  # type: ignore[valid-type]
    activity_status: ActivityStatus = strawberry.field(description="Wix's activity status.")  # type: ignore[valid-type]
    contact_id: strawberry.ID = strawberry.field(description="The id of the member's contact.")
    contact: Contact = strawberry.field(description="The member's contact record.")
    created_date: datetime = strawberry.field(description="When the member registered (or was created).")
    updated_date: datetime = strawberry.field(description="When the member last changed.")
    last_login_date: datetime | None = strawberry.field(
        description="When the member last logged in with a password (or proved it with verifyPassword) or "
        "through an external provider."
    )
    mfa_enabled: bool = strawberry.field(
        description="Whether every sign-in asks for a second factor (an authenticator app confirmed with confirmTotp, "
        "or a passkey)."
    )
    member_status: strawberry.Private[DomainMemberStatus]

    @strawberry.field(
        description="Its roles: those assigned, and the computed roles it holds (AuthenticatedUser or GuestUser; "
        "SocialUser with a linked external identity)."
    )
    async def roles(self, info: Info) -> list[Role]:
        found = await info.context.loaders.roles_of_member.load((self.member_id, self.member_status))
        return [Role.from_domain(role) for role in found]

    @strawberry.field(
        description="Whether a second factor is required of it: the site's mfaPolicy is REQUIRED (guests excepted), "
        "or a role it holds has requireMfa. With mfaEnabled false, it should enrol one (enrollTotp, "
        "startPasskeyRegistration): until then what the policy guards answers 3243."
    )
    async def mfa_required(self, info: Info[Context, None]) -> bool:
        # Through the request's loaders: a page of members costs a fixed number of statements.
        loaders = info.context.loaders
        held = await loaders.roles_of_member.load((self.member_id, self.member_status))
        badge_roles = [b.role_id for b in await loaders.badges_of_member.load(self.member_id) if b.role_id]
        carried = [role for role in await loaders.role.load_many(badge_roles) if role is not None]
        return mfa_policy.mfa_required(
            await mfa_policy.site_requires_mfa(info.context.services),
            guest=self.member_status is DomainMemberStatus.GUEST,
            roles=[*held, *carried],
        )

    @strawberry.field(
        description="Every permission its roles (and its badges' roles) grant: what it may do here. For the member "
        "itself, what applies to the session asking: a role with requireMfa counts once the session proved a second "
        "factor (none counts for a session the site's mfaPolicy REQUIRED leaves enrolment-only)."
    )
    async def permissions(self, info: Info) -> list[Permission]:  # type: ignore[valid-type]
        grants = await _grants(info, self.member_id)
        return sorted((Permission[p.name] for p in grants.permissions), key=lambda p: p.value)

    @strawberry.field(description="The site's own permissions its roles grant (for the member itself, as permissions).")
    async def site_permissions(self, info: Info) -> list[str]:
        return sorted((await _grants(info, self.member_id)).site_permissions)

    @strawberry.field(
        description="The member's live sessions, newest first: at most the session limit (MEMBERS_MAX_SESSIONS), "
        "so a list, not a connection. For the member itself and the backend; null with error 3029 for anyone "
        "else. On a page of members, the sessions of all of them are read in one query."
    )
    async def sessions(self, info: Info[Context, None]) -> list[Session] | None:
        caller = await info.context.caller()
        records = await session_loader(info.context).load(uuid.UUID(str(self.id)))
        return [Session.from_domain(record, current=str(record.id) == caller.session_id) for record in records]

    @strawberry.field(
        description="Its links to external sign-in providers. For the member itself and the backend; null with "
        "error 3029 for anyone else."
    )
    async def identities(self, info: Info[Context, None]) -> list[ExternalIdentity] | None:
        found = await external_login.identities_of(await info.context.caller(), self.member_id)
        if found is None:
            raise DomainError(ErrorCode.NOT_ALLOWED, "Only the member itself and the backend see its identities.")
        return [ExternalIdentity.from_domain(record) for record in found]

    @strawberry.field(
        description="Its passkeys (WebAuthn), oldest first. For the member itself and the backend; null with error "
        "3029 for anyone else."
    )
    async def passkeys(self, info: Info[Context, None]) -> list[Passkey] | None:
        found = await passkeys.passkeys_of(await info.context.caller(), self.member_id)
        if found is None:
            raise DomainError(ErrorCode.NOT_ALLOWED, "Only the member itself and the backend see its passkeys.")
        return [Passkey.from_domain(record) for record in found]

    @classmethod
    def from_domain(cls, member: MemberRecord) -> Member:
        return cls(
            id=strawberry.ID(str(member.id)),
            member_id=member.id,
            member_status=member.status,
            profile=Profile.from_domain(member.profile),
            login_email=member.login_email,
            login_email_verified=member.login_email_verified,
            status=MemberStatus[member.status.name],
            privacy_status=PrivacyStatus[member.privacy_status.name],
            activity_status=ActivityStatus[member.activity_status.name],
            contact_id=strawberry.ID(str(member.contact.id)),
            contact=Contact.from_domain(member.contact),
            created_date=member.created_at,
            updated_date=member.updated_at,
            last_login_date=member.last_login_at,
            mfa_enabled=member.mfa_enabled,
        )


def any_member(view: MemberView) -> Member | PublicMember:
    """The schema type of one caller's view of a member."""
    if isinstance(view, MemberRecord):
        return Member.from_domain(view)
    return PublicMember.from_domain(view)


async def _grants(info: Info, member_id: uuid.UUID) -> Grants:
    """A member's grants, read once per request (the caller's own come from its caller)."""
    caller = await info.context.caller()
    if caller.is_member(member_id):
        return await access.grants_of(caller)
    return await access.member_grants(member_id)
