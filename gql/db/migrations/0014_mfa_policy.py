# Issue 15 §2: the MFA policy.
# - ``role.require_mfa``: the role's permissions apply only to a session that proved a second factor
#   (false for every existing role, the built-in ones included: nothing changes for their holders).
# - The site-wide policy (``mfa_policy``, OPTIONAL | REQUIRED) is a registration setting: a key of the
#   settings row's JSON object, OPTIONAL while the row lacks it, so it needs no migration.
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0013_provider_client_auth')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Role',
            name='require_mfa',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
