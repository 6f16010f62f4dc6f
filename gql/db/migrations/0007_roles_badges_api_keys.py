# Issue 12. Roles and permissions (Wix authorization, Backendless security roles), badges (Wix
# badges), scoped API keys. The built-in roles are rows made here: ``admin`` (every permission,
# fixed) and the computed roles a member holds without assignment — ``AuthenticatedUser``,
# ``GuestUser``, ``SocialUser`` — which a site may give permissions (gql/domain/roles.py).
from datetime import datetime, timezone

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

BUILT_IN = (
    ("admin", "Administrator", "Every permission of this server; cannot be changed or deleted."),
    ("AuthenticatedUser", "Authenticated user", "Every signed-in approved member holds it, without assignment."),
    ("GuestUser", "Guest user", "Every guest holds it, without assignment."),
    ("SocialUser", "Social user", "Every member signed in through an external provider holds it, without assignment."),
)


async def make_built_in_roles(apps, schema_editor) -> None:
    client = schema_editor.client
    sqlite = client.capabilities.dialect == "sqlite"
    p = (lambda n: f"?{n}") if sqlite else (lambda n: f"${n}")
    now = datetime.now(timezone.utc)
    for name, title, description in BUILT_IN:
        values = [str(uuid4()), name, name.casefold(), title, description, "[]", "[]", True, now, now]
        if sqlite:
            values[-2:] = [now.isoformat(), now.isoformat()]
        await client.execute_query(
            "INSERT INTO role (id, name, name_key, title, description, permissions, site_permissions, system, "
            f"created_at, updated_at) VALUES ({', '.join(p(i) for i in range(1, 11))})",
            values,
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0006_contact_details")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ApiKey",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=200)),
                ("prefix", fields.CharField(unique=True, max_length=16)),
                ("secret_hash", fields.CharField(max_length=64)),
                (
                    "permissions",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "site_permissions",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_by_member_id", fields.UUIDField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "api_key", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Role",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=64)),
                ("name_key", fields.CharField(unique=True, max_length=64)),
                ("title", fields.CharField(max_length=200)),
                ("description", fields.CharField(default="", max_length=2000)),
                ("color", fields.CharField(null=True, max_length=32)),
                (
                    "permissions",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "site_permissions",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("system", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "role", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Badge",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("title", fields.CharField(max_length=200)),
                ("slug", fields.CharField(unique=True, max_length=100)),
                ("description", fields.CharField(default="", max_length=2000)),
                ("background_color", fields.CharField(null=True, max_length=32)),
                ("text_color", fields.CharField(null=True, max_length=32)),
                ("icon", fields.CharField(null=True, max_length=2000)),
                (
                    "role",
                    fields.ForeignKeyField(
                        "models.Role",
                        source_field="role_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="badges",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "badge", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MemberBadge",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="badge_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "badge",
                    fields.ForeignKeyField(
                        "models.Badge",
                        source_field="badge_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="member_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "member_badge",
                "app": "models",
                "unique_together": (("member", "badge"),),
                "indexes": [Index(fields=["badge_id", "member_id"], name="ix_member_badge_badge")],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MemberRole",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.Member",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="role_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "role",
                    fields.ForeignKeyField(
                        "models.Role",
                        source_field="role_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="member_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "member_role",
                "app": "models",
                "unique_together": (("member", "role"),),
                "indexes": [Index(fields=["role_id", "member_id"], name="ix_member_role_role")],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.RunPython(make_built_in_roles),
    ]
