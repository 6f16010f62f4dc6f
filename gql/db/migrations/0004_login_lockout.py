# Issue 11. The lockout's counts leave rate_limit_bucket (where they were told apart from the
# rate limits only by the key prefix "lock:") for a table of their own, login_lockout, with one
# column per fact: failures, last_failure_at, locked_until (gql/domain/lockout.py).
#
# The rows are carried over, not dropped: a deploy must not hand every address that is locked
# out (or part-way to a lock) a fresh set of guesses. Old rows said two things in one column:
# ``updated_at`` was the lock's end once ``tokens`` reached the threshold, else the time of the
# last failure. The threshold is a setting this migration cannot know, so the copy keeps both
# readings where the new rules can tell them apart without it:
# - per address (``lock:<40 hex>:<address>``): failures = tokens, last_failure_at = updated_at,
#   locked_until = updated_at when it is still ahead (only a lock can be; a count below the
#   threshold is never a lock whatever locked_until says), else NULL (an expired lock: the next
#   failure counts on from there and locks twice as long, as before). The count restarts after
#   a login after the last failure and after the lock ran out: the old rule's "updated_at < last login".
# - account-wide for an identity that is no member (``lock:<40 hex>``): the live locks become
#   rows of the address "*"; expired ones lock nothing and go.
# Then every "lock:" row leaves rate_limit_bucket, which holds only rate-limit buckets from now on.
import time

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index


async def carry_over_lockout_rows(apps, schema_editor) -> None:
    client = schema_editor.client
    now = "CAST(?1 AS DOUBLE PRECISION)" if client.capabilities.dialect == "sqlite" else "CAST($1 AS DOUBLE PRECISION)"
    per_address = (
        'INSERT INTO login_lockout (account, address, failures, last_failure_at, locked_until) '
        'SELECT substr("key", 6, 40), substr("key", 47), CAST(tokens AS INTEGER), updated_at, '
        f'CASE WHEN updated_at > {now} THEN updated_at ELSE NULL END '
        'FROM rate_limit_bucket WHERE "key" LIKE \'lock:%\' AND length("key") > 46'
    )
    account_wide = (
        'INSERT INTO login_lockout (account, address, failures, last_failure_at, locked_until) '
        f'SELECT substr("key", 6, 40), \'*\', 0, {now}, updated_at '
        f'FROM rate_limit_bucket WHERE "key" LIKE \'lock:%\' AND length("key") = 45 AND updated_at > {now}'
    )
    moment = time.time()
    await client.execute_query(per_address, [moment])
    await client.execute_query(account_wide, [moment])
    await client.execute_query('DELETE FROM rate_limit_bucket WHERE "key" LIKE \'lock:%\'')


class Migration(migrations.Migration):
    dependencies = [('models', '0003_link_state_and_rendered_mail')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginLockout',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.CharField(max_length=40)),
                ('address', fields.CharField(max_length=100)),
                ('failures', fields.IntField(default=0)),
                ('last_failure_at', fields.FloatField()),
                ('locked_until', fields.FloatField(null=True)),
            ],
            options={'table': 'login_lockout', 'app': 'models', 'unique_together': (('account', 'address'),), 'indexes': [Index(fields=['last_failure_at'], name='ix_login_lockout_last_failure')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(carry_over_lockout_rows),
    ]
