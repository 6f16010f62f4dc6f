"""Every GraphQL document shown in the README and in docs/ validates against the schema, so
what a reader copies works as printed (the walkthrough's also run: tests/e2e/test_readme_examples.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from gql.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    found = []
    for path in DOCUMENTS:
        for number, match in enumerate(BLOCK.finditer(path.read_text()), start=1):
            found.append((f"{path.name} #{number}", match.group(1)))
    return found


@pytest.mark.parametrize(("where", "document"), blocks(), ids=[where for where, _ in blocks()])
def test_documented_graphql_validates(where: str, document: str) -> None:
    schema = build_schema()._schema
    errors = validate(schema, parse(document))
    assert not errors, f"{where}: " + "; ".join(error.message for error in errors)


def test_there_are_documents_to_check() -> None:
    assert len(blocks()) >= 15


def shared_test_documents() -> list[tuple[str, str]]:
    from tests import documents

    return [
        (name, value)
        for name, value in vars(documents).items()
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("mutation", "query", "{"))
    ]


@pytest.mark.parametrize(("name", "document"), shared_test_documents(), ids=[n for n, _ in shared_test_documents()])
def test_the_shared_test_documents_validate(name: str, document: str) -> None:
    """tests/documents.py is sent by the server-process tests: a document the schema refuses
    fails here, at once, rather than as a request-level error in a slow test."""
    errors = validate(build_schema()._schema, parse(document))
    assert not errors, f"{name}: " + "; ".join(error.message for error in errors)


def test_the_playgrounds_default_document_validates() -> None:
    """GraphiQL opens on the README walkthrough's operations: each must run as written there."""
    from gql.playground import DEFAULT_QUERY

    errors = validate(build_schema()._schema, parse(DEFAULT_QUERY))
    assert not errors, "; ".join(error.message for error in errors)
