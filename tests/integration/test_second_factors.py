"""Second factors (issue 15 §1-2): TOTP enrolment, the MFA step of every sign-in, recovery codes,
step-up, the backend's reset — in-process over GraphQL on SQLite and PostgreSQL, with codes
computed by pyotp from the enrolled secret and time moved by a ManualClock."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import pyotp

from gql.db.models import Member, MemberEvent, MfaChallenge, OutboxMessage, RecoveryCode, Session, TotpFactor
from gql.domain.links import new_link
from gql.domain.tokens import Purpose
from tests.integration.documents import GENERATE_SESSION_TOKEN, code
from tests.integration.session_harness import PASSWORD, Harness, Start
from tests.passwordless import SETTINGS, issued

ERROR = "... on Error { code reason message property } ... on RetryableError { retryAfter }"
MEMBER = "member { id mfaEnabled }"
ENROLL = (
    f"mutation {{ enrollTotp {{ __typename ... on EnrollTotpPayload {{ secret otpauthUri qrCodeSvg }} {ERROR} }} }}"
)
CONFIRM = f"""mutation ($code: String!) {{ confirmTotp(code: $code) {{ __typename
  ... on ConfirmTotpPayload {{ recoveryCodes {MEMBER} }} {ERROR} }} }}"""
REGENERATE = f"""mutation ($code: String!) {{ regenerateRecoveryCodes(code: $code) {{ __typename
  ... on RegenerateRecoveryCodesPayload {{ recoveryCodes }} {ERROR} }} }}"""
DISABLE = f"""mutation ($code: String!) {{ disableTotp(code: $code) {{ __typename
  ... on DisableTotpPayload {{ {MEMBER} }} {ERROR} }} }}"""
RESET_MFA = f"""mutation ($id: ID!) {{ resetMfa(memberId: $id) {{ __typename
  ... on ResetMfaPayload {{ {MEMBER} }} ... on Error {{ code }} }} }}"""
LOGIN = f"""mutation ($identity: String!, $password: String!) {{ login(identity: $identity, password: $password) {{
  __typename ... on LoginPayload {{ sessionToken }} ... on MfaRequired {{ mfaToken methods expiresDate }} {ERROR} }} }}"""
VERIFY = f"""mutation ($mfa: String!, $code: String!) {{ verifyMfa(mfaToken: $mfa, code: $code) {{ __typename
  ... on VerifyMfaPayload {{ sessionToken session {{ method secondFactor current }} {MEMBER} }} {ERROR} }} }}"""
REAUTHENTICATE = f"""mutation ($code: String!) {{ reauthenticate(code: $code) {{ __typename
  ... on ReauthenticatePayload {{ {MEMBER} }} {ERROR} }} }}"""
CHANGE = f"""mutation ($old: String!, $new: String!) {{ changePassword(currentPassword: $old, newPassword: $new) {{
  __typename {ERROR} }} }}"""
RESET_PASSWORD = f"""mutation ($link: String!, $password: String!) {{
  resetPassword(token: $link, newPassword: $password) {{ __typename
    ... on ResetPasswordPayload {{ sessionToken }} ... on MfaRequired {{ mfaToken }} {ERROR} }} }}"""
ISSUE = "mutation { issueAccessToken { __typename ... on IssueAccessTokenPayload { accessToken } } }"
ADA = "ada@example.com"
WITH_CODE_OR_MFA = f"""mutation ($email: String!, $code: String!) {{ loginWithCode(email: $email, code: $code) {{
  __typename ... on LoginPayload {{ sessionToken }} ... on MfaRequired {{ mfaToken }} {ERROR} }} }}"""


async def run(h: Harness, document: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    send = h.client.member(token, document, variables) if token else h.client.anonymous(document, variables)
    body = await send
    assert "errors" not in body, body
    [result] = body["data"].values()
    return result


class Authenticator:
    """The member's app: codes for the clock's current moment (or a step away)."""

    def __init__(self, h: Harness, secret: str) -> None:
        self.h = h
        self.totp = pyotp.TOTP(secret)

    def code(self, steps: int = 0) -> str:
        return self.totp.at(self.h.clock.time() + 30 * steps)


async def enrolled(h: Harness, email: str = ADA) -> tuple[str, Authenticator, list[str]]:
    """A member with TOTP on: its registration's session token, its app, its recovery codes."""
    token = (await h.register(email))["sessionToken"]
    enrolment = await run(h, ENROLL, token)
    assert enrolment["__typename"] == "EnrollTotpPayload", enrolment
    app = Authenticator(h, enrolment["secret"])
    confirmed = await run(h, CONFIRM, token, code=app.code())
    assert confirmed["__typename"] == "ConfirmTotpPayload", confirmed
    h.clock.advance(30)  # the confirming code is spent: the next code is another step's
    return token, app, confirmed["recoveryCodes"]


async def password_step(h: Harness, email: str = ADA, password: str = PASSWORD) -> dict[str, Any]:
    return await run(h, LOGIN, identity=email, password=password)


async def test_enrolment_shows_the_secret_once_and_stores_it_sealed(start: Start) -> None:
    h = await start()
    token = (await h.register(ADA))["sessionToken"]
    enrolment = await run(h, ENROLL, token)
    secret = enrolment["secret"]
    assert len(secret) == 32 and pyotp.TOTP(secret).now()  # base32, 160 bits
    assert enrolment["otpauthUri"].startswith("otpauth://totp/") and f"secret={secret}" in enrolment["otpauthUri"]
    assert enrolment["qrCodeSvg"].startswith("<svg") and enrolment["qrCodeSvg"].rstrip().endswith("</svg>")
    [row] = await TotpFactor.all()
    assert secret not in row.secret and row.confirmed_at is None
    # Pending: sign-ins do not ask for it yet.
    assert (await password_step(h))["__typename"] == "LoginPayload"
    # A second enrolment replaces the pending one (one row, another secret).
    again = await run(h, ENROLL, token)
    assert again["secret"] != secret and await TotpFactor.all().count() == 1


async def test_a_confirmed_factor_turns_every_password_sign_in_into_a_challenge(start: Start) -> None:
    h = await start()
    token, app, recovery = await enrolled(h)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    stored = [row.code_hash for row in await RecoveryCode.all()]
    assert len(stored) == 10 and not set(recovery) & set(stored)
    sessions_before = await Session.all().count()
    challenge = await password_step(h)
    assert challenge["__typename"] == "MfaRequired" and set(challenge["methods"]) == {"TOTP", "RECOVERY_CODE"}
    assert await Session.all().count() == sessions_before  # no session before the second factor
    [row] = await MfaChallenge.all()
    assert challenge["mfaToken"] not in row.token_hash
    verified = await run(h, VERIFY, mfa=challenge["mfaToken"], code=app.code())
    assert verified["__typename"] == "VerifyMfaPayload", verified
    assert verified["session"] == {"method": "PASSWORD", "secondFactor": "TOTP", "current": True}
    assert verified["member"]["mfaEnabled"] is True and await h.alive(verified["sessionToken"])
    # The access token says how: a password and a one-time code.
    issued = await run(h, ISSUE, verified["sessionToken"])
    claims = jwt.decode(issued["accessToken"], options={"verify_signature": False})
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    # The sign-in's token works once.
    h.clock.advance(30)
    assert code(await run(h, VERIFY, mfa=challenge["mfaToken"], code=app.code())) == 3241
    kinds = [e.kind for e in await MemberEvent.filter(kind__in=["TOTP_ENABLED", "SECOND_FACTOR_VERIFIED"])]
    assert sorted(kinds) == ["SECOND_FACTOR_VERIFIED", "TOTP_ENABLED"]
    assert token  # the enrolling session is unaffected
    assert await h.alive(token)


async def test_a_code_is_accepted_once_within_one_step_either_side(start: Start) -> None:
    h = await start()
    _, app, _ = await enrolled(h)
    first = await password_step(h)
    used = app.code()
    assert (await run(h, VERIFY, mfa=first["mfaToken"], code=used))["__typename"] == "VerifyMfaPayload"
    # The same code again, within its window: a replay.
    second = await password_step(h)
    assert code(await run(h, VERIFY, mfa=second["mfaToken"], code=used)) == 3240
    # Two steps old: outside the window; the previous step's code (clock drift) is accepted.
    h.clock.advance(60)
    assert code(await run(h, VERIFY, mfa=second["mfaToken"], code=app.code(-2))) == 3240
    assert (await run(h, VERIFY, mfa=second["mfaToken"], code=app.code(-1)))["__typename"] == "VerifyMfaPayload"
    # An older step than one already used is refused too, even inside the window.
    third = await password_step(h)
    h.clock.advance(1)
    assert code(await run(h, VERIFY, mfa=third["mfaToken"], code=app.code(-2))) == 3240


async def test_two_requests_with_one_code_open_one_session(start: Start) -> None:
    h = await start()
    _, app, _ = await enrolled(h)
    challenges = [await password_step(h) for _ in range(2)]
    now = app.code()
    answers = await asyncio.gather(*(run(h, VERIFY, mfa=c["mfaToken"], code=now) for c in challenges))
    assert sorted(a["__typename"] for a in answers) == ["SecondFactorInvalidError", "VerifyMfaPayload"]


async def test_the_mfa_token_expires(start: Start) -> None:
    h = await start()
    _, app, _ = await enrolled(h)
    challenge = await password_step(h)
    h.clock.advance(5 * 60 + 1)
    assert code(await run(h, VERIFY, mfa=challenge["mfaToken"], code=app.code())) == 3241
    assert code(await run(h, VERIFY, mfa="not a token", code=app.code())) == 3241


async def test_recovery_codes_work_once_and_can_be_replaced(start: Start) -> None:
    h = await start()
    token, app, recovery = await enrolled(h)
    challenge = await password_step(h)
    verified = await run(h, VERIFY, mfa=challenge["mfaToken"], code=recovery[0].upper())  # any case
    assert verified["session"]["secondFactor"] == "RECOVERY_CODE"
    again = await password_step(h)
    assert code(await run(h, VERIFY, mfa=again["mfaToken"], code=recovery[0])) == 3240
    # New codes for a fresh app code (a recovery code does not do); the old ones are dead.
    assert code(await run(h, REGENERATE, token, code=recovery[1])) == 3240
    fresh = (await run(h, REGENERATE, token, code=app.code()))["recoveryCodes"]
    assert len(fresh) == 10 and not set(fresh) & set(recovery)
    assert code(await run(h, VERIFY, mfa=again["mfaToken"], code=recovery[1])) == 3240
    assert (await run(h, VERIFY, mfa=again["mfaToken"], code=fresh[0]))["__typename"] == "VerifyMfaPayload"


async def test_wrong_codes_count_towards_the_lockout(start: Start) -> None:
    h = await start(lockout_threshold=3)
    _, app, _ = await enrolled(h)
    challenge = await password_step(h)
    for _ in range(3):
        assert code(await run(h, VERIFY, mfa=challenge["mfaToken"], code="000000")) in {3240}
    locked = await run(h, VERIFY, mfa=challenge["mfaToken"], code=app.code())
    assert locked["__typename"] == "AccountLockedError" and locked["retryAfter"] >= 1
    assert await Session.filter(method="PASSWORD").count() == 0  # the sign-in never finished


async def test_disabling_needs_a_code_and_ends_the_challenge(start: Start) -> None:
    h = await start()
    token, app, recovery = await enrolled(h)
    assert code(await run(h, ENROLL, token)) == 3242  # on already
    pending = await password_step(h)
    assert code(await run(h, DISABLE, token, code="123456")) == 3240
    disabled = await run(h, DISABLE, token, code=recovery[3])
    assert disabled["member"]["mfaEnabled"] is False
    assert await TotpFactor.all().count() == 0 and await RecoveryCode.all().count() == 0
    assert code(await run(h, VERIFY, mfa=pending["mfaToken"], code=app.code())) == 3241
    assert (await password_step(h))["__typename"] == "LoginPayload"
    assert code(await run(h, DISABLE, token, code=app.code())) == 3242  # off already
    assert code(await run(h, CONFIRM, token, code=app.code())) == 3242  # nothing pending


async def test_a_password_reset_still_asks_for_the_second_factor(start: Start) -> None:
    h = await start()
    _, app, _ = await enrolled(h)
    requested = await run(h, 'mutation { requestPasswordReset(email: "ada@example.com") { __typename } }')
    assert requested["__typename"] == "RequestPasswordResetPayload"
    link = new_link(h.services, Purpose.RESET, await Member.get(email_key=ADA)).token(h.services)
    reset = await run(h, RESET_PASSWORD, link=link, password="brand-new-password")
    assert reset["__typename"] == "MfaRequired", reset
    verified = await run(h, VERIFY, mfa=reset["mfaToken"], code=app.code())
    assert verified["session"]["method"] == "RESET"
    # The password did change.
    assert (await password_step(h, password="brand-new-password"))["__typename"] == "MfaRequired"


async def test_sensitive_changes_need_a_recent_second_factor(start: Start) -> None:
    h = await start()
    token, app, _ = await enrolled(h)  # the enrolling session proved the factor at confirmation
    challenge = await password_step(h)
    fresh = (await run(h, VERIFY, mfa=challenge["mfaToken"], code=app.code()))["sessionToken"]
    h.clock.advance(11 * 60)
    assert code(await run(h, CHANGE, fresh, old=PASSWORD, new="another-password")) == 3244
    assert code(await run(h, REAUTHENTICATE, fresh, code="999999")) == 3240
    assert (await run(h, REAUTHENTICATE, fresh, code=app.code()))["__typename"] == "ReauthenticatePayload"
    assert (await run(h, CHANGE, fresh, old=PASSWORD, new="another-password"))["__typename"] == "ChangePasswordPayload"


async def test_the_backend_resets_a_lost_factor_and_the_member_is_told(start: Start) -> None:
    h = await start()
    token, _, _ = await enrolled(h)
    member_id = (await h.me(token))["id"]
    assert code(await run(h, RESET_MFA, token, id=member_id)) == 3029  # not the member's own call
    body = await h.client.backend(RESET_MFA, {"id": member_id})
    assert body["data"]["resetMfa"]["member"]["mfaEnabled"] is False
    assert (await password_step(h))["__typename"] == "LoginPayload"
    assert await MemberEvent.filter(kind="MFA_RESET").count() == 1
    [mail] = await OutboxMessage.filter(subject__contains="no longer asks for a code")
    assert mail.recipient == ADA
    again = await h.client.backend(RESET_MFA, {"id": member_id})
    assert code(again["data"]["resetMfa"]) == 3242


async def test_trusted_sign_in_is_vouched_for_by_the_backend(start: Start) -> None:
    h = await start()
    await enrolled(h)
    body = await h.client.backend(GENERATE_SESSION_TOKEN, {"email": ADA})
    assert body["data"]["generateSessionToken"]["__typename"] == "GenerateSessionTokenPayload"


async def test_guests_have_no_second_factor(start: Start) -> None:
    h = await start()
    guest = await run(h, "mutation { loginAsGuest { __typename ... on LoginAsGuestPayload { sessionToken } } }")
    assert code(await run(h, ENROLL, guest["sessionToken"])) == 3242


async def test_an_emailed_code_is_a_first_factor_only(start: Start) -> None:
    """Passwordless sign-in of a member with TOTP: the code proves the mailbox; the app's code follows."""
    h = await start()
    _, app, _ = await enrolled(h)
    assert (await h.client.backend(SETTINGS, {"input": {"passwordlessLogin": True}}))["data"]
    code_, token = await issued(h.services, ADA)
    step = await run(h, WITH_CODE_OR_MFA, email=ADA, code=code_)
    assert step["__typename"] == "MfaRequired", step
    verified = await run(h, VERIFY, mfa=step["mfaToken"], code=app.code())
    assert verified["session"] == {"method": "CODE", "secondFactor": "TOTP", "current": True}
