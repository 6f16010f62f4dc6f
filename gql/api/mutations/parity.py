"""The rest of the seeds' members API (issue 12): trusted sign-in (Wix generateSessionToken),
muting (Wix muteMember/unmuteMember), deleting a contact's phones, emails or addresses (Wix
deleteMemberPhones/Emails/Addresses), and Backendless's verifyPassword and
createEmailConfirmationURL."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.payloads import (
    CreateEmailConfirmationUrlPayload,
    DeleteMemberAddressesPayload,
    DeleteMemberEmailsPayload,
    DeleteMemberPhonesPayload,
    GenerateSessionTokenPayload,
    MuteMemberPayload,
    UnmuteMemberPayload,
    VerifyPasswordPayload,
)
from gql.domain import activity, administration, confirmation, reauthentication, trusted_sign_in
from gql.domain.errors import ErrorCode as C
from gql.domain.policy import CONFIRMATION_LINK_LIFETIME, spoken

MemberId = Annotated[strawberry.ID, strawberry.argument(description="The member's id.")]

GenerateSessionTokenResult = result_union(
    "GenerateSessionTokenResult",
    "A session for the member with that email, or why not.",
    GenerateSessionTokenPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.EMAIL_FORMAT,
    C.LOGIN_DISABLED,
    C.PENDING_APPROVAL,
    C.REGISTRATION_ERROR,
)
MuteMemberResult = result_union(
    "MuteMemberResult",
    "The muted member, or why not.",
    MuteMemberPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
)
UnmuteMemberResult = result_union(
    "UnmuteMemberResult",
    "The unmuted member, or why not.",
    UnmuteMemberPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.MEMBER_NOT_FOUND,
)
_CONTACT_LIST_ERRORS = (C.NOT_ALLOWED, C.MFA_REQUIRED, C.MEMBER_NOT_FOUND, C.RATE_LIMITED)
DeleteMemberPhonesResult = result_union(
    "DeleteMemberPhonesResult",
    "The member without phone numbers, or why not.",
    DeleteMemberPhonesPayload,
    *_CONTACT_LIST_ERRORS,
)
DeleteMemberEmailsResult = result_union(
    "DeleteMemberEmailsResult",
    "The member without further emails, or why not.",
    DeleteMemberEmailsPayload,
    *_CONTACT_LIST_ERRORS,
)
DeleteMemberAddressesResult = result_union(
    "DeleteMemberAddressesResult",
    "The member without addresses, or why not.",
    DeleteMemberAddressesPayload,
    *_CONTACT_LIST_ERRORS,
)
VerifyPasswordResult = result_union(
    "VerifyPasswordResult",
    "The password is right, or why it was not verified.",
    VerifyPasswordPayload,
    C.NOT_LOGGED_IN,
    C.EMPTY_CREDENTIALS,
    C.INVALID_CREDENTIALS,
    C.ACCOUNT_LOCKED,
    C.RATE_LIMITED,
)
CreateEmailConfirmationUrlResult = result_union(
    "CreateEmailConfirmationUrlResult",
    "A new confirmation link, or why none can be made.",
    CreateEmailConfirmationUrlPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.EMAIL_CONFIRMATION_DISABLED,
    C.NO_ACCOUNT_WITH_EMAIL,
    C.EMAIL_ALREADY_CONFIRMED,
)

_SELF_OR_UPDATE = (
    "The member itself, or a holder of MEMBERS_UPDATE (a member the caller may not see is 3030, one it may see "
    "but not change 3029); member callers are rate limited (3207). Nothing is written when the list is empty "
    "already."
)


@strawberry.type
class ParityMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Trusted sign-in (Wix generateSessionToken): needs MEMBERS_CREATE and SESSIONS_MANAGE (the "
        "backend key holds both). Signs in the member with this email without its password — for members a third "
        "party authenticated. When no member has the email, creates one: APPROVED whatever the approval mode, with "
        "no password (none matches; it may set one with requestPasswordReset), and its email counted as verified, "
        "since the trusted caller vouches for it (no confirmation link; an existing member still waiting for "
        "confirmation is confirmed too). A blocked member is 3000, a pending one 3204. Creating needs the email to "
        "be the identity property (3021). Audited as TRUSTED_SIGN_IN.",
    )
    async def generate_session_token(
        self,
        info: Info[Context, None],
        email: Annotated[str, strawberry.argument(description="The member's login email (any case, spaces trimmed).")],
    ) -> GenerateSessionTokenResult:
        context = info.context
        sign_in = await trusted_sign_in.generate_session_token(context.services, await context.caller(), email)
        return GenerateSessionTokenPayload.from_sign_in(sign_in)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="MEMBERS_UPDATE (Wix muteMember): `activityStatus` becomes MUTED, audited as MUTED. A muted member "
        "keeps its sessions and still logs in; what it may not do on the site is the site's own rule.",
    )
    async def mute_member(self, info: Info[Context, None], id: MemberId) -> MuteMemberResult:
        context = info.context
        member = await activity.mute_member(context.services, await context.caller(), str(id))
        return MuteMemberPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="MEMBERS_UPDATE (Wix unmuteMember): `activityStatus` becomes ACTIVE, audited as UNMUTED.",
    )
    async def unmute_member(self, info: Info[Context, None], id: MemberId) -> UnmuteMemberResult:
        context = info.context
        member = await activity.unmute_member(context.services, await context.caller(), str(id))
        return UnmuteMemberPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description=f"Remove every phone number of the member's contact (Wix deleteMemberPhones). {_SELF_OR_UPDATE}",
    )
    async def delete_member_phones(self, info: Info[Context, None], id: MemberId) -> DeleteMemberPhonesResult:
        context = info.context
        member = await administration.delete_member_phones(context.services, await context.caller(), str(id))
        return DeleteMemberPhonesPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Remove every further email of the member's contact; the login email stays (Wix "
        f"deleteMemberEmails). {_SELF_OR_UPDATE}",
    )
    async def delete_member_emails(self, info: Info[Context, None], id: MemberId) -> DeleteMemberEmailsResult:
        context = info.context
        member = await administration.delete_member_emails(context.services, await context.caller(), str(id))
        return DeleteMemberEmailsPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description=f"Remove every address of the member's contact (Wix deleteMemberAddresses). {_SELF_OR_UPDATE}",
    )
    async def delete_member_addresses(self, info: Info[Context, None], id: MemberId) -> DeleteMemberAddressesResult:
        context = info.context
        member = await administration.delete_member_addresses(context.services, await context.caller(), str(id))
        return DeleteMemberAddressesPayload.from_domain(member)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="The signed-in member proves its password again before a sensitive action (Backendless "
        "verifyPassword). Counted exactly like a login: it spends the login rate limit (3207), a wrong password is a "
        "failed login of the member's account from the caller's address (3003), and while the lockout holds the "
        "answer is 3036 whatever the password. Audited as PASSWORD_VERIFIED.",
    )
    async def verify_password(
        self,
        info: Info[Context, None],
        password: Annotated[str, strawberry.argument(description="The signed-in member's password.")],
    ) -> VerifyPasswordResult:
        context = info.context
        verification = await reauthentication.verify_password(context.services, await context.caller(), password)
        return VerifyPasswordPayload.from_verification(verification)

    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="MEMBERS_UPDATE (Backendless createEmailConfirmationURL): a new confirmation link for the member "
        f"with this email (single use, {spoken(CONFIRMATION_LINK_LIFETIME)}), returned instead of mailed; older "
        "links stop working, as with resendEmailConfirmation. Only while confirmation is on (3103) and the email "
        "is not confirmed yet (3102); 3104 when no member has it. Audited as EMAIL_CONFIRMATION_URL_CREATED.",
    )
    async def create_email_confirmation_url(
        self,
        info: Info[Context, None],
        email: Annotated[str, strawberry.argument(description="The member's login email (any case, spaces trimmed).")],
    ) -> CreateEmailConfirmationUrlResult:
        context = info.context
        created = await confirmation.create_confirmation_url(context.services, await context.caller(), email)
        return CreateEmailConfirmationUrlPayload.from_url(created)
