"""docs/configuration.md's table is exactly what gql/config.py declares: every MEMBERS_* variable
the server reads, its default and its meaning, in the declarations' words.

When a setting changes, rewrite the table in place:

    .venv/bin/python -m tests.unit.test_readme_config
"""

from __future__ import annotations

from pathlib import Path

from gql.config import Config, load_config, readme_table, variables
from tests.doc_tables import DOCS, find, regenerate

CONFIGURATION = DOCS / "configuration.md"


def test_configuration_table_is_the_declarations() -> None:
    found = find(CONFIGURATION, readme_table().splitlines()[0])
    assert found, "docs/configuration.md lost its configuration table"
    assert found == readme_table(), (
        "docs/configuration.md's table differs from gql/config.py: rewrite it with "
        "`.venv/bin/python -m tests.unit.test_readme_config`"
    )


def test_every_declared_variable_is_read(tmp_path: Path) -> None:
    """Each variable the table lists really sets its field (a declaration nobody reads is a lie)."""
    samples = {
        "MEMBERS_ENV": ("test", "environment", "test"),
        "MEMBERS_PORT": ("8123", "port", 8123),
        "MEMBERS_RATE_LIMITS": ("off", "rate_limit_scale", 0.0),
        "MEMBERS_TRUSTED_PROXIES": ("10.0.0.0/8, 127.0.0.1", "trusted_proxies", ("10.0.0.0/8", "127.0.0.1")),
        "MEMBERS_APPROVAL": ("manual", "registration.approval", "MANUAL"),
        "MEMBERS_EMAIL_CONFIRMATION": ("yes", "registration.email_confirmation", True),
        "MEMBERS_OUTBOX_MAX_ATTEMPTS": ("3", "outbox_max_attempts", 3),
        "MEMBERS_PUBLIC_URL": ("https://example.com/", "public_url", "https://example.com"),
    }
    names = {v.name for v in variables()}
    assert set(samples) <= names
    base = {
        "MEMBERS_SECRET_KEY": "k" * 40,
        "MEMBERS_ADMIN_API_KEY": "a" * 40,
        "MEMBERS_DATABASE_URL": f"sqlite://{tmp_path / 'x.sqlite3'}",
    }
    for name, (raw, where, expected) in samples.items():
        config = load_config({**base, name: raw})
        value = config
        for part in where.split("."):
            value = getattr(value, part)
        assert value == expected, (name, value)
    assert load_config(base) == load_config(base)  # defaults, twice the same
    assert Config().bcrypt_cost == load_config(base).bcrypt_cost


if __name__ == "__main__":
    regenerate(CONFIGURATION, readme_table())
