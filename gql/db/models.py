"""Tortoise models: the storage shape of members, contacts, registration settings, sessions,
access-token signing keys, the outbox, the audit trail, rate-limit buckets and lockout counts.

A session is a row holding the SHA-256 of its opaque bearer token, never the token
(gql/domain/sessions.py); signing keys hold their private half encrypted (gql/domain/signing_keys.py).
Uniqueness that matters under concurrency (identity, email, slug) is enforced by unique
indexes, never by a look-up first; gql/db/errors.py tells which one a racing insert hit
from the constraint name (PostgreSQL) or the column (SQLite). (Tortoise 1.1's CreateModel
ignores Meta.constraints, hence ``unique=True`` and ``unique_together``.)
"""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from gql.domain.statuses import ActivityStatus, MemberStatus, PrivacyStatus, SecondFactor, SessionMethod


class RegistrationSettingsRow(Model):
    # The single row (id = 1) of registration settings: one JSON object keyed by setting
    # (gql/domain/registration_settings.py declares them; a setting the object lacks takes its default).
    id = fields.IntField(primary_key=True)
    data = fields.JSONField(default=dict, db_default="{}")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "registration_settings"


class Contact(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    # Normalised email, for anonymous registration to find and reuse a contact.
    email_key = fields.CharField(max_length=320, null=True, db_index=True)
    first_name = fields.CharField(max_length=500, null=True)
    last_name = fields.CharField(max_length=500, null=True)
    # Lists of tagged entries (gql/domain/contacts.py: Phone, Email, Address), e.g.
    # [{"phone": "+1 555 0100", "tag": "MOBILE", "primary": true}].
    phones = fields.JSONField(default=list)
    emails = fields.JSONField(default=list)
    picture = fields.CharField(max_length=2000, null=True)
    custom_fields = fields.JSONField(default=dict)
    addresses = fields.JSONField(default=list, db_default="[]")
    birthdate = fields.DateField(null=True)
    company = fields.CharField(max_length=500, null=True)
    job_title = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contact"


class Member(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    # The normalised value of the identity property (trim, NFKC, case-fold); NULL for guests.
    identity = fields.CharField(max_length=500, unique=True, null=True)
    login_email = fields.CharField(max_length=320, null=True)
    email_key = fields.CharField(max_length=320, null=True, unique=True)
    password_hash = fields.CharField(max_length=128, null=True)
    status = fields.CharEnumField(MemberStatus, max_length=16)
    privacy_status = fields.CharEnumField(PrivacyStatus, max_length=16, default=PrivacyStatus.PRIVATE)
    activity_status = fields.CharEnumField(ActivityStatus, max_length=16, default=ActivityStatus.ACTIVE)
    email_verified = fields.BooleanField(default=False)
    is_guest = fields.BooleanField(default=False)
    contact: fields.ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "models.Contact", related_name="members", on_delete=fields.RESTRICT
    )
    nickname = fields.CharField(max_length=500)
    # Case-folded nickname: the sort and prefix-filter key of the listing.
    nickname_key = fields.CharField(max_length=500)
    slug = fields.CharField(max_length=255, unique=True)
    photo = fields.CharField(max_length=2000, null=True)
    title = fields.CharField(max_length=500, null=True)
    # The ids (jti) of the one approval / email-confirmation / password-reset token
    # that may still be used: issuing a new one or using it replaces or clears it.
    approval_jti = fields.CharField(max_length=64, null=True)
    confirm_jti = fields.CharField(max_length=64, null=True)
    reset_jti = fields.CharField(max_length=64, null=True)
    # Brute-force lockout: until when the account refuses logins from everyone (the counts
    # per client address live in login_lockout, gql/domain/lockout.py).
    locked_until = fields.DatetimeField(null=True)
    # Raised by every change that must kill the member's outstanding emailed links and approval
    # token (a block, a password change or reset): it is part of their fingerprint
    # (gql/domain/links.py). Sessions are rows of their own and are ended by deleting them.
    security_stamp = fields.IntField(default=0, db_default=0)
    # A self-registered member takes over the site's existing contact of its address once it
    # proves that address (gql/domain/contacts.py); until then it holds only its own.
    claims_contact = fields.BooleanField(default=False, db_default=False)
    # A confirmed second factor (totp_factor): every sign-in asks for it (gql/domain/mfa.py). Kept
    # on the row so that a sign-in knows without another query.
    mfa_enabled = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "member"
        indexes = (
            Index(fields=("created_at", "id"), name="ix_member_created"),
            Index(fields=("nickname_key", "id"), name="ix_member_nickname"),
            Index(fields=("privacy_status", "status", "created_at", "id"), name="ix_member_visible_created"),
            Index(fields=("privacy_status", "status", "nickname_key", "id"), name="ix_member_visible_nickname"),
        )


class Session(Model):
    # One sign-in (gql/domain/sessions.py). The bearer token is 256 random bits handed to the
    # client once; only its SHA-256 is kept, so a copy of the table opens no session. Ending a
    # session deletes its row (block, password change or reset, revocation, logout); one past
    # ``expires_at`` is dead and swept now and then.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    token_hash = fields.CharField(max_length=64, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="sessions", on_delete=fields.CASCADE
    )
    method = fields.CharEnumField(SessionMethod, max_length=16)
    # Kept for the whole lifetime; otherwise it also ends after the idle timeout.
    stay_logged_in = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()
    # Written at most once a minute per session, not on every request.
    last_seen_at = fields.DatetimeField()
    # When it ends unless used: the lifetime's end, or, for one that does not stay logged in,
    # the idle timeout after last_seen_at if that comes first (moved with last_seen_at).
    expires_at = fields.DatetimeField()
    user_agent = fields.CharField(max_length=500, null=True)
    ip_address = fields.CharField(max_length=64, null=True)
    # The second factor proved for this session, and when last (at sign-in or by reauthenticate).
    second_factor = fields.CharEnumField(SecondFactor, max_length=16, null=True)
    second_factor_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session"
        indexes = (
            Index(fields=("member_id", "created_at"), name="ix_session_member"),
            Index(fields=("expires_at",), name="ix_session_expires"),
        )


class TotpFactor(Model):
    # A member's authenticator app (gql/domain/totp.py). ``secret`` is AES-GCM-encrypted under a
    # key derived from MEMBERS_SECRET_KEY (a copy of the table yields no codes); ``last_step`` is
    # the newest 30-second step a code was accepted for: a code works once, checked by a
    # conditional UPDATE in whichever process sees it.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    member: fields.OneToOneRelation[Member] = fields.OneToOneField(
        "models.Member", related_name="totp", on_delete=fields.CASCADE
    )
    secret = fields.CharField(max_length=200)
    confirmed_at = fields.DatetimeField(null=True)
    last_step = fields.BigIntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "totp_factor"


class RecoveryCode(Model):
    # A single-use recovery code, kept as a keyed digest only; using it deletes the row.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64)

    class Meta:
        table = "recovery_code"
        unique_together = (("member", "code_hash"),)


class MfaChallenge(Model):
    # A sign-in waiting for its second factor (gql/domain/mfa.py): the mfaToken's SHA-256 (the
    # token goes to the client once), how the first factor was proved, and until when.
    # verifyMfa deletes the row as it opens the session, so a token works once.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    token_hash = fields.CharField(max_length=64, unique=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="mfa_challenges", on_delete=fields.CASCADE
    )
    method = fields.CharEnumField(SessionMethod, max_length=16)
    stay_logged_in = fields.BooleanField(default=False)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "mfa_challenge"
        indexes = (Index(fields=("expires_at",), name="ix_mfa_challenge_expires"),)


class SigningKey(Model):
    # A key that signs access tokens (gql/domain/signing_keys.py). The private half is either
    # AES-GCM-encrypted under a key derived from MEMBERS_SECRET_KEY (``private_key``) or in a
    # PEM file every server can read (``private_key_file``); the public half is published at
    # /.well-known/jwks.json from ``signs_from`` on (earlier for a rotated-in key) until every
    # token it signed has expired.
    kid = fields.CharField(max_length=64, primary_key=True)
    # 1 for the first key, one more for each rotation: unique, so two processes cannot both
    # add the same generation (the newest generation whose moment has come signs).
    generation = fields.IntField(unique=True)
    algorithm = fields.CharField(max_length=16)
    public_jwk = fields.JSONField()
    private_key = fields.TextField(null=True)
    private_key_file = fields.CharField(max_length=1000, null=True)
    created_at = fields.DatetimeField()
    # From when it signs (the newest key whose moment has come is the signer).
    signs_from = fields.DatetimeField()

    class Meta:
        table = "signing_key"


class OutboxMessage(Model):
    # An email or webhook call, written in the same transaction as the change that
    # causes it; the delivery worker claims, sends and marks it.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = fields.CharField(max_length=16)  # "email" | "webhook"
    recipient = fields.CharField(max_length=2000)
    subject = fields.CharField(max_length=500, null=True)
    # An email is rendered when it is sent, from its template, its context ({"name": …}) and
    # its link's recipe (gql/domain/links.py), never from a stored token; all three are blanked
    # once it is sent or given up. body_text / body_html only hold mail queued before that.
    template = fields.CharField(max_length=64, null=True)
    context = fields.JSONField(null=True)
    link = fields.JSONField(null=True)
    body_text = fields.TextField(null=True)
    body_html = fields.TextField(null=True)
    payload = fields.JSONField(null=True)
    # PENDING | SENT | FAILED (given up) | SUPERSEDED (its link died before it went out: not sent)
    status = fields.CharField(max_length=16, default="PENDING")
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    locked_by = fields.CharField(max_length=64, null=True)
    locked_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=1000, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox"
        indexes = (Index(fields=("status", "next_attempt_at"), name="ix_outbox_due"),)


class MemberEvent(Model):
    # The audit trail. No foreign key: events outlive a deleted member.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    member_id = fields.UUIDField()
    kind = fields.CharField(max_length=32)
    actor = fields.CharField(max_length=16)  # anonymous | member | backend
    actor_member_id = fields.UUIDField(null=True)
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "member_event"
        indexes = (Index(fields=("member_id", "created_at", "id"), name="ix_event_member"),)


class RateLimitBucket(Model):
    # A token bucket of the rate limits, shared by every server process (when Redis is not
    # configured): gql/domain/ratelimit.py, gql/db/buckets.py.
    key = fields.CharField(max_length=255, primary_key=True)
    tokens = fields.FloatField()
    updated_at = fields.FloatField()  # epoch seconds

    class Meta:
        table = "rate_limit_bucket"


class LoginLockout(Model):
    # Failed logins of one account from one client address (gql/domain/lockout.py, gql/db/lockouts.py).
    # ``account`` is a digest of the normalised identity, never the identity itself, and exists
    # for unknown identities alike, so a row reveals no account. The row of the address "*" is
    # the account-wide lock of an identity that is no member (a member's is member.locked_until).
    # 64-bit id: on PostgreSQL every upsert draws a sequence number, even when it updates.
    id = fields.BigIntField(primary_key=True)
    account = fields.CharField(max_length=40)
    address = fields.CharField(max_length=100)
    # Consecutive failures from this address since the account's last successful login.
    failures = fields.IntField(default=0)
    # When the latest of them happened (epoch seconds): what the staleness sweep goes by.
    last_failure_at = fields.FloatField()
    # Until when this address is locked out (epoch seconds), set only once ``failures`` reached
    # the threshold; a count below the threshold is never a lock, whatever this says.
    locked_until = fields.FloatField(null=True)

    class Meta:
        table = "login_lockout"
        unique_together = (("account", "address"),)
        indexes = (Index(fields=("last_failure_at",), name="ix_login_lockout_last_failure"),)


class AuditEvent(Model):
    # Changes that are not about one member (the registration settings, and later roles, badges,
    # API keys), with who made them; members' own trail is member_event.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = fields.CharField(max_length=32)
    actor = fields.CharField(max_length=16)  # anonymous | member | backend
    actor_member_id = fields.UUIDField(null=True)
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "audit_event"
        indexes = (Index(fields=("created_at", "id"), name="ix_audit_event_created"),)


class Role(Model):
    # A role a site defines (Wix authorization, Backendless security roles). ``system`` rows are
    # the built-in ``admin`` and the computed roles (gql/domain/roles.py), made by migration 0007.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    name = fields.CharField(max_length=64)
    # Case-folded name: unique, so "Editors" and "editors" cannot both exist.
    name_key = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=200)
    description = fields.CharField(max_length=2000, default="")
    color = fields.CharField(max_length=32, null=True)
    permissions = fields.JSONField(default=list)  # Permission names
    site_permissions = fields.JSONField(default=list)
    system = fields.BooleanField(default=False)
    # Its permissions apply only to a session that proved a second factor (gql/domain/mfa_policy.py).
    require_mfa = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "role"


class MemberRole(Model):
    # A role assigned to a member; gone with either.
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="role_links", on_delete=fields.CASCADE
    )
    role: fields.ForeignKeyRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="member_links", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "member_role"
        unique_together = (("member", "role"),)
        indexes = (Index(fields=("role_id", "member_id"), name="ix_member_role_role"),)


class Badge(Model):
    # A badge (Wix badges), shown on members' public profiles; a badge with a role grants it.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    title = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=100, unique=True)
    description = fields.CharField(max_length=2000, default="")
    background_color = fields.CharField(max_length=32, null=True)
    text_color = fields.CharField(max_length=32, null=True)
    icon = fields.CharField(max_length=2000, null=True)
    role: fields.ForeignKeyNullableRelation[Role] = fields.ForeignKeyField(
        "models.Role", related_name="badges", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "badge"


class MemberBadge(Model):
    id = fields.BigIntField(primary_key=True)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="badge_links", on_delete=fields.CASCADE
    )
    badge: fields.ForeignKeyRelation[Badge] = fields.ForeignKeyField(
        "models.Badge", related_name="member_links", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "member_badge"
        unique_together = (("member", "badge"),)
        indexes = (Index(fields=("badge_id", "member_id"), name="ix_member_badge_badge"),)


class ApiKey(Model):
    # A scoped backend key: found by its public prefix, checked by its secret's hash (never stored
    # in clear), holding its own permissions.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    name = fields.CharField(max_length=200)
    prefix = fields.CharField(max_length=16, unique=True)
    secret_hash = fields.CharField(max_length=64)
    permissions = fields.JSONField(default=list)
    site_permissions = fields.JSONField(default=list)
    created_by_member_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"


class ExternalProvider(Model):
    # An OpenID Connect or OAuth 2.0 provider members may sign in with (gql/domain/external_providers.py).
    # The client secret is AES-256-GCM-encrypted under a key derived from MEMBERS_SECRET_KEY, with the
    # provider's name as associated data; it is never returned or logged.
    name = fields.CharField(max_length=64, primary_key=True)
    display_name = fields.CharField(max_length=200)
    kind = fields.CharField(max_length=16)  # OIDC | OAUTH2
    issuer = fields.CharField(max_length=2000, null=True)
    authorization_url = fields.CharField(max_length=2000, null=True)
    token_url = fields.CharField(max_length=2000, null=True)
    userinfo_url = fields.CharField(max_length=2000, null=True)
    client_id = fields.CharField(max_length=500)
    # Sealed; null when the provider authenticates this server by a signed JWT (PRIVATE_KEY_JWT).
    client_secret = fields.TextField(null=True)
    # ClientAuthMethod: how the token endpoint is told who is asking.
    token_auth_method = fields.CharField(max_length=32, default="CLIENT_SECRET_BASIC", db_default="CLIENT_SECRET_BASIC")
    scopes = fields.JSONField(default=list)
    # Which claim of the ID token or the userinfo answer holds the subject, email, email_verified, name.
    claim_mapping = fields.JSONField(default=dict)
    # Custom fields of a member it signs up: {custom field name: claim name}.
    custom_field_claims = fields.JSONField(default=dict, db_default="{}")
    allow_signup = fields.BooleanField(default=False)
    trust_verified_email = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "external_provider"


class ExternalLoginState(Model):
    # One started external sign-in or link (startExternalLogin): what the provider's answer must match.
    # The client holds the state value; the row keeps only its SHA-256. Used once: completing it
    # deletes the row (a conditional DELETE … RETURNING), so a replay finds nothing.
    state_hash = fields.CharField(max_length=64, primary_key=True)
    provider = fields.CharField(max_length=64)
    redirect_uri = fields.CharField(max_length=2000)
    code_verifier = fields.CharField(max_length=128)
    nonce = fields.CharField(max_length=128)
    # The guest a sign-up converts (keeping its id), and the member whose session started it: only
    # that member may complete it with linkExternalIdentity.
    guest_id = fields.UUIDField(null=True)
    member_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "external_login_state"
        indexes = (Index(fields=("expires_at",), name="ix_external_state_expires"),)


class ExternalIdentity(Model):
    # A member's link to a provider account: (provider, subject) is unique, so one provider identity
    # belongs to at most one member, whatever races.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="external_identities", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=64)
    subject = fields.CharField(max_length=255)
    email = fields.CharField(max_length=320, null=True)
    linked_at = fields.DatetimeField()

    class Meta:
        table = "external_identity"
        unique_together = (("provider", "subject"),)
        indexes = (Index(fields=("member_id", "provider"), name="ix_external_identity_member"),)


class LoginCode(Model):
    # The one live passwordless sign-in of an address (gql/domain/passwordless.py): a new request
    # replaces it (an upsert on the primary key), a sign-in deletes it. It holds keyed digests of
    # the code and of the link's token, never either; rows exist for addresses no member has
    # alike, so a row reveals no account. Times are epoch seconds.
    email_key = fields.CharField(max_length=320, primary_key=True)
    # The address as asked for (canonical form): where the mail goes, and the login email of a
    # member a passwordless sign-up creates.
    email = fields.CharField(max_length=320)
    code_hash = fields.CharField(max_length=64)
    link_hash = fields.CharField(max_length=64, unique=True)
    # Wrong codes still allowed; taken one per try by a conditional UPDATE before the comparison.
    attempts_left = fields.IntField()
    created_at = fields.FloatField()
    expires_at = fields.FloatField(db_index=True)

    class Meta:
        table = "login_code"


class Passkey(Model):
    # A member's WebAuthn credential (gql/domain/passkeys.py): its id and COSE public key as the
    # authenticator made them (base64url), the newest signature counter seen (an assertion whose
    # counter does not increase, when either is non-zero, is refused: a cloned authenticator), the
    # transports the browser reported, and the backup flags (may be / is synced).
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    member: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="passkeys", on_delete=fields.CASCADE
    )
    credential_id = fields.CharField(max_length=1400, unique=True)
    public_key = fields.TextField()
    sign_count = fields.BigIntField(default=0)
    transports = fields.JSONField(default=list)
    backup_eligible = fields.BooleanField(default=False)
    backed_up = fields.BooleanField(default=False)
    name = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "passkey"
        indexes = (Index(fields=("member_id", "created_at"), name="ix_passkey_member"),)


class PasskeyChallenge(Model):
    # A WebAuthn ceremony under way (gql/domain/passkeys.py): the random challenge (base64url), what it
    # is for (REGISTRATION, LOGIN, MFA), the member it is bound to (none for a sign-in without an
    # email: discoverable credentials), the MFA challenge it finishes, and until when. Finishing deletes
    # the row (a delete count of one wins), so a challenge works once, in whichever process.
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    challenge = fields.CharField(max_length=64, unique=True)
    purpose = fields.CharField(max_length=16)
    member: fields.ForeignKeyNullableRelation[Member] = fields.ForeignKeyField(
        "models.Member", related_name="passkey_challenges", on_delete=fields.CASCADE, null=True
    )
    mfa_challenge: fields.ForeignKeyNullableRelation[MfaChallenge] = fields.ForeignKeyField(
        "models.MfaChallenge", related_name="passkey_challenges", on_delete=fields.CASCADE, null=True
    )
    expires_at = fields.DatetimeField()

    class Meta:
        table = "passkey_challenge"
        indexes = (Index(fields=("expires_at",), name="ix_passkey_challenge_expires"),)
