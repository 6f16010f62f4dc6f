"""docs/errors.md's table lists every code of the catalogue, as ``ErrorCode.describe()`` says it.

When the catalogue changes, rewrite the table in place:

    .venv/bin/python -m tests.unit.test_readme_codes
"""

from __future__ import annotations

from gql.domain.errors import ErrorCode
from tests.doc_tables import DOCS, find, regenerate

ERRORS = DOCS / "errors.md"
HEADER = "| code | name | meaning |"


def table_rows() -> list[str]:
    rows = []
    for code in sorted(ErrorCode, key=int):
        rows.append(f"| {int(code)} | `{code.name}` | {code.describe()} |")
    return rows


def table() -> str:
    header = [HEADER, "|---|---|---|"]
    return "\n".join(header + table_rows())


def test_every_error_code_is_in_the_errors_table() -> None:
    found = find(ERRORS, HEADER)
    assert found, "docs/errors.md lost its error table"
    lines = found.splitlines()[2:]
    listed = {int(line.split("|")[1]) for line in lines}
    missing = sorted(int(code) for code in ErrorCode if int(code) not in listed)
    unknown = sorted(listed - {int(code) for code in ErrorCode})
    assert not missing and not unknown, (
        f"docs/errors.md's table is out of date (missing {missing}, unknown {unknown}); "
        "rewrite it with `.venv/bin/python -m tests.unit.test_readme_codes`"
    )
    stale = [row for row in table_rows() if row not in lines]
    assert not stale, (
        "docs/errors.md's table differs from gql/domain/errors.py in these rows:\n"
        + "\n".join(stale)
        + "\nrewrite it with `.venv/bin/python -m tests.unit.test_readme_codes`"
    )
    assert found == table(), (
        "docs/errors.md's table is out of order: `.venv/bin/python -m tests.unit.test_readme_codes`"
    )


if __name__ == "__main__":
    regenerate(ERRORS, table())
