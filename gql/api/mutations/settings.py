from __future__ import annotations

import strawberry
from strawberry.types import Info

from gql.api.context import Context
from gql.api.errors import ErrorsAsData, result_union
from gql.api.types.settings import RegistrationSettings, RegistrationSettingsInput, SettingsUpdated
from gql.domain.errors import ErrorCode as C

SettingsResult = result_union(
    "SettingsResult",
    "The settings after the update, or why it was refused.",
    SettingsUpdated,
    C.NOT_ALLOWED,
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
        self, info: Info[Context, None], input: RegistrationSettingsInput
    ) -> SettingsResult:
        context = info.context
        (await context.caller()).require_backend()
        updated = await context.services.settings.update(input.to_domain())
        return SettingsUpdated(settings=RegistrationSettings.from_domain(updated))
