# Issue 11.
# - The registration settings row keeps one JSON object (``data``) instead of a column per
#   setting: the settings are declared once (gql/domain/registration_settings.py), and a setting
#   added later takes its declared default from a row that lacks it, with no migration. The
#   existing row's values are carried into ``data`` before the old columns go.
# - ``audit_event`` records changes that are not about one member (the registration settings
#   first), with who made them.
# - The member's status fields are declared as enum fields now (gql/domain/statuses.py): the same
#   VARCHAR(16) columns, so the schema state changes and the database does not.
import functools
import json
from json import dumps, loads
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from gql.db.migration_ops import DeclareOnly

from gql.domain.statuses import ActivityStatus, MemberStatus, PrivacyStatus

OLD_COLUMNS = (
    "enabled",
    "approval",
    "email_confirmation",
    "dynamic_properties",
    "identity_property",
    "declared_properties",
)


class DropColumn(ops.RemoveField):
    """A plain ``ALTER TABLE … DROP COLUMN`` (see 0003: Tortoise's SQLite RemoveField rebuilds the table)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor._run_sql(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{self.name}"')


async def carry_settings_into_data(apps, schema_editor) -> None:
    client = schema_editor.client
    placeholder = "?1" if client.capabilities.dialect == "sqlite" else "$1"
    rows = await client.execute_query_dict(f"SELECT id, {', '.join(OLD_COLUMNS)} FROM registration_settings")
    for row in rows:
        declared = row["declared_properties"]
        data = {
            "enabled": bool(row["enabled"]),
            "approval": row["approval"],
            "email_confirmation": bool(row["email_confirmation"]),
            "dynamic_properties": bool(row["dynamic_properties"]),
            "identity_property": row["identity_property"],
            "declared_properties": json.loads(declared) if isinstance(declared, str) else declared or [],
        }
        await client.execute_query(
            f"UPDATE registration_settings SET data = {placeholder} WHERE id = {int(row['id'])}", [json.dumps(data)]
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0004_login_lockout")]

    initial = False

    operations = [
        ops.AddField(
            model_name="RegistrationSettingsRow",
            name="data",
            field=fields.JSONField(
                default=dict, db_default="{}", encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.RunPython(carry_settings_into_data),
        *(DropColumn(model_name="RegistrationSettingsRow", name=column) for column in OLD_COLUMNS),
        ops.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ("kind", fields.CharField(max_length=32)),
                ("actor", fields.CharField(max_length=16)),
                ("actor_member_id", fields.UUIDField(null=True)),
                (
                    "data",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audit_event",
                "app": "models",
                "indexes": [Index(fields=["created_at", "id"], name="ix_audit_event_created")],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        DeclareOnly(
            model_name="Member",
            name="activity_status",
            field=fields.CharEnumField(
                default=ActivityStatus.ACTIVE,
                description="ACTIVE: ACTIVE\nMUTED: MUTED",
                enum_type=ActivityStatus,
                max_length=16,
            ),
        ),
        DeclareOnly(
            model_name="Member",
            name="privacy_status",
            field=fields.CharEnumField(
                default=PrivacyStatus.PRIVATE,
                description="PUBLIC: PUBLIC\nPRIVATE: PRIVATE",
                enum_type=PrivacyStatus,
                max_length=16,
            ),
        ),
        DeclareOnly(
            model_name="Member",
            name="status",
            field=fields.CharEnumField(
                description="PENDING: PENDING\nAPPROVED: APPROVED\nBLOCKED: BLOCKED\nGUEST: GUEST",
                enum_type=MemberStatus,
                max_length=16,
            ),
        ),
    ]
