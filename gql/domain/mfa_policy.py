"""The MFA policy: who must have a second factor, and what a session that has not proved one may do.

Two rules, both about the *session* a member acts with (its ``amr``), not only about the member:

- **A role may require MFA** (``role.require_mfa``). Its permissions apply only to a session that
  proved a second factor the member still has: one opened through the MFA step (``verifyMfa``), a
  passkey sign-in, a ``reauthenticate`` since, or the session that confirmed an authenticator app
  (``confirmTotp``; registering a passkey is no assertion: the session proves it with
  ``reauthenticate``). Until then the member acts with the rest of its
  roles — a plain member's rights when that role was its only one — and a request that needs a
  permission only such a role would grant is refused with 3243 (``MFA_REQUIRED``) instead of 3029,
  so the client knows to enrol (or, for a member that has a factor, to prove it in this session).
  A session opened before the member enrolled, or by the backend's trusted sign-in
  (``generateSessionToken``, which asks no factor), has proved none. The built-in roles never
  require MFA.
- **The site may require MFA of everyone** (registration setting ``mfaPolicy``, ``MEMBERS_MFA_POLICY``).
  Under ``REQUIRED`` every sign-in still answers as before (a session, or ``MfaRequired`` for a member
  with a factor) — as Supabase issues an ``aal1`` session, and Keycloak's "Configure OTP" required
  action holds the sign-in until the factor is set up — but a session that has not proved a second
  factor is **enrolment-only**: it may read ``currentMember``, enrol a factor, prove the one it has,
  and log out (``ENROLMENT_OPERATIONS``); any other request made with it is refused as a whole with
  3243 before anything runs (gql/api/extensions.py, ``RequestPolicy.guard_enrolment``). Confirming an app, or
  proving a new passkey, marks the session, so its next request has the member's full rights without
  signing in again. Guests are
  exempt (a guest has no factor to enrol: it registers first), and so are backend keys.

Enrolment is trust on first use, as everywhere: whoever holds the member's only session when it has
no factor yet may enrol one. Adding a factor when the member already has one therefore needs a
second factor proved recently by the session (``require_recent_second_factor``, 3244), so a session
that never proved one cannot enrol a factor of its own and promote itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.permissions import Permission
from gql.domain.policy import RECENT_SECOND_FACTOR
from gql.domain.statuses import MfaPolicy, SecondFactor

if TYPE_CHECKING:
    from gql.db.models import Member
    from gql.domain.roles import RoleRecord
    from gql.domain.services import Services

# What an enrolment-only session may run (the schema's root fields, whose names the design fixes):
# who it is, enrolling a factor, proving the one it has, and leaving.
ENROLMENT_OPERATIONS = frozenset(
    {
        "currentMember",
        "enrollTotp",
        "confirmTotp",
        "startPasskeyRegistration",
        "finishPasskeyRegistration",
        "startPasskeyReauthentication",
        "reauthenticate",
        "logout",
    }
)


def multi_factor(second_factor: SecondFactor | None, mfa_enabled: bool) -> bool:
    """Whether a session counts as multi-factor: it proved a second factor, and the member still has one."""
    return second_factor is not None and mfa_enabled


async def site_requires_mfa(services: Services) -> bool:
    return (await services.registration_settings.get()).mfa_policy is MfaPolicy.REQUIRED


async def enrolment_only(services: Services, member: Member, second_factor: SecondFactor | None) -> bool:
    """Whether a session of ``member`` that proved ``second_factor`` may only enrol or prove a factor: the
    site requires MFA and the session is not multi-factor (guests are exempt). The settings are read
    only for such a session (cached per process, ``MEMBERS_SETTINGS_CACHE_SECONDS``)."""
    if member.is_guest or multi_factor(second_factor, member.mfa_enabled):
        return False
    return await site_requires_mfa(services)


def mfa_required(site_requires: bool, *, guest: bool, roles: Iterable[RoleRecord]) -> bool:
    """Whether a second factor is required of a member: the site requires one of every member but
    guests, or a role it holds (assigned, computed, or carried by a badge) requires one."""
    return (site_requires and not guest) or any(role.require_mfa for role in roles)


def role_in_force(require_mfa: bool, caller: Caller) -> bool:
    """Whether a role's permissions apply to ``caller``'s requests."""
    if caller.enrolment_only:
        return False
    return not require_mfa or caller.multi_factor


def _next_step(caller: Caller) -> str:
    if caller.mfa_enabled:
        return (
            "this session has not proved the member's second factor: call reauthenticate (a code, or a passkey "
            "from startPasskeyReauthentication) first"
        )
    return (
        "the member has no second factor: enrol one first (enrollTotp then confirmTotp, or "
        "startPasskeyRegistration then finishPasskeyRegistration), and this session then has it"
    )


def enrolment_error(caller: Caller) -> DomainError:
    """3243 for a request of an enrolment-only session outside ``ENROLMENT_OPERATIONS``."""
    return DomainError(
        ErrorCode.MFA_REQUIRED,
        f"This site requires a second factor, and {_next_step(caller)}. Until then this session may only do that, "
        "read currentMember and log out.",
    )


def role_error(caller: Caller, permissions: Iterable[Permission]) -> DomainError:
    """3243 for a request that needs ``permissions``, which only roles requiring MFA would grant the caller."""
    names = ", ".join(p.value for p in permissions) or "site permissions"
    if caller.enrolment_only:
        return enrolment_error(caller)
    return DomainError(
        ErrorCode.MFA_REQUIRED,
        f"This needs what a role of the member grants only to a session with a second factor ({names}): "
        f"{_next_step(caller)}.",
    )


def require_recent_second_factor(services: Services, caller: Caller, member: Member) -> None:
    """3244 when ``member`` has a second factor and the caller's session has not proved it lately.
    The backend (no session) is not asked: it acts for the site, not as the member."""
    if not member.mfa_enabled or not caller.is_member(member.id):
        return
    proved = caller.second_factor_at
    if proved is None or services.clock.now() - proved > RECENT_SECOND_FACTOR:
        raise DomainError(ErrorCode.RECENT_SECOND_FACTOR_REQUIRED)
