from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.payloads import UpdateRegistrationSettingsPayload
from gql.api.types.settings import RegistrationSettingsInput, changes_to_domain, settings_from_domain
from gql.domain import settings_store
from gql.domain.errors import ErrorCode as C

UpdateRegistrationSettingsResult = result_union(
    "UpdateRegistrationSettingsResult",
    "The settings after the update, or why it was refused.",
    UpdateRegistrationSettingsPayload,
    C.NOT_ALLOWED,
    C.MFA_REQUIRED,
    C.RESERVED_PROPERTY,
    C.DUPLICATE_PROPERTY,
    C.REGISTRATION_ERROR,
)


@strawberry.type
class SettingsMutations:
    @strawberry.mutation(
        extensions=[ErrorsAsData()], description="Backend only. Partial update of the registration settings."
    )
    async def update_registration_settings(
        self,
        info: Info[Context, None],
        input: Annotated[RegistrationSettingsInput, strawberry.argument(description="What to change.")],  # type: ignore[valid-type]
    ) -> UpdateRegistrationSettingsResult:
        context = info.context
        updated = await settings_store.update_registration_settings(
            context.services, await context.caller(), changes_to_domain(input)
        )
        return UpdateRegistrationSettingsPayload(settings=settings_from_domain(updated))
