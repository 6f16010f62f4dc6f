"""README's error table lists every code of the catalogue, as ``ErrorCode.describe()`` says it.

When the catalogue changes, print the new table and paste it into README.md:

    .venv/bin/python -m tests.unit.test_readme_codes
"""

from __future__ import annotations

import re
from pathlib import Path

from gql.domain.errors import ErrorCode

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\|\s*(\d{4})\s*\|")


def table_rows() -> list[str]:
    rows = []
    for code in sorted(ErrorCode, key=int):
        rows.append(f"| {int(code)} | `{code.name}` | {code.describe()} |")
    return rows


def table() -> str:
    header = ["| code | name | meaning |", "|---|---|---|"]
    return "\n".join(header + table_rows())


def test_every_error_code_is_in_the_readme_table() -> None:
    lines = README.read_text().splitlines()
    listed = {int(match.group(1)) for line in lines if (match := ROW.match(line))}
    missing = sorted(int(code) for code in ErrorCode if int(code) not in listed)
    unknown = sorted(listed - {int(code) for code in ErrorCode})
    assert not missing and not unknown, (
        f"README.md's error table is out of date (missing {missing}, unknown {unknown}); "
        "replace it with the output of `.venv/bin/python -m tests.unit.test_readme_codes`"
    )
    stale = [row for row in table_rows() if row not in lines]
    assert not stale, (
        "README.md's error table differs from gql/domain/errors.py in these rows:\n"
        + "\n".join(stale)
        + "\nreplace the table with the output of `.venv/bin/python -m tests.unit.test_readme_codes`"
    )


if __name__ == "__main__":
    print(table())
