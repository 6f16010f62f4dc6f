from __future__ import annotations

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.registration import RegistrationOptions, RegistrationResult
from gql.domain import registration
from gql.domain.errors import ErrorCode as C

RegisterResult = result_union(
    "RegisterResult",
    "The registration, or why it was refused.",
    RegistrationResult,
    C.REGISTRATION_DISABLED,
    C.UNKNOWN_PROPERTY,
    C.MISSING_PASSWORD,
    C.REQUIRED_PROPERTY_MISSING,
    C.MISSING_IDENTITY,
    C.REGISTRATION_ERROR,
    C.IDENTITY_TAKEN,
    C.RESERVED_PROPERTY,
    C.EMAIL_FORMAT,
    C.REQUIRED_PROPERTY_EMPTY,
    C.DUPLICATE_PROPERTY,
    C.VALUE_TOO_LONG,
    C.PASSWORD_POLICY,
    C.NOT_CONVERTIBLE,
    C.INVALID_ARGUMENT,
    C.EMAIL_REQUIRED,
    C.RATE_LIMITED,
)


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()],
        description="Register a member. Automatic approval: ACTIVE with a session token. Manual: PENDING; "
        "the approval token is returned to backend callers only.",
    )
    async def register(
        self,
        info: Info[Context, None],
        email: str | None = None,
        *,
        password: str,
        options: RegistrationOptions | None = None,
    ) -> RegisterResult:
        context = info.context
        result = await registration.register(
            context.services, await context.caller(), email, password, (options or RegistrationOptions()).to_domain()
        )
        return RegistrationResult.from_domain(result)
