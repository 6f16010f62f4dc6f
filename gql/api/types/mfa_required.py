"""What a sign-in answers for a member with a second factor: not an error, a next step."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.api.types.enums import SecondFactor
from gql.domain.policy import MFA_TOKEN_LIFETIME, spoken
from gql.domain.sessions import MfaChallengeGrant


@strawberry.type(
    description="The first factor was right and the member has a second one: no session yet. Send `mfaToken` "
    "with a code (or, for PASSKEY, the assertion for startPasskeyMfa's options) to verifyMfa, which answers the session. The token works once, for "
    f"{spoken(MFA_TOKEN_LIFETIME)}."
)
class MfaRequired:
    mfa_token: str = strawberry.field(description="Single use; shown once, stored only as a hash.")
    methods: list[SecondFactor] = strawberry.field(  # type: ignore[valid-type]
        description="The second factors verifyMfa accepts for this member."
    )
    expires_date: datetime = strawberry.field(description="When the token stops working.")

    @classmethod
    def from_domain(cls, challenge: MfaChallengeGrant) -> MfaRequired:
        return cls(
            mfa_token=challenge.mfa_token,
            methods=[SecondFactor[method.name] for method in challenge.methods],
            expires_date=challenge.expires_at,
        )
