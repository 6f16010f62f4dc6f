"""External sign-in providers and a member's linked provider identities."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.api.types.enums import ExternalProviderKind, TokenEndpointAuthMethod
from gql.domain.external_login import ExternalStart, IdentityRecord
from gql.domain.external_providers import DEFAULT_CLAIMS, ProviderInput, ProviderRecord
from gql.domain.policy import EXTERNAL_STATE_LIFETIME, spoken
from gql.domain.statuses import ClientAuthMethod, ProviderKind


@strawberry.type(description="Which claims of the provider's answer (ID token or userinfo) say who signed in.")
class ClaimMapping:
    subject: str = strawberry.field(description='The subject\'s claim (default "sub").')
    email: str = strawberry.field(description='The email\'s claim (default "email").')
    email_verified: str = strawberry.field(description='Whether the email is verified (default "email_verified").')
    name: str = strawberry.field(description='The display name\'s claim (default "name").')


@strawberry.input(
    description="Which claims of the provider's answer say who signed in; omitted ones keep their default."
)
class ClaimMappingInput:
    subject: str | None = strawberry.field(default=None, description='The subject\'s claim (default "sub").')
    email: str | None = strawberry.field(default=None, description='The email\'s claim (default "email").')
    email_verified: str | None = strawberry.field(
        default=None, description='Whether the email is verified (default "email_verified").'
    )
    name: str | None = strawberry.field(default=None, description='The display name\'s claim (default "name").')


@strawberry.type(
    description="A custom field a member signing up through the provider gets, and the claim it is read from."
)
class CustomFieldClaim:
    field: str = strawberry.field(description="The custom field (as registration's customFields names it).")
    claim: str = strawberry.field(description="The claim of the ID token or userinfo answer holding its value.")


@strawberry.input(description="A custom field a member signing up through the provider gets, and its claim.")
class CustomFieldClaimInput:
    field: str = strawberry.field(description="The custom field; the registration settings' rules apply at sign-up.")
    claim: str = strawberry.field(description="The claim holding its value (absent from the answer: not set).")


@strawberry.type(description="How the server speaks to a provider: for holders of SETTINGS_MANAGE; never the secret.")
class ExternalProviderSettings:
    kind: ExternalProviderKind = strawberry.field(description="OpenID Connect or plain OAuth 2.0.")  # type: ignore[valid-type]
    issuer: str | None = strawberry.field(description="The OpenID issuer (its discovery document is read).")
    authorization_url: str | None = strawberry.field(description="The authorization endpoint, when configured.")
    token_url: str | None = strawberry.field(description="The token endpoint, when configured.")
    userinfo_url: str | None = strawberry.field(description="The userinfo endpoint, when configured.")
    client_id: str = strawberry.field(description="This site's client id at the provider.")
    scopes: list[str] = strawberry.field(description="The scopes asked for.")
    claim_mapping: ClaimMapping = strawberry.field(description="Where the answer's claims are read.")
    custom_field_claims: list[CustomFieldClaim] = strawberry.field(
        description="The custom fields a member signing up this way gets from the answer's claims."
    )
    token_endpoint_auth_method: TokenEndpointAuthMethod = strawberry.field(  # type: ignore[valid-type]
        description="How the server authenticates itself at the token endpoint."
    )
    allow_signup: bool = strawberry.field(description="Whether a sign-in nobody is linked to creates a member.")
    trust_verified_email: bool = strawberry.field(
        description="Whether an email the provider asserts verified links an existing member with that email, "
        "and counts as confirmed."
    )
    created_date: datetime = strawberry.field(description="When the provider was added.")
    updated_date: datetime = strawberry.field(description="When it last changed.")


@strawberry.type(description="A provider members may sign in with (startExternalLogin).")
class ExternalProvider:
    name: str = strawberry.field(description="Its name: what startExternalLogin's `provider` names.")
    display_name: str = strawberry.field(description="What a sign-in button shows.")
    settings: ExternalProviderSettings | None = strawberry.field(
        description="How the server speaks to it: for holders of SETTINGS_MANAGE (the backend), null for others."
    )

    @classmethod
    def from_domain(cls, record: ProviderRecord, full: bool) -> ExternalProvider:
        mapping = record.claim_mapping
        settings = ExternalProviderSettings(
            kind=ExternalProviderKind[record.kind.name],
            issuer=record.issuer,
            authorization_url=record.authorization_url,
            token_url=record.token_url,
            userinfo_url=record.userinfo_url,
            client_id=record.client_id,
            scopes=list(record.scopes),
            claim_mapping=ClaimMapping(
                subject=mapping["subject"],
                email=mapping["email"],
                email_verified=mapping["emailVerified"],
                name=mapping["name"],
            ),
            custom_field_claims=[
                CustomFieldClaim(field=name, claim=claim) for name, claim in record.custom_field_claims.items()
            ],
            token_endpoint_auth_method=TokenEndpointAuthMethod[record.token_auth_method.name],
            allow_signup=record.allow_signup,
            trust_verified_email=record.trust_verified_email,
            created_date=record.created_at,
            updated_date=record.updated_at,
        )
        return cls(name=record.name, display_name=record.display_name, settings=settings if full else None)


@strawberry.input(description="A provider to add, or to change (by name).")
class ExternalProviderInput:
    name: str = strawberry.field(description='Its name: a lower-case letter, then up to 63 of a-z, 0-9, "_", "-".')
    display_name: str = strawberry.field(description="What a sign-in button shows (1 to 200 characters).")
    kind: ExternalProviderKind = strawberry.field(description="OpenID Connect or plain OAuth 2.0.")  # type: ignore[valid-type]
    client_id: str = strawberry.field(description="This site's client id at the provider.")
    client_secret: str | None = strawberry.field(
        default=None,
        description="The client secret: stored encrypted, never returned. Required for a new provider unless it "
        "authenticates this server with PRIVATE_KEY_JWT; omitted on an update, the stored one stays.",
    )
    token_endpoint_auth_method: TokenEndpointAuthMethod = strawberry.field(  # type: ignore[valid-type]
        default=TokenEndpointAuthMethod.CLIENT_SECRET_BASIC,  # type: ignore[attr-defined]
        description="How the server authenticates itself at the token endpoint (as registered at the provider).",
    )
    issuer: str | None = strawberry.field(
        default=None, description="OIDC: the issuer URL; its /.well-known/openid-configuration is read."
    )
    authorization_url: str | None = strawberry.field(
        default=None, description="OAUTH2 (required) or OIDC (overrides discovery): the authorization endpoint."
    )
    token_url: str | None = strawberry.field(
        default=None, description="OAUTH2 (required) or OIDC (overrides discovery): the token endpoint."
    )
    userinfo_url: str | None = strawberry.field(
        default=None, description="OAUTH2 (required) or OIDC (overrides discovery): the userinfo endpoint."
    )
    scopes: list[str] | None = strawberry.field(
        default=None, description='The scopes to ask for; default "openid email profile" for OIDC, none for OAUTH2.'
    )
    claim_mapping: ClaimMappingInput | None = strawberry.field(
        default=None, description="Where the answer's claims are read (defaults: OpenID Connect's names)."
    )
    custom_field_claims: list[CustomFieldClaimInput] | None = strawberry.field(
        default=None,
        description="Custom fields a member signing up this way gets from the answer's claims (the registration "
        "settings' rules apply at sign-up). Omitted on an update, the stored ones stay.",
    )
    allow_signup: bool = strawberry.field(
        default=False,
        description="Whether a sign-in nobody is linked to creates a member (registration settings apply).",
    )
    trust_verified_email: bool = strawberry.field(
        default=False,
        description="Whether an email the provider asserts verified links an existing member with that email "
        "automatically, and counts as confirmed.",
    )

    def to_domain(self) -> ProviderInput:
        mapping = self.claim_mapping
        claims = (
            {
                key: value
                for key, value in (
                    ("subject", mapping.subject),
                    ("email", mapping.email),
                    ("emailVerified", mapping.email_verified),
                    ("name", mapping.name),
                )
                if value
            }
            if mapping is not None
            else None
        )
        assert claims is None or set(claims) <= set(DEFAULT_CLAIMS)
        return ProviderInput(
            name=self.name,
            display_name=self.display_name,
            kind=ProviderKind[self.kind.name],  # type: ignore[attr-defined]
            client_id=self.client_id,
            client_secret=self.client_secret,
            issuer=self.issuer,
            authorization_url=self.authorization_url,
            token_url=self.token_url,
            userinfo_url=self.userinfo_url,
            scopes=tuple(self.scopes) if self.scopes is not None else None,
            claim_mapping=claims,
            allow_signup=self.allow_signup,
            trust_verified_email=self.trust_verified_email,
            token_auth_method=ClientAuthMethod[self.token_endpoint_auth_method.name],  # type: ignore[attr-defined]
            custom_field_claims=(
                {item.field: item.claim for item in self.custom_field_claims}
                if self.custom_field_claims is not None
                else None
            ),
        )


@strawberry.type(description="A member's link to an account at an external provider.")
class ExternalIdentity:
    provider: str = strawberry.field(description="The provider's name.")
    subject: str = strawberry.field(description="The account's id at the provider (its `sub`).")
    email: str | None = strawberry.field(description="The email the provider last gave for it.")
    linked_date: datetime = strawberry.field(description="When it was linked.")

    @classmethod
    def from_domain(cls, record: IdentityRecord) -> ExternalIdentity:
        return cls(provider=record.provider, subject=record.subject, email=record.email, linked_date=record.linked_at)


@strawberry.type(
    description="Send the browser to `authorizationUrl`; the provider sends it back to the redirect URI with "
    f"`code` and `state`, to pass to completeExternalLogin or linkExternalIdentity within {spoken(EXTERNAL_STATE_LIFETIME)}."
)
class StartExternalLoginPayload:
    authorization_url: str = strawberry.field(
        description="The provider's authorization URL, with PKCE, state and nonce."
    )
    state: str = strawberry.field(description="The state the provider hands back; single use.")
    expires_date: datetime = strawberry.field(description="When the state stops working.")

    @classmethod
    def from_domain(cls, start: ExternalStart) -> StartExternalLoginPayload:
        return cls(authorization_url=start.authorization_url, state=start.state, expires_date=start.expires_at)
