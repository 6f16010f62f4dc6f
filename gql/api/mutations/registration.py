from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.payloads import RegisterPayload
from gql.api.types.registration import RegistrationOptions
from gql.domain import registration
from gql.domain.errors import ErrorCode as C
from gql.domain.policy import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

RegisterResult = result_union(
    "RegisterResult",
    "The registration, or why it was refused.",
    RegisterPayload,
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
        description="Register a member (Wix register). Automatic approval: ACTIVE with a session token. Manual: "
        "PENDING; the approval token is returned to backend callers only. With email confirmation on: no session "
        "until the emailed link is followed.",
    )
    async def register(
        self,
        info: Info[Context, None],
        email: Annotated[
            str | None, strawberry.argument(description="The login email (required when it is the identity).")
        ] = None,
        *,
        password: Annotated[
            str,
            strawberry.argument(
                description=f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} printable ASCII characters."
            ),
        ],
        options: Annotated[
            RegistrationOptions | None, strawberry.argument(description="Contact details, privacy, guest to convert.")
        ] = None,
    ) -> RegisterResult:
        context = info.context
        result = await registration.register(
            context.services, await context.caller(), email, password, (options or RegistrationOptions()).to_domain()
        )
        return RegisterPayload.from_registration(result)
