"""The seeded dataset: member i is fully determined by i, on SQLite and PostgreSQL alike.

The figures need to name seeded members without reading the database (a random
member's id, a login email, a nickname deep in the sort order), so every value is a
function of the index. Ids are the MD5 of a label read as a UUID: PostgreSQL computes
the same ones with ``md5(...)::uuid``. The layout is the product's (gql/db/models.py);
the tables come from the product's own migrations, applied before seeding.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from gql.db.models import Contact, Member

# Bump when the rows below change, so cached datasets are rebuilt.
SEED_VERSION = 1
PASSWORD = "bench-password-1234"
EMAIL_DOMAIN = "bench.example"
# Seeded members are older than anything registered during a run; a non-zero
# microsecond keeps the stored text in the product's format (str() drops ".000000").
EPOCH = datetime(2020, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)
HOBBIES = ("Basketball", "Chess", "Cooking", "Hiking")
CHUNK = 20_000


def member_id(i: int) -> str:
    return str(uuid.UUID(hashlib.md5(f"member-{i}".encode()).hexdigest()))


def contact_id(i: int) -> str:
    return str(uuid.UUID(hashlib.md5(f"contact-{i}".encode()).hexdigest()))


def email(i: int) -> str:
    return f"member{i:07d}@{EMAIL_DOMAIN}"


def nickname(i: int) -> str:
    # What the product derives from firstName "Member" and lastName "0000042".
    return f"Member {i:07d}"


def nickname_key(i: int) -> str:
    return nickname(i).casefold()


def is_public(i: int) -> bool:
    # Half the members are visible to anonymous callers, so both listing indexes matter.
    return i % 2 == 0


def _sqlite_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")  # how Tortoise stores aware datetimes


# The columns the seed sets; nullable ones left out stay NULL, the rest take the model's default.
CONTACT_COLUMNS = ("id", "email_key", "first_name", "last_name", "emails", "custom_fields", "created_at", "updated_at")
MEMBER_COLUMNS = (
    "id",
    "identity",
    "login_email",
    "email_key",
    "password_hash",
    "status",
    "privacy_status",
    "contact_id",
    "nickname",
    "nickname_key",
    "slug",
    "created_at",
    "updated_at",
)


def _contact_row(i: int, created: str) -> tuple[object, ...]:  # in CONTACT_COLUMNS order
    return (
        contact_id(i),
        email(i),
        "Member",
        f"{i:07d}",
        json.dumps([{"email": email(i), "tag": "UNTAGGED", "primary": False}], separators=(",", ":")),
        json.dumps({"hobby": HOBBIES[i % len(HOBBIES)]}, separators=(",", ":")),
        created,
        created,
    )


def _member_row(i: int, created: str, password_hash: str) -> tuple[object, ...]:  # in MEMBER_COLUMNS order
    return (
        member_id(i),
        email(i),
        email(i),
        email(i),
        password_hash,
        "APPROVED",
        "PUBLIC" if is_public(i) else "PRIVATE",
        contact_id(i),
        nickname(i),
        nickname_key(i),
        f"member{i:07d}",
        created,
        created,
    )


def model_defaults(table: str, explicit: tuple[str, ...]) -> dict[str, object]:
    """The Python-side defaults of the product's model for every column the seed does not set.

    Tortoise applies defaults in Python, not in the schema, so a bulk insert must
    supply them; reading them from the model keeps the seed valid as columns are added.
    """
    model = {"contact": Contact, "member": Member}[table]
    defaults: dict[str, object] = {}
    for name, column in model._meta.fields_db_projection.items():
        field = model._meta.fields_map[name]
        if column in explicit or field.default is None or field.pk:
            continue
        value = field.default() if callable(field.default) else field.default
        defaults[column] = field.to_db_value(value, model)
    return defaults


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'


def _chunks(count: int) -> Iterator[range]:
    for start in range(0, count, CHUNK):
        yield range(start, min(count, start + CHUNK))


def seed_sqlite(path: str, count: int, password_hash: str) -> None:
    """Bulk-insert ``count`` members and their contacts into a migrated, empty SQLite file."""
    connection = sqlite3.connect(path)
    try:
        # A throw-away build (renamed into the cache only when complete): durability is not needed.
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -1000000")
        check_layout(connection)
        contact_extra, member_extra = (
            model_defaults("contact", CONTACT_COLUMNS),
            model_defaults("member", MEMBER_COLUMNS),
        )
        contact_sql = _insert_sql("contact", (*CONTACT_COLUMNS, *contact_extra))
        member_sql = _insert_sql("member", (*MEMBER_COLUMNS, *member_extra))
        contact_tail, member_tail = tuple(contact_extra.values()), tuple(member_extra.values())
        with connection:
            for indexes in _chunks(count):
                created = [(i, _sqlite_time(EPOCH + timedelta(seconds=i))) for i in indexes]
                connection.executemany(contact_sql, (_contact_row(i, at) + contact_tail for i, at in created))
                connection.executemany(
                    member_sql, (_member_row(i, at, password_hash) + member_tail for i, at in created)
                )
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def postgres_seed_sql(count: int, password_hash: str) -> list[tuple[str, tuple[object, ...]]]:
    """The same rows as ``seed_sqlite``, generated by the server (no round trip per row)."""
    hobbies = "ARRAY[" + ", ".join(f"'{h}'" for h in HOBBIES) + "]"
    series = f"""
        FROM generate_series(0, $1 - 1) AS i,
             LATERAL (SELECT 'member' || lpad(i::text, 7, '0') || '@{EMAIL_DOMAIN}' AS e,
                             lpad(i::text, 7, '0') AS n,
                             $2::timestamptz + i * interval '1 second' AS t) AS v
    """
    statements: list[tuple[str, tuple[object, ...]]] = []
    for table, columns, values, params in (
        (
            "contact",
            CONTACT_COLUMNS,
            f"md5('contact-' || i)::uuid, e, 'Member', n, jsonb_build_array(jsonb_build_object('email', e, 'tag', 'UNTAGGED', 'primary', false)), "
            f"jsonb_build_object('hobby', ({hobbies})[i % {len(HOBBIES)} + 1]), t, t",
            (count, EPOCH),
        ),
        (
            "member",
            MEMBER_COLUMNS,
            "md5('member-' || i)::uuid, e, e, e, $3, 'APPROVED', CASE WHEN i % 2 = 0 THEN 'PUBLIC' ELSE 'PRIVATE' END, "
            "md5('contact-' || i)::uuid, 'Member ' || n, 'member ' || n, 'member' || n, t, t",
            (count, EPOCH, password_hash),
        ),
    ):
        extra = model_defaults(table, columns)
        placeholders = "".join(f", ${len(params) + k + 1}" for k in range(len(extra)))
        names = ", ".join((*columns, *extra))
        statements.append(
            (f"INSERT INTO {table} ({names}) SELECT {values}{placeholders} {series}", (*params, *extra.values()))
        )
    return statements


def check_layout(connection: sqlite3.Connection) -> None:
    """Fail early, with the reason, when the product's tables gained a column the seed does not fill."""
    for table, columns in (("contact", CONTACT_COLUMNS), ("member", MEMBER_COLUMNS)):
        filled = {*columns, *model_defaults(table, columns)}
        for _, name, _, not_null, default, _ in connection.execute(f'PRAGMA table_info("{table}")'):
            if not_null and default is None and name not in filled:
                raise RuntimeError(f"bench/seed.py does not fill {table}.{name}: update the seeded layout")
