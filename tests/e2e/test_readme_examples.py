"""README's walkthrough, replayed in order against a real server on a fresh database.

Each example in README.md is an HTML comment naming the caller, a ```graphql block and the
```json response shown under it:

    <!-- example: anonymous | backend | member -->

The member caller sends the latest ``sessionToken`` seen; ``"<approvalToken>"``,
``"<endCursor>"`` and ``"<accessToken>"`` in a document are replaced by the latest values seen. Responses are
compared field by field, except values that differ on every run (ids, tokens, cursors,
dates), which only have to be present (or null when the README shows null).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.e2e.conftest import REPO_ROOT, StartServer

README = REPO_ROOT / "README.md"
EXAMPLE = re.compile(
    r"<!-- example: (?P<caller>anonymous|backend|member) -->\s*"
    r"```graphql\n(?P<document>.*?)```"
    r"(?:\s*```json\n(?P<response>.*?)```)?",
    re.DOTALL,
)
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


def examples() -> list[re.Match[str]]:
    return list(EXAMPLE.finditer(README.read_text()))


def _compare(expected: Any, actual: Any, path: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert set(expected) == set(actual), (
            f"{path}: keys {sorted(expected)} in README, {sorted(actual)} from the server"
        )
        for key, value in expected.items():
            if key in VARYING:
                assert (actual[key] is None) == (value is None), (
                    f"{path}.{key}: README {value!r}, server {actual[key]!r}"
                )
            else:
                _compare(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{path}: README {expected!r}, server {actual!r}"
        )
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            _compare(want, got, f"{path}[{index}]")
    else:
        assert expected == actual, f"{path}: README {expected!r}, server {actual!r}"


# "<roleId>", "<memberId>", "<badgeId>" in a document: the id of the latest role, member or badge seen.
OBJECT_IDS = {"role": "roleId", "member": "memberId", "badge": "badgeId"}


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


def test_readme_has_examples() -> None:
    found = examples()
    assert len(found) >= 8, "the README walkthrough lost its <!-- example: … --> blocks"
    assert all(match["response"] for match in found), "every README example shows its response"


def test_readme_walkthrough_runs_as_documented(start_server: StartServer) -> None:
    server = start_server()  # the defaults of a fresh database, as after `make run`
    seen: dict[str, str] = {}
    for number, match in enumerate(examples(), start=1):
        document = match["document"]
        for name in ("approvalToken", "endCursor", "accessToken", *OBJECT_IDS.values()):
            if f'"<{name}>"' in document:
                assert name in seen, f"example {number} needs a {name} from an earlier example"
                document = document.replace(f'"<{name}>"', json.dumps(seen[name]))
        caller = match["caller"]
        if caller == "backend":
            result = server.backend(document)
        elif caller == "member":
            assert "sessionToken" in seen, f"example {number} needs a sessionToken from an earlier example"
            result = server.graphql(document, token=seen["sessionToken"])
        else:
            result = server.graphql(document)
        _capture(result, seen)
        if match["response"]:
            _compare(json.loads(match["response"]), result, f"README example {number} ({caller})")
