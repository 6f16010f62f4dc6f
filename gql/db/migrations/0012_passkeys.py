# Issue 15 §3: passkeys (WebAuthn).
# - ``passkey``: a member's credentials (id, COSE public key, signature counter, transports, backup flags,
#   name, dates); ``passkey_challenge``: the single-use, short-lived challenges of the ceremonies, in the
#   database so that any process may finish what another started.
# - ``session.method``, ``mfa_challenge.method`` may say PASSKEY and ``session.second_factor`` PASSKEY:
#   only the fields' descriptions change, so the migration state follows and the database is left alone
#   (``DeclareOnly``, as in 0011: an AlterField on SQLite rebuilds the table and drops its indexes).
from tortoise import migrations
from tortoise.migrations import operations as ops
from gql.db.migration_ops import DeclareOnly
import functools
from gql.domain.statuses import SecondFactor, SessionMethod
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_login_codes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Passkey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='passkeys', on_delete=OnDelete.CASCADE)),
                ('credential_id', fields.CharField(unique=True, max_length=1400)),
                ('public_key', fields.TextField(unique=False)),
                ('sign_count', fields.BigIntField(default=0)),
                ('transports', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('backup_eligible', fields.BooleanField(default=False)),
                ('backed_up', fields.BooleanField(default=False)),
                ('name', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'passkey', 'app': 'models', 'indexes': [Index(fields=['member_id', 'created_at'], name='ix_passkey_member')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PasskeyChallenge',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('challenge', fields.CharField(unique=True, max_length=64)),
                ('purpose', fields.CharField(max_length=16)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', null=True, db_constraint=True, to_field='id', related_name='passkey_challenges', on_delete=OnDelete.CASCADE)),
                ('mfa_challenge', fields.ForeignKeyField('models.MfaChallenge', source_field='mfa_challenge_id', null=True, db_constraint=True, to_field='id', related_name='passkey_challenges', on_delete=OnDelete.CASCADE)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'passkey_challenge', 'app': 'models', 'indexes': [Index(fields=['expires_at'], name='ix_passkey_challenge_expires')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        DeclareOnly(
            model_name='MfaChallenge',
            name='method',
            field=fields.CharEnumField(description='PASSWORD: PASSWORD\nREGISTRATION: REGISTRATION\nAPPROVAL: APPROVAL\nRESET: RESET\nGUEST: GUEST\nTRUSTED: TRUSTED\nEXTERNAL: EXTERNAL\nCODE: CODE\nPASSKEY: PASSKEY', enum_type=SessionMethod, max_length=16),
        ),
        DeclareOnly(
            model_name='Session',
            name='method',
            field=fields.CharEnumField(description='PASSWORD: PASSWORD\nREGISTRATION: REGISTRATION\nAPPROVAL: APPROVAL\nRESET: RESET\nGUEST: GUEST\nTRUSTED: TRUSTED\nEXTERNAL: EXTERNAL\nCODE: CODE\nPASSKEY: PASSKEY', enum_type=SessionMethod, max_length=16),
        ),
        DeclareOnly(
            model_name='Session',
            name='second_factor',
            field=fields.CharEnumField(null=True, description='TOTP: TOTP\nRECOVERY_CODE: RECOVERY_CODE\nPASSKEY: PASSKEY', enum_type=SecondFactor, max_length=16),
        ),
    ]
