"""The README and docs/ hold together: every relative link points at a file that exists and, with
a ``#fragment``, at a heading (or an ``id``) of that page; every ``MEMBERS_*`` variable they name is
one the server reads (or one of the tests' own; permissions such as ``MEMBERS_READ`` aside)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest

from gql.config import variables
from gql.domain.permissions import Permission

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
HTML_ID = re.compile(r"""<[a-z]+\s[^>]*\b(?:id|name)=["']?([^"'\s>]+)""")
VARIABLE = re.compile(r"\bMEMBERS_[A-Z0-9]+(?:_[A-Z0-9]+)*\b")
# Read by the test suite and the Makefile, not by the server (docs/configuration.md says so).
TEST_VARIABLES = {"MEMBERS_TEST_DATABASE", "MEMBERS_TEST_POSTGRES_URL", "MEMBERS_REQUIRE_POSTGRES"}


def prose(text: str) -> str:
    """The page without its fenced code blocks, where a ``#`` starts a comment, not a heading."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = unicodedata.normalize("NFC", text).lower()
    kept = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    text = prose(page.read_text())
    found: set[str] = set(HTML_ID.findall(text))
    counts: dict[str, int] = {}
    for heading in HEADING.findall(text):
        base = slug(heading)
        seen = counts.get(base, 0)
        found.add(base if seen == 0 else f"{base}-{seen}")
        counts[base] = seen + 1
    return frozenset(found)


def relative_links(page: Path) -> list[str]:
    text = INLINE_CODE.sub("", prose(page.read_text()))
    return [target for target in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def test_there_are_links_to_check() -> None:
    assert sum(len(relative_links(page)) for page in PAGES) >= 50
    assert "#passwordless-sign-in" in relative_links(ROOT / "docs" / "sign-in.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, fragment = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(
                f"{target}: no file {destination.relative_to(ROOT) if destination.is_relative_to(ROOT) else destination}"
            )
        elif fragment and destination.suffix == ".md" and fragment not in anchors(destination):
            broken.append(f"{target}: no heading #{fragment} in {destination.relative_to(ROOT)}")
        elif fragment and destination.suffix != ".md":
            broken.append(f"{target}: a fragment of a file that is not a page")
    assert not broken, f"{page.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_the_anchor_rule_is_githubs() -> None:
    assert slug("External sign-in (OpenID Connect, OAuth 2.0)") == "external-sign-in-openid-connect-oauth-20"
    assert slug("Validating a token: `validateSession`") == "validating-a-token-validatesession"
    assert slug("10. Roles: let a member approve") == "10-roles-let-a-member-approve"
    assert slug("Second factors (TOTP)") == "second-factors-totp"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_variable_named_is_one_the_server_reads(page: Path) -> None:
    known = set(TEST_VARIABLES) | {permission.name for permission in Permission}
    for variable in variables():
        known.add(variable.name)
        if variable.file_variable:
            known.add(variable.file_variable)
    unknown = sorted(set(VARIABLE.findall(page.read_text())) - known)
    assert not unknown, f"{page.relative_to(ROOT)} names variables the server does not read: {unknown}"
