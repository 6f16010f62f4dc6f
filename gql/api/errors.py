"""Error types: one GraphQL type per catalogue code, all implementing ``Error``.

Every error has ``code`` (the seed's number), ``reason`` (the same as an enum, for clients
that switch exhaustively), ``message`` and ``property``. Errors with more to say implement
a sub-interface: ``RetryableError`` (``retryAfter``) and ``LimitError`` (``limit``).

Resolvers never build these by hand: they let a ``DomainError`` escape, and the
``ErrorsAsData`` field extension turns it into the error type of its code when that type is
a member of the field's result union. A code the union does not list is a request-level
GraphQL error carrying ``extensions.code`` (and ``extensions.reason``) instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, Union

import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info
from strawberry.types.union import StrawberryUnion
from strawberry.utils.str_converters import to_camel_case

from gql.domain.errors import DomainError, ErrorCode

ErrorReason = strawberry.enum(
    Enum(  # type: ignore[misc]
        "ErrorReason",
        {
            code.name: strawberry.enum_value(code.name, description=f"{int(code)}: {code.describe()}")
            for code in ErrorCode
        },
    ),
    description="Why something failed: one value per error code (see `Error.code`).",
)


@strawberry.interface(
    description="Every expected failure. Select `... on Error { code reason message property }` to read any of them "
    "(Apollo Client needs the shipped possibleTypes.json for that); each error type also names its code."
)
class Error:
    code: int = strawberry.field(description="The numeric error code (the table in docs/errors.md).")
    reason: ErrorReason = strawberry.field(description="The error code as an enum value.")  # type: ignore[valid-type]
    message: str = strawberry.field(description="What went wrong, for humans.")
    property: str | None = strawberry.field(
        default=None, description="The argument or input property the error is about, if any."
    )


@strawberry.interface(description="A refusal that lifts by itself: try again after `retryAfter` seconds.")
class RetryableError(Error):
    retry_after: int = strawberry.field(description="Seconds to wait before trying again (also sent as Retry-After).")


@strawberry.interface(description="A value or a count over a limit.")
class LimitError(Error):
    limit: int | None = strawberry.field(default=None, description="The limit that was exceeded, when there is one.")


ERROR_TYPES: dict[ErrorCode, type[Error]] = {}

# The codes whose errors say more than the common fields, and the interface that says it.
_RETRYABLE = {ErrorCode.RATE_LIMITED, ErrorCode.ACCOUNT_LOCKED}
_LIMITED = {
    ErrorCode.VALUE_TOO_LONG,
    ErrorCode.INVALID_ARGUMENT,
    ErrorCode.REGISTRATION_ERROR,
    ErrorCode.TOO_MANY_SESSIONS,
}


def _error_type(code: ErrorCode, name: str) -> type[Error]:
    base: type[Error] = RetryableError if code in _RETRYABLE else LimitError if code in _LIMITED else Error
    namespace = {"__module__": __name__, "__doc__": None}
    cls = strawberry.type(type(name, (base,), namespace), description=f"Code {int(code)}: {code.describe()}")
    ERROR_TYPES[code] = cls
    return cls


LoginDisabledError = _error_type(ErrorCode.LOGIN_DISABLED, "LoginDisabledError")
InvalidCredentialsError = _error_type(ErrorCode.INVALID_CREDENTIALS, "InvalidCredentialsError")
EmptyCredentialsError = _error_type(ErrorCode.EMPTY_CREDENTIALS, "EmptyCredentialsError")
RegistrationDisabledError = _error_type(ErrorCode.REGISTRATION_DISABLED, "RegistrationDisabledError")
UnknownPropertyError = _error_type(ErrorCode.UNKNOWN_PROPERTY, "UnknownPropertyError")
MissingPasswordError = _error_type(ErrorCode.MISSING_PASSWORD, "MissingPasswordError")
RequiredPropertyMissingError = _error_type(ErrorCode.REQUIRED_PROPERTY_MISSING, "RequiredPropertyMissingError")
MissingIdentityError = _error_type(ErrorCode.MISSING_IDENTITY, "MissingIdentityError")
RegistrationError = _error_type(ErrorCode.REGISTRATION_ERROR, "RegistrationError")
NotLoggedInError = _error_type(ErrorCode.NOT_LOGGED_IN, "NotLoggedInError")
NotAllowedError = _error_type(ErrorCode.NOT_ALLOWED, "NotAllowedError")
MemberNotFoundError = _error_type(ErrorCode.MEMBER_NOT_FOUND, "MemberNotFoundError")
IdentityTakenError = _error_type(ErrorCode.IDENTITY_TAKEN, "IdentityTakenError")
ReservedPropertyError = _error_type(ErrorCode.RESERVED_PROPERTY, "ReservedPropertyError")
EmailFormatError = _error_type(ErrorCode.EMAIL_FORMAT, "EmailFormatError")
RequiredPropertyEmptyError = _error_type(ErrorCode.REQUIRED_PROPERTY_EMPTY, "RequiredPropertyEmptyError")
DuplicatePropertyError = _error_type(ErrorCode.DUPLICATE_PROPERTY, "DuplicatePropertyError")
ValueTooLongError = _error_type(ErrorCode.VALUE_TOO_LONG, "ValueTooLongError")
PasswordPolicyError = _error_type(ErrorCode.PASSWORD_POLICY, "PasswordPolicyError")
TokenInvalidError = _error_type(ErrorCode.TOKEN_INVALID, "TokenInvalidError")
TokenExpiredError = _error_type(ErrorCode.TOKEN_EXPIRED, "TokenExpiredError")
TokenUsedError = _error_type(ErrorCode.TOKEN_USED, "TokenUsedError")
PendingApprovalError = _error_type(ErrorCode.PENDING_APPROVAL, "PendingApprovalError")
NotConvertibleError = _error_type(ErrorCode.NOT_CONVERTIBLE, "NotConvertibleError")
InvalidArgumentError = _error_type(ErrorCode.INVALID_ARGUMENT, "InvalidArgumentError")
WrongCurrentPasswordError = _error_type(ErrorCode.WRONG_CURRENT_PASSWORD, "WrongCurrentPasswordError")
EmailRequiredError = _error_type(ErrorCode.EMAIL_REQUIRED, "EmailRequiredError")
EmailNotConfirmedError = _error_type(ErrorCode.EMAIL_NOT_CONFIRMED, "EmailNotConfirmedError")
EmailAlreadyConfirmedError = _error_type(ErrorCode.EMAIL_ALREADY_CONFIRMED, "EmailAlreadyConfirmedError")
EmailConfirmationDisabledError = _error_type(ErrorCode.EMAIL_CONFIRMATION_DISABLED, "EmailConfirmationDisabledError")
NoAccountWithEmailError = _error_type(ErrorCode.NO_ACCOUNT_WITH_EMAIL, "NoAccountWithEmailError")
SlugTakenError = _error_type(ErrorCode.SLUG_TAKEN, "SlugTakenError")
AccountLockedError = _error_type(ErrorCode.ACCOUNT_LOCKED, "AccountLockedError")
RateLimitedError = _error_type(ErrorCode.RATE_LIMITED, "RateLimitedError")
RoleNotFoundError = _error_type(ErrorCode.ROLE_NOT_FOUND, "RoleNotFoundError")
RoleNameTakenError = _error_type(ErrorCode.ROLE_NAME_TAKEN, "RoleNameTakenError")
BadgeNotFoundError = _error_type(ErrorCode.BADGE_NOT_FOUND, "BadgeNotFoundError")
BuiltInRoleError = _error_type(ErrorCode.BUILT_IN_ROLE, "BuiltInRoleError")
CannotGrantError = _error_type(ErrorCode.CANNOT_GRANT, "CannotGrantError")
ApiKeyNotFoundError = _error_type(ErrorCode.API_KEY_NOT_FOUND, "ApiKeyNotFoundError")
SessionNotFoundError = _error_type(ErrorCode.SESSION_NOT_FOUND, "SessionNotFoundError")
TooManySessionsError = _error_type(ErrorCode.TOO_MANY_SESSIONS, "TooManySessionsError")
UnknownProviderError = _error_type(ErrorCode.UNKNOWN_PROVIDER, "UnknownProviderError")
ExternalStateInvalidError = _error_type(ErrorCode.EXTERNAL_STATE_INVALID, "ExternalStateInvalidError")
ExternalAnswerInvalidError = _error_type(ErrorCode.EXTERNAL_ANSWER_INVALID, "ExternalAnswerInvalidError")
ExternalLinkRequiredError = _error_type(ErrorCode.EXTERNAL_LINK_REQUIRED, "ExternalLinkRequiredError")
LastSignInMethodError = _error_type(ErrorCode.LAST_SIGN_IN_METHOD, "LastSignInMethodError")
RedirectUriNotAllowedError = _error_type(ErrorCode.REDIRECT_URI_NOT_ALLOWED, "RedirectUriNotAllowedError")
IdentityLinkedElsewhereError = _error_type(ErrorCode.IDENTITY_LINKED_ELSEWHERE, "IdentityLinkedElsewhereError")
SecondFactorInvalidError = _error_type(ErrorCode.SECOND_FACTOR_INVALID, "SecondFactorInvalidError")
MfaTokenInvalidError = _error_type(ErrorCode.MFA_TOKEN_INVALID, "MfaTokenInvalidError")
FactorStateError = _error_type(ErrorCode.FACTOR_STATE, "FactorStateError")
MfaRequiredError = _error_type(ErrorCode.MFA_REQUIRED, "MfaRequiredError")
PasskeyInvalidError = _error_type(ErrorCode.PASSKEY_INVALID, "PasskeyInvalidError")
PasskeyNotFoundError = _error_type(ErrorCode.PASSKEY_NOT_FOUND, "PasskeyNotFoundError")
RecentSecondFactorRequiredError = _error_type(
    ErrorCode.RECENT_SECOND_FACTOR_REQUIRED, "RecentSecondFactorRequiredError"
)
LoginCodeInvalidError = _error_type(ErrorCode.LOGIN_CODE_INVALID, "LoginCodeInvalidError")
PasswordlessDisabledError = _error_type(ErrorCode.PASSWORDLESS_DISABLED, "PasswordlessDisabledError")


def result_union(name: str, description: str, success: type | tuple[type, ...], *codes: ErrorCode) -> Any:
    """``success | <error type of each code>`` as a named GraphQL union. ``success`` may name
    several types: a sign-in answers its payload or ``MfaRequired``, neither an error."""
    successes = success if isinstance(success, tuple) else (success,)
    members = (*successes, *(ERROR_TYPES[code] for code in codes))
    return Annotated[Union[members], strawberry.union(name, description=description)]  # noqa: UP007


def to_error(exc: DomainError) -> Error:
    cls = ERROR_TYPES[exc.code]
    fields = {k: v for k, v in exc.details.items() if k in cls.__dataclass_fields__}  # type: ignore[attr-defined]
    return cls(code=int(exc.code), reason=ErrorReason[exc.code.name], message=exc.message, **fields)


def error_extensions(exc: DomainError) -> dict[str, Any]:
    """``extensions`` of a request-level error: the code, its reason and the details, named as in the schema."""
    details = {to_camel_case(k): v for k, v in exc.details.items()}
    return {**exc.code.extensions(), **details}


def request_error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, extensions=error_extensions(exc), original_error=exc)


class UnlistedErrorCode(AssertionError):
    """A mutation's rule raised an expected failure its result union does not list."""


class ErrorsAsData(FieldExtension):
    """Return a field's expected failures as members of its result union."""

    def apply(self, field: StrawberryField) -> None:
        field_type = field.type
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        assert isinstance(field_type, StrawberryUnion), f"{field.python_name} must return a result union"
        self.members = set(field_type.types)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as exc:
            retry_after = exc.details.get("retry_after")
            response = getattr(info.context, "response", None)
            if exc.code is ErrorCode.RATE_LIMITED and retry_after and response is not None:
                response.headers["Retry-After"] = str(retry_after)
            if ERROR_TYPES.get(exc.code) in self.members:
                return to_error(exc)
            services = getattr(info.context, "services", None)
            if services is not None and services.config.environment == "test":
                # Under test, a code the field's union does not list is a bug in the union (or in
                # the rule): fail loudly instead of answering a request-level error.
                raise UnlistedErrorCode(
                    f"{info.field_name} raised {exc.code.name}, which its union does not list"
                ) from exc
            raise request_error(exc) from exc
