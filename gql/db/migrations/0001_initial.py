from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('email_key', fields.CharField(null=True, db_index=True, max_length=320)),
                ('first_name', fields.CharField(null=True, max_length=500)),
                ('last_name', fields.CharField(null=True, max_length=500)),
                ('phones', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('emails', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('picture', fields.CharField(null=True, max_length=2000)),
                ('custom_fields', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'contact', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Member',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('identity', fields.CharField(null=True, unique=True, max_length=500)),
                ('login_email', fields.CharField(null=True, max_length=320)),
                ('email_key', fields.CharField(null=True, unique=True, max_length=320)),
                ('password_hash', fields.CharField(null=True, max_length=128)),
                ('status', fields.CharField(max_length=16)),
                ('privacy_status', fields.CharField(default='PRIVATE', max_length=16)),
                ('activity_status', fields.CharField(default='ACTIVE', max_length=16)),
                ('email_verified', fields.BooleanField(default=False)),
                ('is_guest', fields.BooleanField(default=False)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('nickname', fields.CharField(max_length=500)),
                ('nickname_key', fields.CharField(max_length=500)),
                ('slug', fields.CharField(unique=True, max_length=255)),
                ('photo', fields.CharField(null=True, max_length=2000)),
                ('title', fields.CharField(null=True, max_length=500)),
                ('approval_jti', fields.CharField(null=True, max_length=64)),
                ('confirm_jti', fields.CharField(null=True, max_length=64)),
                ('reset_jti', fields.CharField(null=True, max_length=64)),
                ('failed_logins', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member', 'app': 'models', 'indexes': [Index(fields=['created_at', 'id'], name='ix_member_created'), Index(fields=['nickname_key', 'id'], name='ix_member_nickname'), Index(fields=['privacy_status', 'status', 'created_at', 'id'], name='ix_member_visible_created'), Index(fields=['privacy_status', 'status', 'nickname_key', 'id'], name='ix_member_visible_nickname')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MemberEvent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('member_id', fields.UUIDField()),
                ('kind', fields.CharField(max_length=32)),
                ('actor', fields.CharField(max_length=16)),
                ('actor_member_id', fields.UUIDField(null=True)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'member_event', 'app': 'models', 'indexes': [Index(fields=['member_id', 'created_at', 'id'], name='ix_event_member')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('recipient', fields.CharField(max_length=2000)),
                ('subject', fields.CharField(null=True, max_length=500)),
                ('body_text', fields.TextField(null=True, unique=False)),
                ('body_html', fields.TextField(null=True, unique=False)),
                ('payload', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharField(default='PENDING', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('locked_by', fields.CharField(null=True, max_length=64)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=1000)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'], name='ix_outbox_due')], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RateLimitBucket',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=255)),
                ('tokens', fields.FloatField()),
                ('updated_at', fields.FloatField()),
            ],
            options={'table': 'rate_limit_bucket', 'app': 'models', 'pk_attr': 'key'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RegistrationSettingsRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('enabled', fields.BooleanField(default=True)),
                ('approval', fields.CharField(default='AUTOMATIC', max_length=16)),
                ('email_confirmation', fields.BooleanField(default=False)),
                ('dynamic_properties', fields.BooleanField(default=True)),
                ('identity_property', fields.CharField(default='email', max_length=64)),
                ('declared_properties', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'registration_settings', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('token_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('member', fields.ForeignKeyField('models.Member', source_field='member_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'session', 'app': 'models', 'indexes': [Index(fields=['member_id'], name='ix_session_member')], 'pk_attr': 'token_hash'},
            bases=['Model'],
        ),
    ]
