"""The policy numbers that rules, messages, pages, error descriptions and the schema quote:
each declared once here, everything else reads it."""

from __future__ import annotations

from datetime import timedelta

# Passwords (the seed: 4 to 100 ASCII characters).
PASSWORD_MIN_LENGTH = 4
PASSWORD_MAX_LENGTH = 100

# How long each kind of token or emailed link works.
APPROVAL_TOKEN_LIFETIME = timedelta(hours=30)
CONFIRMATION_LINK_LIFETIME = timedelta(hours=48)
PASSWORD_LINK_LIFETIME = timedelta(hours=3)

# A started external sign-in (startExternalLogin) must be completed within this.
EXTERNAL_STATE_LIFETIME = timedelta(minutes=10)
# Passwordless sign-in (gql/domain/passwordless.py): an emailed code of this many digits and a
# link, both for one sign-in within the lifetime; this many wrong codes end them.
LOGIN_CODE_LIFETIME = timedelta(minutes=10)
LOGIN_CODE_DIGITS = 6
LOGIN_CODE_ATTEMPTS = 5

# Sessions: activity is written at most this often per session; each process deletes expired
# sessions this often (gql/domain/sessions.py).
LAST_SEEN_EVERY = timedelta(minutes=1)
SESSION_SWEEP_SECONDS = 600.0

# Second factors (gql/domain/totp.py, gql/domain/mfa.py): RFC 6238 codes of 6 digits for a
# 30-second step, accepted one step either side; the single-use mfaToken a sign-in hands out
# instead of a session lives this long; a step-up ("a recent second factor") counts this long.
TOTP_DIGITS = 6
TOTP_STEP_SECONDS = 30
TOTP_WINDOW_STEPS = 1
RECOVERY_CODE_COUNT = 10
MFA_TOKEN_LIFETIME = timedelta(minutes=5)
RECENT_SECOND_FACTOR = timedelta(minutes=10)
# Passkeys (gql/domain/passkeys.py): a WebAuthn challenge (registration, sign-in or second factor)
# works once within this; the browser is told the same as its timeout.
PASSKEY_CHALLENGE_LIFETIME = timedelta(minutes=5)
PASSKEY_NAME_LENGTH = 100


def spoken(lifetime: timedelta) -> str:
    """``timedelta(hours=3)`` → "3 hours", as messages say it."""
    hours = int(lifetime.total_seconds() // 3600)
    if hours * 3600 == lifetime.total_seconds():
        return f"{hours} hour" if hours == 1 else f"{hours} hours"
    minutes = int(lifetime.total_seconds() // 60)
    return f"{minutes} minutes"
