# Issue 13: sessions become rows again, and access tokens get signing keys.
# - ``session``: one row per sign-in (gql/domain/sessions.py), keeping the SHA-256 of its opaque
#   bearer token, never the token. The signed session tokens of before carry nothing a row could
#   be made from, so every session open at the upgrade ends: members sign in again once.
# - The signed-token machinery goes: ``revoked_session`` (logouts) and ``member.kept_session_id``.
# - ``member.session_epoch`` is renamed ``security_stamp``, values kept: it no longer ends
#   sessions, but it is still raised by a block, a password change or reset and still part of
#   every emailed link's fingerprint (gql/domain/links.py), so links outstanding at the upgrade
#   keep working and still die with those changes.
# - ``signing_key``: the keys that sign access tokens (gql/domain/signing_keys.py); the first
#   one is made when first needed.
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gql.domain.statuses import SessionMethod
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class DropColumn(ops.RemoveField):
    """A plain ``ALTER TABLE … DROP COLUMN`` (see 0003: Tortoise's SQLite RemoveField rebuilds the table)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor._run_sql(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{self.name}"')


class Migration(migrations.Migration):
    dependencies = [('models', '0007_roles_badges_api_keys')]

    initial = False

    operations = [
        ops.DeleteModel(name='RevokedSession'),
        DropColumn(model_name='Member', name='kept_session_id'),
        ops.RenameField(
            model_name='Member',
            old_name='session_epoch',
            new_name='security_stamp',
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description='PASSWORD: PASSWORD\nREGISTRATION: REGISTRATION\nAPPROVAL: APPROVAL\nRESET: RESET\nGUEST: GUEST\nTRUSTED: TRUSTED', enum_type=SessionMethod, max_length=16)),
                ('stay_logged_in', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('user_agent', fields.CharField(null=True, max_length=500)),
                ('ip_address', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'session', 'app': 'models', 'indexes': [Index(fields=['member_id', 'created_at'], name='ix_session_member'), Index(fields=['expires_at'], name='ix_session_expires')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SigningKey',
            fields=[
                ('kid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('generation', fields.IntField(unique=True)),
                ('algorithm', fields.CharField(max_length=16)),
                ('public_jwk', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('private_key', fields.TextField(null=True, unique=False)),
                ('private_key_file', fields.CharField(null=True, max_length=1000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('signs_from', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'signing_key', 'app': 'models', 'pk_attr': 'kid'},
            bases=['Model'],
        ),
    ]
