"""The committed schema.graphql is exactly what the code builds (clients and code generators read it)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from gql.schema import schema_sdl

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_matches_the_code() -> None:
    if not SCHEMA_FILE.exists():
        pytest.fail("schema.graphql is missing: run `make schema` and commit it", pytrace=False)
    committed, built = SCHEMA_FILE.read_text(), schema_sdl()
    if committed != built:
        diff = difflib.unified_diff(
            committed.splitlines(),
            built.splitlines(),
            "schema.graphql (committed)",
            "schema_sdl() (the code)",
            lineterm="",
            n=1,
        )
        shown = list(diff)
        more = f"\n… {len(shown) - 60} more diff lines" if len(shown) > 60 else ""
        pytest.fail(
            "schema.graphql differs from the schema the code builds: run `make schema` and commit it\n"
            + "\n".join(shown[:60])
            + more,
            pytrace=False,
        )
