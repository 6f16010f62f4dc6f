"""Every example of README.md and docs/*.md, replayed in order against a real server, one fresh
database per page: what a reader types works as printed, and answers what the page shows.

An example is an HTML comment naming what it is, then what it shows:

    <!-- example: anonymous | backend | member -->   a ```graphql block, then its ```json answer
    <!-- example: shell -->                          a ```sh block, then (optionally) its ```json output
    <!-- example: banner -->                         a ```text block: what the server prints at start
                                                     (a line ending in "…" up to its last word)
    <!-- example: mailbox <path> "<text>" -->        follow the newest link to <path> on /dev/mailbox;
                                                     the page it opens says <text>

The member caller sends the latest ``sessionToken`` seen; ``"<approvalToken>"``,
``"<endCursor>"`` and ``"<accessToken>"`` in a document are replaced by the latest values seen,
``"<roleId>"``, ``"<memberId>"`` and ``"<badgeId>"`` by the id of the latest role, member or badge.
Answers are compared field by field, except values that differ on every run (ids, tokens,
cursors, dates), which only have to be present (or null when the page shows null).

A page with shell, banner or mailbox examples runs as ``make run`` runs the server: development,
the SQLite file ``members.sqlite3`` in the working directory, no ``MEMBERS_ADMIN_API_KEY`` (the
backend caller sends the key the server kept in ``members.sqlite3.api-key``, as the page tells
the reader to). Its shell blocks run with bash in that directory, exactly as printed but for the
port: ``127.0.0.1:8000`` becomes the test server's (port 8000 may be taken on the test machine).
Other pages run on the backend under test.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import ADMIN_KEY, REPO_ROOT, StartServer
from tests.processes import ServerProcess, clean_env
from tests.waiting import eventually

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
EXAMPLE = re.compile(
    r"<!-- example: (?P<kind>anonymous|backend|member|shell|banner|mailbox)(?P<args>[^>]*?) -->"
    r"(?:\s*```(?P<language>graphql|sh|text)\n(?P<block>.*?)```)?"
    r"(?:\s*```json\n(?P<response>.*?)```)?",
    re.DOTALL,
)
LANGUAGE = {"anonymous": "graphql", "backend": "graphql", "member": "graphql", "shell": "sh", "banner": "text"}
AS_MAKE_RUN = {"shell", "banner", "mailbox"}
DOCUMENTED_ADDRESS = "127.0.0.1:8000"
KEY_FILE = "members.sqlite3.api-key"
VARYING = {
    "id",
    "contactId",
    "sessionToken",
    "approvalToken",
    "cursor",
    "startCursor",
    "endCursor",
    "createdDate",
    "updatedDate",
    "lastLoginDate",
    "key",
    "prefix",
    "memberIds",
    "lastSeenDate",
    "expiresDate",
    "accessToken",
    "memberId",
    "sessionId",
}
CAPTURED = ("approvalToken", "sessionToken", "endCursor", "accessToken")
# "<roleId>", "<memberId>", "<badgeId>" in a document: the id of the latest role, member or badge seen.
OBJECT_IDS = {"role": "roleId", "member": "memberId", "badge": "badgeId"}


def examples(page: Path) -> list[re.Match[str]]:
    return list(EXAMPLE.finditer(page.read_text()))


def pages_with_examples() -> list[Path]:
    return [page for page in PAGES if examples(page)]


def _compare(expected: Any, actual: Any, path: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(expected) == set(actual), (
            f"{path}: keys {sorted(expected)} on the page, {sorted(actual)} from the server"
        )
        for key, value in expected.items():
            if key in VARYING:
                assert (actual[key] is None) == (value is None), f"{path}.{key}: page {value!r}, server {actual[key]!r}"
            else:
                _compare(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{path}: page {expected!r}, server {actual!r}"
        )
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            _compare(want, got, f"{path}[{index}]")
    else:
        assert expected == actual, f"{path}: page {expected!r}, server {actual!r}"


def _capture(value: Any, seen: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CAPTURED and isinstance(item, str):
                seen[key] = item
            if key in OBJECT_IDS and isinstance(item, dict) and isinstance(item.get("id"), str):
                seen[OBJECT_IDS[key]] = item["id"]
            _capture(item, seen)
    elif isinstance(value, list):
        for item in value:
            _capture(item, seen)


@dataclass
class Target:
    """The server a page is replayed against."""

    url: str  # http://127.0.0.1:<port>
    api_key: str
    cwd: Path  # where shell examples run
    output: Callable[[], str]  # what the server printed so far

    def graphql(self, document: str, headers: dict[str, str]) -> dict[str, Any]:
        response = httpx.post(self.url + "/graphql", json={"query": document}, headers=headers, timeout=30)
        assert response.status_code == 200, f"{response.status_code}: {response.text}"
        return response.json()


@pytest.fixture
def as_make_run(tmp_path: Path) -> Iterator[Callable[[], Target]]:
    """A server started as ``make run`` starts it, in its own directory (see the module's docstring)."""
    started: list[ServerProcess] = []

    def start() -> Target:
        workdir = tmp_path / f"checkout{len(started)}"
        workdir.mkdir()
        server = ServerProcess(workdir, {**clean_env(), "MEMBERS_BCRYPT_COST": "4"})
        started.append(server)
        server.launch()
        key = (workdir / KEY_FILE).read_text()
        return Target(server.url, key, workdir, server.output)

    yield start
    for server in started:
        server.stop()


def _run_shell(block: str, target: Target) -> str:
    script = block.replace(DOCUMENTED_ADDRESS, urlsplit(target.url).netloc)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=target.cwd,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{block}\nexited {result.returncode}: {result.stderr}"
    return result.stdout


def _check_banner(block: str, target: Target) -> None:
    printed = target.output()
    for line in block.strip("\n").splitlines():
        line = line.replace(DOCUMENTED_ADDRESS, urlsplit(target.url).netloc)
        # A value that differs at every start (the key) is shown cut short: "… another): 3q5vH0c…".
        shown = line[: line.rindex(" ") + 1] if line.endswith("…") else line
        assert shown in printed, f"the server did not print {line!r}; it printed:\n{printed}"


def _follow_mail_link(args: str, target: Target) -> None:
    path, text = shlex.split(args)
    link_of = re.compile(r'href="(' + re.escape(target.url + path) + r'\?[^"]+)"')

    def newest_link() -> str | None:
        found = link_of.search(httpx.get(target.url + "/dev/mailbox", timeout=30).text)
        return found.group(1).replace("&amp;", "&") if found else None

    link = eventually(newest_link, f"a mail with a link to {path} on /dev/mailbox")
    page = httpx.get(link, timeout=30)
    assert page.status_code == 200 and text in page.text, f"{link}: {page.status_code} {page.text[:500]}"


def replay(page: Path, target: Target) -> None:
    seen: dict[str, str] = {}
    for number, match in enumerate(examples(page), start=1):
        kind, block, where = match["kind"], match["block"], f"{page.name} example {number} ({match['kind']})"
        assert match["language"] == LANGUAGE.get(kind), f"{where}: expected a ```{LANGUAGE.get(kind)} block"
        if kind == "banner":
            _check_banner(block, target)
            continue
        if kind == "mailbox":
            _follow_mail_link(match["args"], target)
            continue
        if kind == "shell":
            output = _run_shell(block, target)
            if match["response"]:
                _compare(json.loads(match["response"]), json.loads(output), where)
            continue
        for name in ("approvalToken", "endCursor", "accessToken", *OBJECT_IDS.values()):
            if f'"<{name}>"' in block:
                assert name in seen, f"{where} needs a {name} from an earlier example"
                block = block.replace(f'"<{name}>"', json.dumps(seen[name]))
        headers: dict[str, str] = {}
        if kind == "backend":
            headers["X-Api-Key"] = target.api_key
        elif kind == "member":
            assert "sessionToken" in seen, f"{where} needs a sessionToken from an earlier example"
            headers["Authorization"] = f"Bearer {seen['sessionToken']}"
        result = target.graphql(block, headers)
        _capture(result, seen)
        _compare(json.loads(match["response"]), result, where)


def test_the_pages_have_their_examples() -> None:
    readme = examples(REPO_ROOT / "README.md")
    kinds = [match["kind"] for match in readme]
    assert {"banner", "shell", "mailbox", "anonymous", "backend", "member"} <= set(kinds), kinds
    # The walkthrough shows where the backend key comes from, and uses it that way.
    assert any(KEY_FILE in match["block"] for match in readme if match["kind"] == "shell")
    everywhere = [match for page in PAGES for match in examples(page)]
    assert len(everywhere) >= 40, "the pages lost their <!-- example: … --> blocks"
    answered = [match for match in everywhere if match["kind"] in {"anonymous", "backend", "member"}]
    assert all(match["response"] for match in answered), "every GraphQL example shows its answer"


@pytest.mark.parametrize("page", pages_with_examples(), ids=lambda page: page.name)
def test_the_page_runs_as_documented(page: Path, start_server: StartServer, as_make_run: Callable[[], Target]) -> None:
    if any(match["kind"] in AS_MAKE_RUN for match in examples(page)):
        target = as_make_run()
    else:
        server = start_server()  # the defaults of a fresh database, as after `make run`
        target = Target(server.url, ADMIN_KEY, server.workdir, server.output)
    replay(page, target)
