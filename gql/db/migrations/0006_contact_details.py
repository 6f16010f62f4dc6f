# Issue 12 (contact details as on Wix).
# - A contact's phones and emails become tagged entries: each string of the old lists turns into
#   {"phone": …, "tag": "UNTAGGED", "primary": false} (or {"email": …}), in the same order. An
#   entry that already is an object (written by this version) stays as it is.
# - A contact gains addresses (a JSON list of tagged addresses), birthdate, company and job title.
import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# (column, the key its entries' value goes under)
TAGGED = (("phones", "phone"), ("emails", "email"))


def _sqlite(column: str, key: str) -> str:
    return (
        f"UPDATE contact SET {column} = ("
        f"  SELECT json_group_array(json(entry)) FROM ("
        f"    SELECT CASE WHEN type = 'text'"
        f"      THEN json_object('{key}', value, 'tag', 'UNTAGGED', 'primary', json('false'))"
        f"      ELSE json(value) END AS entry"
        f"    FROM json_each(contact.{column}) ORDER BY key))"
        f" WHERE json_valid({column}) AND json_type({column}) = 'array'"
        f" AND EXISTS (SELECT 1 FROM json_each(contact.{column}) WHERE type = 'text')"
    )


def _postgres(column: str, key: str) -> str:
    return (
        f"UPDATE contact SET {column} = ("
        f"  SELECT COALESCE(jsonb_agg(CASE WHEN jsonb_typeof(entry) = 'string'"
        f"    THEN jsonb_build_object('{key}', entry #>> '{{}}', 'tag', 'UNTAGGED', 'primary', false)"
        f"    ELSE entry END ORDER BY position), '[]'::jsonb)"
        f"  FROM jsonb_array_elements(contact.{column}) WITH ORDINALITY AS items(entry, position))"
        f" WHERE jsonb_typeof({column}) = 'array'"
        f" AND EXISTS (SELECT 1 FROM jsonb_array_elements(contact.{column}) AS items(entry)"
        f" WHERE jsonb_typeof(entry) = 'string')"
    )


async def tag_phones_and_emails(apps, schema_editor) -> None:
    """One UPDATE per column, in the database: no row travels to Python, whatever the table's size."""
    client = schema_editor.client
    statement = _sqlite if client.capabilities.dialect == "sqlite" else _postgres
    for column, key in TAGGED:
        await client.execute_script(statement(column, key))


class Migration(migrations.Migration):
    dependencies = [("models", "0005_settings_as_data_and_audit")]

    initial = False

    operations = [
        ops.RunPython(tag_phones_and_emails),
        ops.AddField(
            model_name="Contact",
            name="addresses",
            field=fields.JSONField(
                default=list, db_default="[]", encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(model_name="Contact", name="birthdate", field=fields.DateField(null=True)),
        ops.AddField(model_name="Contact", name="company", field=fields.CharField(null=True, max_length=500)),
        ops.AddField(model_name="Contact", name="job_title", field=fields.CharField(null=True, max_length=500)),
    ]
