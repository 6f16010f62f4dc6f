# Issue 15: second factors.
# - ``totp_factor``: a member's authenticator app, its secret encrypted (gql/domain/totp.py).
# - ``recovery_code``: single-use codes, kept as keyed digests only.
# - ``mfa_challenge``: a sign-in waiting for its second factor (gql/domain/mfa.py).
# - ``member.mfa_enabled`` (false for every existing member: nobody had a factor) and the
#   session's ``second_factor`` / ``second_factor_at`` (null for sessions open at the upgrade).
from tortoise import migrations
from tortoise.migrations import operations as ops
from gql.domain.statuses import SecondFactor, SessionMethod
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0009_external_identities')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MfaChallenge',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='mfa_challenges', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description='PASSWORD: PASSWORD\nREGISTRATION: REGISTRATION\nAPPROVAL: APPROVAL\nRESET: RESET\nGUEST: GUEST\nTRUSTED: TRUSTED\nEXTERNAL: EXTERNAL', enum_type=SessionMethod, max_length=16)),
                ('stay_logged_in', fields.BooleanField(default=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mfa_challenge', 'app': 'models', 'indexes': [Index(fields=['expires_at'], name='ix_mfa_challenge_expires')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecoveryCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='recovery_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(max_length=64)),
            ],
            options={'table': 'recovery_code', 'app': 'models', 'unique_together': (('member', 'code_hash'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TotpFactor',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('member', fields.OneToOneField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='totp', on_delete=OnDelete.CASCADE)),
                ('secret', fields.CharField(max_length=200)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_step', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'totp_factor', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='mfa_enabled',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Session',
            name='second_factor',
            field=fields.CharEnumField(null=True, description='TOTP: TOTP\nRECOVERY_CODE: RECOVERY_CODE', enum_type=SecondFactor, max_length=16),
        ),
        ops.AddField(
            model_name='Session',
            name='second_factor_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
