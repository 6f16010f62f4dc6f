"""The generated tables of docs/ (configuration, error codes): finding one in its page and
rewriting it in place, for the tests that keep them in step with the code and their regenerate
mode (``python -m tests.unit.test_readme_config``, ``python -m tests.unit.test_readme_codes``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def pattern(header: str) -> re.Pattern[str]:
    """A Markdown table that starts with the row ``header``, its rule and every following row."""
    return re.compile(rf"^{re.escape(header)}\n\|---(?:\|---)*\|\n(?:\|.*\|\n?)*", re.MULTILINE)


def find(path: Path, header: str) -> str | None:
    found = pattern(header).search(path.read_text())
    return found.group(0).rstrip("\n") if found else None


def rewrite(path: Path, table: str) -> bool:
    """Replace the table in ``path`` whose header row is ``table``'s first line; True when the
    file changed. A page that lost its table is an error, not a place to append one."""
    header = table.splitlines()[0]
    text = path.read_text()
    found = pattern(header).search(text)
    if found is None:
        raise SystemExit(f"{path.relative_to(ROOT)} has no table starting with {header!r}")
    ending = "\n" if found.group(0).endswith("\n") else ""
    new = text[: found.start()] + table + ending + text[found.end() :]
    if new != text:
        path.write_text(new)
    return new != text


def regenerate(path: Path, table: str) -> None:
    """The regenerate mode's report: what was done to ``path``."""
    changed = rewrite(path, table)
    state = "rewritten" if changed else "already up to date"
    print(f"{path.relative_to(ROOT)}: table {state} ({len(table.splitlines()) - 2} rows)")
