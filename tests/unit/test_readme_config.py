"""README's configuration table names exactly the MEMBERS_* variables gql/config.py reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CONFIG = ROOT / "gql" / "config.py"


def variables_read_by_config() -> set[str]:
    """Names passed to ``get("…")`` in load_settings, as MEMBERS_<NAME>."""
    return {f"MEMBERS_{name}" for name in re.findall(r"""\bget\(\s*["']([A-Z0-9_]+)["']\s*\)""", CONFIG.read_text())}


def variables_in_readme_table() -> set[str]:
    return set(re.findall(r"^\|\s*`(MEMBERS_[A-Z0-9_]+)`\s*\|", README.read_text(), re.MULTILINE))


def test_config_variables_are_documented() -> None:
    read = variables_read_by_config()
    assert read, 'found no get("…") calls in gql/config.py: update this test'
    documented = variables_in_readme_table()
    missing = sorted(read - documented)
    assert not missing, f"README.md's configuration table lacks {missing}: add a row for each"


def test_documented_variables_exist() -> None:
    extra = sorted(variables_in_readme_table() - variables_read_by_config())
    assert not extra, f"README.md's configuration table lists {extra}, which gql/config.py does not read"
