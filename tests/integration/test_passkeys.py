"""Passkeys (issue 15 §3): registration, passwordless sign-in, a passkey as the second factor,
the signature counter, challenges that work once, for one origin, renaming and deleting — in-process
over GraphQL on SQLite and PostgreSQL, against a software authenticator (tests/authenticator.py)
that signs real assertions."""

from __future__ import annotations

import json
from typing import Any

import jwt

from gql.db.models import Member, MemberEvent, Passkey, PasskeyChallenge, Session
from gql.domain.policy import PASSKEY_CHALLENGE_LIFETIME
from tests.authenticator import Authenticator
from tests.integration.documents import code
from tests.integration.session_harness import PASSWORD, Harness, Start
from tests.integration.test_second_factors import ADA, LOGIN, enrolled, run

ERROR = "... on Error { code reason message property }"
START_REGISTRATION = f"""mutation {{ startPasskeyRegistration {{ __typename
  ... on StartPasskeyRegistrationPayload {{ options }} {ERROR} }} }}"""
FINISH_REGISTRATION = f"""mutation ($credential: String!, $name: String!) {{
  finishPasskeyRegistration(credential: $credential, name: $name) {{ __typename
    ... on FinishPasskeyRegistrationPayload {{ passkey {{ id name createdDate lastUsedDate backedUp }} }} {ERROR} }} }}"""
START_LOGIN = f"""mutation ($email: String) {{ startPasskeyLogin(email: $email) {{ __typename
  ... on StartPasskeyLoginPayload {{ options challengeId }} {ERROR} }} }}"""
FINISH_LOGIN = f"""mutation ($challengeId: ID!, $credential: String!) {{
  finishPasskeyLogin(challengeId: $challengeId, credential: $credential) {{ __typename
    ... on FinishPasskeyLoginPayload {{ sessionToken session {{ method secondFactor }} member {{ id mfaEnabled }} }}
    {ERROR} }} }}"""
START_MFA = f"""mutation ($mfa: String!) {{ startPasskeyMfa(mfaToken: $mfa) {{ __typename
  ... on StartPasskeyMfaPayload {{ options }} {ERROR} }} }}"""
VERIFY_PASSKEY = f"""mutation ($mfa: String!, $credential: String) {{ verifyMfa(mfaToken: $mfa, credential: $credential) {{
  __typename ... on VerifyMfaPayload {{ sessionToken session {{ method secondFactor }} }} {ERROR} }} }}"""
VERIFY_CODE = f"""mutation ($mfa: String!, $code: String) {{ verifyMfa(mfaToken: $mfa, code: $code) {{
  __typename ... on VerifyMfaPayload {{ sessionToken session {{ method secondFactor }} }} {ERROR} }} }}"""
RENAME = f"""mutation ($id: ID!, $name: String!) {{ renamePasskey(id: $id, name: $name) {{ __typename
  ... on RenamePasskeyPayload {{ passkey {{ id name }} }} {ERROR} }} }}"""
DELETE = f"""mutation ($id: ID!) {{ deletePasskey(id: $id) {{ __typename
  ... on DeletePasskeyPayload {{ member {{ mfaEnabled passkeys {{ id }} }} }} {ERROR} }} }}"""
START_STEP_UP = f"""mutation {{ startPasskeyReauthentication {{ __typename
  ... on StartPasskeyReauthenticationPayload {{ options }} {ERROR} }} }}"""
REAUTHENTICATE = f"""mutation ($credential: String) {{ reauthenticate(credential: $credential) {{ __typename
  ... on ReauthenticatePayload {{ member {{ id }} }} {ERROR} }} }}"""
CHANGE = f"""mutation ($old: String!, $new: String!) {{ changePassword(currentPassword: $old, newPassword: $new) {{
  __typename {ERROR} }} }}"""
MINE = "{ currentMember { mfaEnabled passkeys { id name createdDate lastUsedDate } } }"
ISSUE = "mutation { issueAccessToken { __typename ... on IssueAccessTokenPayload { accessToken } } }"
BOB = "bob@example.com"


def device(h: Harness) -> Authenticator:
    return Authenticator(origin=h.services.config.passkey_origins[0])


async def register_passkey(h: Harness, token: str, app: Authenticator, name: str = "Laptop") -> dict[str, Any]:
    started = await run(h, START_REGISTRATION, token)
    assert started["__typename"] == "StartPasskeyRegistrationPayload", started
    finished = await run(h, FINISH_REGISTRATION, token, credential=app.create(started["options"]), name=name)
    assert finished["__typename"] == "FinishPasskeyRegistrationPayload", finished
    return finished["passkey"]


async def step_up(h: Harness, token: str, app: Authenticator) -> None:
    """The session proves the member's passkey (startPasskeyReauthentication, reauthenticate)."""
    options = (await run(h, START_STEP_UP, token))["options"]
    proved = await run(h, REAUTHENTICATE, token, credential=app.get(options))
    assert proved["__typename"] == "ReauthenticatePayload", proved


async def with_passkey(h: Harness, email: str = ADA) -> tuple[str, Authenticator, dict[str, Any]]:
    token = (await h.register(email))["sessionToken"]
    app = device(h)
    return token, app, await register_passkey(h, token, app)


async def passkey_login(h: Harness, app: Authenticator, email: str | None = None, **get: Any) -> dict[str, Any]:
    started = await run(h, START_LOGIN, email=email)
    assert started["__typename"] == "StartPasskeyLoginPayload", started
    assertion = app.get(started["options"], **get)
    return await run(h, FINISH_LOGIN, challengeId=started["challengeId"], credential=assertion)


async def test_registration_stores_the_credential_and_turns_the_second_factor_on(start: Start) -> None:
    h = await start()
    token = (await h.register(ADA))["sessionToken"]
    started = await run(h, START_REGISTRATION, token)
    options = json.loads(started["options"])
    config = h.services.config
    assert options["rp"] == {"id": config.passkey_rp_id, "name": config.passkey_rp_name}
    assert options["authenticatorSelection"]["residentKey"] == "required" and options["excludeCredentials"] == []
    app = device(h)
    passkey = await register_passkey(h, token, app)
    assert passkey["name"] == "Laptop" and passkey["lastUsedDate"] is None and passkey["backedUp"] is True
    [row] = await Passkey.all()
    assert row.sign_count == 0 and row.transports == ["internal", "hybrid"]
    assert row.backup_eligible and row.backed_up and row.name == "Laptop"
    assert await PasskeyChallenge.all().count() == 1  # the finished one is used up; the first waits
    mine = (await h.client.member(token, MINE))["data"]
    assert mine["currentMember"]["mfaEnabled"] is True
    assert [p["id"] for p in mine["currentMember"]["passkeys"]] == [passkey["id"]]
    # Registering is no assertion: another passkey needs the first proved in this session lately (3244)…
    assert code(await run(h, START_REGISTRATION, token)) == 3244
    await step_up(h, token, app)
    # …and the member's passkeys are excluded from the next registration.
    again = json.loads((await run(h, START_REGISTRATION, token))["options"])
    assert [c["id"] for c in again["excludeCredentials"]] == [row.credential_id]
    assert await MemberEvent.filter(kind="PASSKEY_ADDED").count() == 1


async def test_a_passkey_signs_in_without_a_password_and_counts_as_two_factors(start: Start) -> None:
    h = await start()
    _, app, passkey = await with_passkey(h)
    for email in (ADA, None):  # with an email: its passkeys; without: a discoverable credential
        signed = await passkey_login(h, app, email)
        assert signed["__typename"] == "FinishPasskeyLoginPayload", signed
        assert signed["session"] == {"method": "PASSKEY", "secondFactor": "PASSKEY"}
        assert await h.alive(signed["sessionToken"])
    started = json.loads((await run(h, START_LOGIN, email=ADA))["options"])
    assert started["userVerification"] == "required" and len(started["allowCredentials"]) == 1
    claims = jwt.decode(
        (await run(h, ISSUE, signed["sessionToken"]))["accessToken"], options={"verify_signature": False}
    )
    assert claims["amr"] == ["hwk", "user", "hwk", "mfa"]
    [row] = await Passkey.all()
    assert row.sign_count == 2 and row.last_used_at is not None


async def test_user_verification_is_required_to_sign_in(start: Start) -> None:
    h = await start()
    _, app, _ = await with_passkey(h)
    app.user_verified = False
    refused = await passkey_login(h, app, ADA)
    assert code(refused) == 3245 and await Session.filter(method="PASSKEY").count() == 0


async def test_a_counter_that_does_not_increase_is_a_cloned_authenticator(start: Start) -> None:
    h = await start()
    _, app, _ = await with_passkey(h)
    assert (await passkey_login(h, app, ADA))["__typename"] == "FinishPasskeyLoginPayload"
    assert (await passkey_login(h, app, ADA, sign_count=5))["__typename"] == "FinishPasskeyLoginPayload"
    refused = await passkey_login(h, app, ADA, sign_count=5)
    assert code(refused) == 3245 and "sign count" in refused["message"]
    assert code(await passkey_login(h, app, ADA, sign_count=3)) == 3245
    assert (await Passkey.get()).sign_count == 5


async def test_wrong_origin_wrong_challenge_replay_and_expiry_are_refused(start: Start) -> None:
    h = await start()
    _, app, _ = await with_passkey(h)
    assert code(await passkey_login(h, app, ADA, origin="https://evil.example")) == 3245
    # An assertion for another challenge than the one named.
    first = await run(h, START_LOGIN, email=ADA)
    second = await run(h, START_LOGIN, email=ADA)
    crossed = app.get(second["options"], challenge=json.loads(first["options"])["challenge"])
    assert code(await run(h, FINISH_LOGIN, challengeId=second["challengeId"], credential=crossed)) == 3245
    # A challenge works once: the same assertion again, even with a fresh counter.
    started = await run(h, START_LOGIN, email=ADA)
    assertion = app.get(started["options"])
    assert (await run(h, FINISH_LOGIN, challengeId=started["challengeId"], credential=assertion))[
        "__typename"
    ] == "FinishPasskeyLoginPayload"
    again = app.get(started["options"])
    assert code(await run(h, FINISH_LOGIN, challengeId=started["challengeId"], credential=again)) == 3245
    # And not after its lifetime.
    late = await run(h, START_LOGIN, email=ADA)
    h.clock.advance(PASSKEY_CHALLENGE_LIFETIME.total_seconds() + 1)
    assert (
        code(await run(h, FINISH_LOGIN, challengeId=late["challengeId"], credential=app.get(late["options"]))) == 3245
    )
    assert code(await run(h, FINISH_LOGIN, challengeId="not-an-id", credential=app.get(late["options"]))) == 3245
    assert code(await run(h, FINISH_LOGIN, challengeId=late["challengeId"], credential="{}")) == 3245


async def test_another_members_passkey_is_not_usable(start: Start) -> None:
    h = await start()
    _, ada_app, _ = await with_passkey(h, ADA)
    await h.register(BOB)
    # Bob's sign-in challenge with Ada's passkey.
    assert code(await passkey_login(h, ada_app, BOB, credential=ada_app.credentials[0])) == 3245
    # Bob's MFA step with Ada's passkey.
    bob_token = (await h.login(BOB))["sessionToken"]
    await register_passkey(h, bob_token, device(h))
    challenge = await run(h, LOGIN, identity=BOB, password=PASSWORD)
    options = (await run(h, START_MFA, mfa=challenge["mfaToken"]))["options"]
    stolen = ada_app.get(options, credential=ada_app.credentials[0])
    assert code(await run(h, VERIFY_PASSKEY, mfa=challenge["mfaToken"], credential=stolen)) == 3245
    # Renaming or deleting another member's passkey: not found.
    ada_key = (await Passkey.filter(member__email_key=ADA).get()).id
    assert code(await run(h, RENAME, bob_token, id=str(ada_key), name="mine")) == 3246
    assert code(await run(h, DELETE, bob_token, id=str(ada_key))) == 3246


async def test_a_passkey_is_a_second_factor_after_a_password(start: Start) -> None:
    h = await start()
    token, totp_app, _ = await enrolled(h)
    app = device(h)
    await register_passkey(h, token, app)
    challenge = await run(h, LOGIN, identity=ADA, password=PASSWORD)
    assert challenge["__typename"] == "MfaRequired"
    assert set(challenge["methods"]) == {"TOTP", "RECOVERY_CODE", "PASSKEY"}
    options = json.loads((await run(h, START_MFA, mfa=challenge["mfaToken"]))["options"])
    assert len(options["allowCredentials"]) == 1
    # The assertion for the challenge, without user verification (the password was the first factor).
    app.user_verified = False
    verified = await run(h, VERIFY_PASSKEY, mfa=challenge["mfaToken"], credential=app.get(options))
    assert verified["__typename"] == "VerifyMfaPayload", verified
    assert verified["session"] == {"method": "PASSWORD", "secondFactor": "PASSKEY"}
    # verifyMfa with a code still works, and neither / both is refused.
    h.clock.advance(30)
    other = await run(h, LOGIN, identity=ADA, password=PASSWORD)
    assert code(await run(h, VERIFY_CODE, mfa=other["mfaToken"])) == 3240
    assert (await run(h, VERIFY_CODE, mfa=other["mfaToken"], code=totp_app.code()))["session"]["secondFactor"] == "TOTP"
    # A passkey-only member is asked for its passkey after its password.
    bob_token, bob_app, _ = await with_passkey(h, BOB)
    only = await run(h, LOGIN, identity=BOB, password=PASSWORD)
    assert only["__typename"] == "MfaRequired" and only["methods"] == ["PASSKEY"]
    options = json.loads((await run(h, START_MFA, mfa=only["mfaToken"]))["options"])
    # A replayed MFA challenge is refused.
    assertion = bob_app.get(options)
    assert (await run(h, VERIFY_PASSKEY, mfa=only["mfaToken"], credential=assertion))[
        "__typename"
    ] == "VerifyMfaPayload"
    third = await run(h, LOGIN, identity=BOB, password=PASSWORD)
    assert code(await run(h, VERIFY_PASSKEY, mfa=third["mfaToken"], credential=bob_app.get(options))) == 3245
    assert bob_token


async def test_rename_and_delete_and_the_last_way_in(start: Start) -> None:
    h = await start()
    token, app, passkey = await with_passkey(h)
    renamed = await run(h, RENAME, token, id=passkey["id"], name="  Phone ")
    assert renamed["passkey"] == {"id": passkey["id"], "name": "Phone"}
    assert code(await run(h, RENAME, token, id=passkey["id"], name=" ")) == 3209
    assert code(await run(h, RENAME, token, id="nope", name="x")) == 3246
    # Without a password, the only passkey is the last way in.
    await Member.filter(email_key=ADA).update(password_hash=None)
    refused = await run(h, DELETE, token, id=passkey["id"])
    assert code(refused) == 3224
    await step_up(h, token, app)  # a second factor is added from a session that proved one lately
    second = await register_passkey(h, token, app, "Key")
    deleted = await run(h, DELETE, token, id=passkey["id"])
    assert deleted["member"] == {"mfaEnabled": True, "passkeys": [{"id": second["id"]}]}
    assert code(await run(h, DELETE, token, id=second["id"])) == 3224
    # With a password again, the last passkey goes and the second factor with it.
    await Member.filter(email_key=ADA).update(password_hash="x")
    gone = await run(h, DELETE, token, id=second["id"])
    assert gone["member"] == {"mfaEnabled": False, "passkeys": []}
    kinds = sorted(e.kind for e in await MemberEvent.filter(kind__startswith="PASSKEY_"))
    assert kinds == ["PASSKEY_ADDED", "PASSKEY_ADDED", "PASSKEY_REMOVED", "PASSKEY_REMOVED", "PASSKEY_RENAMED"]


async def test_a_passkey_is_a_step_up(start: Start) -> None:
    h = await start()
    token, app, _ = await with_passkey(h)
    # The registering session proved no factor: a password change needs a step-up first.
    assert code(await run(h, CHANGE, token, old=PASSWORD, new="a-new-password")) == 3244
    options = (await run(h, START_STEP_UP, token))["options"]
    assert code(await run(h, REAUTHENTICATE, token, credential=app.get(options, origin="https://evil.example"))) == 3245
    options = (await run(h, START_STEP_UP, token))["options"]
    proved = await run(h, REAUTHENTICATE, token, credential=app.get(options))
    assert proved["__typename"] == "ReauthenticatePayload", proved
    assert (await run(h, CHANGE, token, old=PASSWORD, new="a-new-password"))["__typename"] == "ChangePasswordPayload"
    # Another member's step-up challenge is not this member's.
    bob = (await h.register(BOB))["sessionToken"]
    assert code(await run(h, START_STEP_UP, bob)) == 3242
