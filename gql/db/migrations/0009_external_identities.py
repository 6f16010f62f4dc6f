# Issue 14: external sign-in (OpenID Connect and OAuth 2.0 providers).
# - ``external_provider``: the configured providers, the client secret encrypted
#   (gql/domain/external_providers.py).
# - ``external_login_state``: started sign-ins and links, single use, shared by every process.
# - ``external_identity``: a member's links to provider accounts; (provider, subject) unique.
# - ``session.method`` gains EXTERNAL: the migration state only (DeclareOnly); no constraint lists the values.
from tortoise import migrations
from tortoise import migrations
from tortoise.migrations import operations as ops
from gql.db.migration_ops import DeclareOnly
import functools
from gql.domain.statuses import SessionMethod
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('models', '0008_sessions_as_records')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExternalIdentity',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='external_identities', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=64)),
                ('subject', fields.CharField(max_length=255)),
                ('email', fields.CharField(null=True, max_length=320)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'external_identity', 'app': 'models', 'unique_together': (('provider', 'subject'),), 'indexes': [Index(fields=['member_id', 'provider'], name='ix_external_identity_member')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExternalLoginState',
            fields=[
                ('state_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('provider', fields.CharField(max_length=64)),
                ('redirect_uri', fields.CharField(max_length=2000)),
                ('code_verifier', fields.CharField(max_length=128)),
                ('nonce', fields.CharField(max_length=128)),
                ('guest_id', fields.UUIDField(null=True)),
                ('member_id', fields.UUIDField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'external_login_state', 'app': 'models', 'indexes': [Index(fields=['expires_at'], name='ix_external_state_expires')], 'pk_attr': 'state_hash'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExternalProvider',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('display_name', fields.CharField(max_length=200)),
                ('kind', fields.CharField(max_length=16)),
                ('issuer', fields.CharField(null=True, max_length=2000)),
                ('authorization_url', fields.CharField(null=True, max_length=2000)),
                ('token_url', fields.CharField(null=True, max_length=2000)),
                ('userinfo_url', fields.CharField(null=True, max_length=2000)),
                ('client_id', fields.CharField(max_length=500)),
                ('client_secret', fields.TextField(unique=False)),
                ('scopes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('claim_mapping', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('allow_signup', fields.BooleanField(default=False)),
                ('trust_verified_email', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'external_provider', 'app': 'models', 'pk_attr': 'name'},
            bases=['Model'],
        ),
        DeclareOnly(
            model_name='Session',
            name='method',
            field=fields.CharEnumField(description='PASSWORD: PASSWORD\nREGISTRATION: REGISTRATION\nAPPROVAL: APPROVAL\nRESET: RESET\nGUEST: GUEST\nTRUSTED: TRUSTED\nEXTERNAL: EXTERNAL', enum_type=SessionMethod, max_length=16),
        ),
    ]
