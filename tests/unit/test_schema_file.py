"""The committed schema.graphql is exactly what the code builds (clients and code generators read it)."""

from __future__ import annotations

from pathlib import Path

from gql.schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.exists(), "schema.graphql is missing: run `make schema`"
    committed = SCHEMA_FILE.read_text()
    assert committed == schema_sdl(), "schema.graphql differs from the schema the code builds: run `make schema` and commit it"
