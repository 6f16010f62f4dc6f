"""The committed schema.graphql and possibleTypes.json are exactly what the code builds (clients and
code generators read them)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from gql.schema import possible_types_json, schema_sdl

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema.graphql"
POSSIBLE_TYPES_FILE = ROOT / "possibleTypes.json"


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


def test_possible_types_file_matches_the_code() -> None:
    if not POSSIBLE_TYPES_FILE.exists():
        pytest.fail("possibleTypes.json is missing: run `make schema` and commit it", pytrace=False)
    if POSSIBLE_TYPES_FILE.read_text() != possible_types_json():
        pytest.fail("possibleTypes.json differs from the schema the code builds: run `make schema`", pytrace=False)
