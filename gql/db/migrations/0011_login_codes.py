# Issue 14 §4: passwordless sign-in.
# - ``login_code``: the one live emailed sign-in code and link per address (gql/domain/passwordless.py),
#   keyed by the address's normalised key so a new request replaces the older by an upsert; it
#   keeps keyed digests of the code and the link's token, never either.
# - ``session.method`` and ``mfa_challenge.method`` may say CODE: only the field's description changes, so the migration state
#   follows and the database is left alone (``DeclareOnly``, as in 0005).
from tortoise import migrations
from tortoise.migrations import operations as ops
from gql.db.migration_ops import DeclareOnly
from gql.domain.statuses import SessionMethod
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0010_second_factors')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginCode',
            fields=[
                ('email_key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=320)),
                ('email', fields.CharField(max_length=320)),
                ('code_hash', fields.CharField(max_length=64)),
                ('link_hash', fields.CharField(unique=True, max_length=64)),
                ('attempts_left', fields.IntField()),
                ('created_at', fields.FloatField()),
                ('expires_at', fields.FloatField(db_index=True)),
            ],
            options={'table': 'login_code', 'app': 'models', 'pk_attr': 'email_key'},
            bases=['Model'],
        ),
        DeclareOnly(
            model_name='Session',
            name='method',
            field=fields.CharEnumField(description='PASSWORD: PASSWORD\nREGISTRATION: REGISTRATION\nAPPROVAL: APPROVAL\nRESET: RESET\nGUEST: GUEST\nTRUSTED: TRUSTED\nEXTERNAL: EXTERNAL\nCODE: CODE', enum_type=SessionMethod, max_length=16),
        ),
        DeclareOnly(
            model_name='MfaChallenge',
            name='method',
            field=fields.CharEnumField(description='PASSWORD: PASSWORD\nREGISTRATION: REGISTRATION\nAPPROVAL: APPROVAL\nRESET: RESET\nGUEST: GUEST\nTRUSTED: TRUSTED\nEXTERNAL: EXTERNAL\nCODE: CODE', enum_type=SessionMethod, max_length=16),
        ),
    ]
