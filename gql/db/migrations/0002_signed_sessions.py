# Sessions become signed tokens (gql/domain/sessions.py): the session table goes (open
# sessions end: members log in again once), members get a session epoch, and logouts
# are remembered in revoked_session until their tokens expire.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RevokedSession',
            fields=[
                ('session_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('member_id', fields.UUIDField()),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'revoked_session', 'app': 'models', 'indexes': [Index(fields=['expires_at'], name='ix_revoked_session_expires')], 'pk_attr': 'session_id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Member',
            name='kept_session_id',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Member',
            name='session_epoch',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.DeleteModel(name='Session'),
    ]
