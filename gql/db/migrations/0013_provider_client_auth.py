# Issue 14: how the server authenticates at a provider's token endpoint (client_secret_basic, _post or
# private_key_jwt, which needs no secret: so the secret may be null), and the custom fields a member
# signing up through a provider gets from its claims.
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_passkeys')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='ExternalProvider',
            name='client_secret',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='ExternalProvider',
            name='custom_field_claims',
            field=fields.JSONField(default=dict, db_default='{}', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ExternalProvider',
            name='token_auth_method',
            field=fields.CharField(default='CLIENT_SECRET_BASIC', db_default='CLIENT_SECRET_BASIC', max_length=32),
        ),
    ]
