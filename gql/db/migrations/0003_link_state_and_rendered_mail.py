# Issue 9 (attack review). Members lose failed_logins (counted per address now) and gain claims_contact (a self-registered member takes over the
# site's contact of its address only once it proves that address); outbox mail is rendered when
# sent (template, context, link recipe) instead of being stored with its token. Data:
# - contacts left by deleted members are detached from their address (never handed to a new
#   registrant of that email);
# - sent and failed mail loses its stored bodies (their links carried live tokens); queued mail
#   whose body carries a link is dropped (SUPERSEDED): links from before this version lack the
#   account-state fingerprint and no longer open anyway — members ask for a new one;
# - with email confirmation off, members still marked as waiting for it are released.
from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class DropColumn(ops.RemoveField):
    """RemoveField as a plain ``ALTER TABLE … DROP COLUMN`` (SQLite >= 3.35, PostgreSQL): on SQLite
    Tortoise 1.1 rebuilds the whole table for a removed field, and the rebuilt table lost the
    member indexes (listings then scanned every row)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if state_editor:
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor._run_sql(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{self.name}"')


class Migration(migrations.Migration):
    dependencies = [('models', '0002_signed_sessions')]

    initial = False

    operations = [
        # Failures are counted per account and address in rate_limit_bucket now (gql/domain/lockout.py).
        DropColumn(model_name='Member', name='failed_logins'),
        ops.AddField(
            model_name='Member',
            name='claims_contact',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='context',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='link',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='template',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.RunSQL(
            [
                "UPDATE contact SET email_key = NULL WHERE email_key IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM member WHERE member.contact_id = contact.id)",
                "UPDATE outbox SET body_text = NULL, body_html = NULL WHERE status IN ('SENT', 'FAILED')",
                "UPDATE outbox SET status = 'SUPERSEDED', body_text = NULL, body_html = NULL "
                "WHERE kind = 'email' AND status = 'PENDING' AND body_text LIKE '%token=%'",
                "UPDATE member SET confirm_jti = NULL WHERE confirm_jti IS NOT NULL AND email_verified = FALSE "
                "AND NOT EXISTS (SELECT 1 FROM registration_settings WHERE id = 1 AND email_confirmation = TRUE)",
            ]
        ),
    ]
