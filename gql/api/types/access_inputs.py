"""The inputs of the role, badge and API-key mutations."""

from __future__ import annotations

import strawberry

from gql.api.types.enums import Permission
from gql.domain import badges, roles
from gql.domain.permissions import Permission as DomainPermission


def _permissions(values: list | None) -> tuple[DomainPermission, ...] | None:  # type: ignore[type-arg]
    return None if values is None else tuple(DomainPermission[p.name] for p in values)


@strawberry.input(description="A role's fields. On update, omitted fields stay as they are.")
class RoleInput:
    name: str | None = strawberry.field(
        default=None,
        description='The stable key: a letter, then up to 63 letters, digits, "_" or "-" (required to create).',
    )
    title: str | None = strawberry.field(default=None, description="A name for people (required to create).")
    description: str | None = strawberry.field(default=None, description="What the role is for.")
    color: str | None = strawberry.field(default=None, description="#rgb, #rrggbb(aa) or a CSS color name.")
    permissions: list[Permission] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="What its holders may do here (replaces the list)."
    )
    site_permissions: list[str] | None = strawberry.field(
        default=None, description="The site's own permissions, e.g. `shop:orders.read` (replaces the list)."
    )
    require_mfa: bool | None = strawberry.field(
        default=None,
        description="Its permissions apply only to sessions that proved a second factor (false when created without "
        "it; a built-in role cannot require MFA: 3213).",
    )

    def to_domain(self) -> roles.RoleInput:
        return roles.RoleInput(
            name=self.name,
            title=self.title,
            description=self.description,
            color=self.color,
            permissions=_permissions(self.permissions),
            site_permissions=tuple(self.site_permissions) if self.site_permissions is not None else None,
            require_mfa=self.require_mfa,
        )


@strawberry.input(description="A badge's fields. On update, omitted fields stay as they are.")
class BadgeInput:
    title: str | None = strawberry.field(default=None, description="What the badge says (required to create).")
    slug: str | None = strawberry.field(default=None, description="Unique; made from the title when omitted.")
    description: str | None = strawberry.field(default=None, description="What it is awarded for.")
    background_color: str | None = strawberry.field(default=None, description="A CSS color.")
    text_color: str | None = strawberry.field(default=None, description="A CSS color.")
    icon: str | None = strawberry.field(default=None, description="URL of an icon.")
    role_id: strawberry.ID | None = strawberry.field(
        default=None, description='A role its holders get with it ("" takes the role away on update).'
    )

    def to_domain(self) -> badges.BadgeInput:
        return badges.BadgeInput(
            title=self.title,
            slug=self.slug,
            description=self.description,
            background_color=self.background_color,
            text_color=self.text_color,
            icon=self.icon,
            role_id=str(self.role_id) if self.role_id is not None else None,
        )


@strawberry.input(description="A new scoped API key.")
class ApiKeyInput:
    name: str = strawberry.field(description="What the key is for.")
    permissions: list[Permission] = strawberry.field(description="What it may do.")  # type: ignore[valid-type]
    site_permissions: list[str] | None = strawberry.field(default=None, description="The site's own permissions.")

    def permission_list(self) -> list[DomainPermission]:
        return list(_permissions(self.permissions) or ())
