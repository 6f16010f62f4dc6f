"""The error catalogue: every expected failure of the service has one numeric code here.

Codes are Backendless's where it has one (2002, 30xx, 8000); 32xx are this service's own.
The GraphQL layer maps each code to one error type; the schema's descriptions quote
``ErrorCode.describe()`` so the table, the types and the docs cannot drift apart.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from gql.domain.policy import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH


class ErrorCode(IntEnum):
    INVALID_API_KEY = 2002
    LOGIN_DISABLED = 3000
    INVALID_CREDENTIALS = 3003
    EMPTY_CREDENTIALS = 3006
    REGISTRATION_DISABLED = 3009
    UNKNOWN_PROPERTY = 3010
    MISSING_PASSWORD = 3011
    REQUIRED_PROPERTY_MISSING = 3012
    MISSING_IDENTITY = 3013
    REGISTRATION_ERROR = 3021
    NOT_LOGGED_IN = 3028
    NOT_ALLOWED = 3029
    MEMBER_NOT_FOUND = 3030
    IDENTITY_TAKEN = 3033
    ACCOUNT_LOCKED = 3036
    RESERVED_PROPERTY = 3039
    EMAIL_FORMAT = 3040
    REQUIRED_PROPERTY_EMPTY = 3041
    DUPLICATE_PROPERTY = 3043
    WRONG_CURRENT_PASSWORD = 3055
    EMAIL_REQUIRED = 3078
    EMAIL_NOT_CONFIRMED = 3087
    EMAIL_ALREADY_CONFIRMED = 3102
    EMAIL_CONFIRMATION_DISABLED = 3103
    NO_ACCOUNT_WITH_EMAIL = 3104
    VALUE_TOO_LONG = 8000
    PASSWORD_POLICY = 3200
    TOKEN_INVALID = 3201
    TOKEN_EXPIRED = 3202
    TOKEN_USED = 3203
    PENDING_APPROVAL = 3204
    SLUG_TAKEN = 3205
    NOT_CONVERTIBLE = 3206
    RATE_LIMITED = 3207
    UNAVAILABLE = 3208
    INVALID_ARGUMENT = 3209
    ROLE_NOT_FOUND = 3210
    ROLE_NAME_TAKEN = 3211
    BADGE_NOT_FOUND = 3212
    BUILT_IN_ROLE = 3213
    CANNOT_GRANT = 3214
    API_KEY_NOT_FOUND = 3215
    SESSION_NOT_FOUND = 3216
    TOO_MANY_SESSIONS = 3217
    # External sign-in (OpenID Connect / OAuth 2.0 providers: gql/domain/external_login.py).
    UNKNOWN_PROVIDER = 3220
    EXTERNAL_STATE_INVALID = 3221
    EXTERNAL_ANSWER_INVALID = 3222
    EXTERNAL_LINK_REQUIRED = 3223
    LAST_SIGN_IN_METHOD = 3224
    REDIRECT_URI_NOT_ALLOWED = 3225
    IDENTITY_LINKED_ELSEWHERE = 3226
    SECOND_FACTOR_INVALID = 3240
    MFA_TOKEN_INVALID = 3241
    FACTOR_STATE = 3242
    MFA_REQUIRED = 3243
    RECENT_SECOND_FACTOR_REQUIRED = 3244
    PASSKEY_INVALID = 3245
    PASSKEY_NOT_FOUND = 3246
    LOGIN_CODE_INVALID = 3230
    PASSWORDLESS_DISABLED = 3231
    # Request-level failures of GraphQL over HTTP: the request is refused before anything runs.
    GRAPHQL_PARSE_FAILED = 3250
    GRAPHQL_VALIDATION_FAILED = 3251
    BAD_VARIABLES = 3252
    QUERY_TOO_DEEP = 3253
    TOO_MANY_ALIASES = 3254
    TOO_MANY_TOKENS = 3255
    REQUEST_TOO_LARGE = 3256
    PERSISTED_QUERY_NOT_FOUND = 3257
    PERSISTED_QUERY_NOT_ALLOWED = 3258
    BAD_REQUEST = 3259

    def describe(self) -> str:
        return _DESCRIPTIONS[self]

    def extensions(self) -> dict[str, Any]:
        """What a GraphQL error's ``extensions`` say of this code: the number and its name."""
        return {"code": int(self), "reason": self.name}


_DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.INVALID_API_KEY: "Invalid application info: the X-Api-Key header is wrong.",
    ErrorCode.LOGIN_DISABLED: "Login is disabled for this account (it is blocked).",
    ErrorCode.INVALID_CREDENTIALS: "Invalid login or password.",
    ErrorCode.EMPTY_CREDENTIALS: "Login or password is empty.",
    ErrorCode.REGISTRATION_DISABLED: "Registration is disabled.",
    ErrorCode.UNKNOWN_PROPERTY: "Unknown property, and dynamic properties are disabled.",
    ErrorCode.MISSING_PASSWORD: "The password is missing.",
    ErrorCode.REQUIRED_PROPERTY_MISSING: "A required property is missing.",
    ErrorCode.MISSING_IDENTITY: "The identity property has no value.",
    ErrorCode.REGISTRATION_ERROR: "General registration error; the message says what is wrong.",
    ErrorCode.NOT_LOGGED_IN: "The caller must be logged in.",
    ErrorCode.NOT_ALLOWED: "Only the backend (X-Api-Key) or the member itself may do this.",
    ErrorCode.MEMBER_NOT_FOUND: "No such member.",
    ErrorCode.IDENTITY_TAKEN: "A member with the same identity already exists.",
    ErrorCode.ACCOUNT_LOCKED: "The account is locked after too many failed logins.",
    ErrorCode.RESERVED_PROPERTY: "A reserved property name (such as id) cannot be used.",
    ErrorCode.EMAIL_FORMAT: "The email address is in the wrong format.",
    ErrorCode.REQUIRED_PROPERTY_EMPTY: "A required property is present but empty.",
    ErrorCode.DUPLICATE_PROPERTY: "Duplicate properties (case-insensitive, or clashing with a built-in field).",
    ErrorCode.WRONG_CURRENT_PASSWORD: "The current password is incorrect (changePassword).",
    ErrorCode.EMAIL_REQUIRED: "An email is required because email confirmation is on.",
    ErrorCode.EMAIL_NOT_CONFIRMED: "The email address is not confirmed yet.",
    ErrorCode.EMAIL_ALREADY_CONFIRMED: "The email address is already confirmed.",
    ErrorCode.EMAIL_CONFIRMATION_DISABLED: "Email confirmation is not enabled.",
    ErrorCode.NO_ACCOUNT_WITH_EMAIL: "No account has that email.",
    ErrorCode.VALUE_TOO_LONG: "A property value exceeds its length limit.",
    ErrorCode.PASSWORD_POLICY: f"The password must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} printable ASCII "
    "characters.",
    ErrorCode.TOKEN_INVALID: "The token is invalid (bad signature, malformed or wrong purpose).",
    ErrorCode.TOKEN_EXPIRED: "The token has expired.",
    ErrorCode.TOKEN_USED: "The token was already used.",
    ErrorCode.PENDING_APPROVAL: "The member is pending approval.",
    ErrorCode.SLUG_TAKEN: "The profile slug is already taken.",
    ErrorCode.NOT_CONVERTIBLE: "Cannot convert: not a guest, or not the caller's guest.",
    ErrorCode.RATE_LIMITED: "Too many requests; retry after the given number of seconds.",
    ErrorCode.UNAVAILABLE: "Temporarily unavailable (database unreachable); safe to retry.",
    ErrorCode.INVALID_ARGUMENT: "An argument is invalid (for example a malformed cursor or a page size outside 0..100).",
    ErrorCode.ROLE_NOT_FOUND: "No such role.",
    ErrorCode.ROLE_NAME_TAKEN: "A role with that name exists.",
    ErrorCode.BADGE_NOT_FOUND: "No such badge.",
    ErrorCode.BUILT_IN_ROLE: "The built-in roles cannot be changed or deleted this way (and the last admin stays).",
    ErrorCode.CANNOT_GRANT: "The caller cannot grant a permission it does not hold.",
    ErrorCode.API_KEY_NOT_FOUND: "No such API key.",
    ErrorCode.SESSION_NOT_FOUND: "No such session (it never existed, ended, or is not the caller's to see).",
    ErrorCode.TOO_MANY_SESSIONS: "The member holds as many sessions as allowed, and the policy refuses new sign-ins "
    "until one ends.",
    ErrorCode.UNKNOWN_PROVIDER: "No external provider has that name.",
    ErrorCode.EXTERNAL_STATE_INVALID: "The external sign-in state is invalid, already used or expired: start again.",
    ErrorCode.EXTERNAL_ANSWER_INVALID: "The provider's answer is invalid (the code exchange failed, or the ID token "
    "or user information did not validate).",
    ErrorCode.EXTERNAL_LINK_REQUIRED: "A member with this email exists: sign in that member first and link the "
    "provider (linkExternalIdentity).",
    ErrorCode.LAST_SIGN_IN_METHOD: "Cannot remove the last way to sign in (the member has no password, and no other "
    "provider or passkey).",
    ErrorCode.REDIRECT_URI_NOT_ALLOWED: "The redirect URI is not one MEMBERS_EXTERNAL_REDIRECT_URIS allows.",
    ErrorCode.IDENTITY_LINKED_ELSEWHERE: "This provider identity is linked to another member.",
    ErrorCode.SECOND_FACTOR_INVALID: "The second-factor code is invalid: wrong, expired, or already used.",
    ErrorCode.MFA_TOKEN_INVALID: "The mfaToken is invalid, already used, or expired: sign in again.",
    ErrorCode.FACTOR_STATE: "The member's second factor is not in a state that allows this (already enrolled, "
    "not enrolled, or not confirmed).",
    ErrorCode.MFA_REQUIRED: "Multi-factor authentication is required: enrol a second factor (enrollTotp and "
    "confirmTotp, or a passkey), or prove the one the member has in this session (reauthenticate), first.",
    ErrorCode.RECENT_SECOND_FACTOR_REQUIRED: "This operation needs a second factor proved recently: call "
    "reauthenticate with a code first.",
    ErrorCode.PASSKEY_INVALID: "Passkey verification failed: the challenge is unknown, used or expired, the origin, "
    "relying party, signature or user verification is wrong, the passkey is unknown or another member's, or its "
    "signature counter did not increase (a cloned authenticator).",
    ErrorCode.PASSKEY_NOT_FOUND: "No such passkey (it never existed, was deleted, or is not the caller's).",
    ErrorCode.LOGIN_CODE_INVALID: "The sign-in code or link is wrong, expired, already used, replaced by a newer one, "
    "or dead after too many wrong codes.",
    ErrorCode.PASSWORDLESS_DISABLED: "Passwordless sign-in is disabled (registration setting passwordlessLogin).",
    ErrorCode.GRAPHQL_PARSE_FAILED: "The document is not valid GraphQL syntax.",
    ErrorCode.GRAPHQL_VALIDATION_FAILED: "The document does not validate against the schema.",
    ErrorCode.BAD_VARIABLES: "A variable's value does not fit its declared type (or a required one is missing).",
    ErrorCode.QUERY_TOO_DEEP: "The document nests fields deeper than the depth limit.",
    ErrorCode.TOO_MANY_ALIASES: "The document holds more aliases than the alias limit.",
    ErrorCode.TOO_MANY_TOKENS: "The document holds more tokens than the token limit.",
    ErrorCode.REQUEST_TOO_LARGE: "The request body is larger than the size limit (HTTP 413).",
    ErrorCode.PERSISTED_QUERY_NOT_FOUND: "PersistedQueryNotFound: send the document with its hash once.",
    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED: "Only registered (persisted) documents may run on this server.",
    ErrorCode.BAD_REQUEST: "The HTTP request is malformed or not served: its path, method, media type, body or parameters (a persisted-query hash that is not the document's included).",
}


class DomainError(Exception):
    """An expected failure: a code from the catalogue, a human message, optional details.

    Details are named extra facts a client can act on, e.g. ``property="hobby"`` or
    ``limit=500``; the GraphQL layer exposes them as fields of the error type.
    """

    def __init__(self, code: ErrorCode, message: str | None = None, **details: Any) -> None:
        self.code = code
        self.message = message or code.describe()
        self.details = details
        super().__init__(f"{int(code)}: {self.message}")
