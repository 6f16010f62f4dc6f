"""examples/typescript-client: the documented way to a typed frontend client works as printed.

Its pinned packages are installed with ``npm ci`` (tests/node_projects.py, once per lock file;
skipped without Node.js 20+ and npm, failing instead under CI). Each run copies the example into a
temporary directory laid out as in the checkout (the committed ``schema.graphql`` two levels up, as
``codegen.ts`` reads it), so that runs never write into each other's generated code, then runs
the example's own npm scripts: GraphQL Code Generator with nothing edited by hand, ``tsc --noEmit
--strict``, and the walkthrough against a real server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN_KEY, REPO_ROOT, StartServer
from tests.node_projects import copy_sources, installed, run, shown

EXAMPLE = REPO_ROOT / "examples" / "typescript-client"
SOURCES = ("package.json", "codegen.ts", "tsconfig.json", "operations", "src/client.ts", "src/walkthrough.ts")


@pytest.fixture(scope="module")
def example() -> Iterator[Path]:
    with installed(EXAMPLE) as project:
        yield project


def _copy(project: Path, root: Path, schema: str | None = None) -> Path:
    """The example at ``root/examples/typescript-client``, ``schema`` (default: the committed one)
    at ``root/schema.graphql``."""
    (root / "schema.graphql").write_text(schema if schema is not None else (REPO_ROOT / "schema.graphql").read_text())
    workdir = root / "examples" / "typescript-client"
    workdir.mkdir(parents=True)
    copy_sources(project, workdir, SOURCES)
    return workdir


def test_codegen_from_the_committed_schema_then_tsc_strict(example: Path, tmp_path: Path) -> None:
    workdir = _copy(example, tmp_path)
    codegen = run(["npm", "run", "codegen"], cwd=workdir)
    assert codegen.returncode == 0, shown(codegen)
    generated = (workdir / "src" / "gql" / "graphql.ts").read_text()
    for document in ("Register", "Login", "CurrentMember", "MembersPage", "ApproveByEmail", "BlockByEmail"):
        assert f"export const {document}Document = " in generated, document
    assert "'MfaRequired'" in generated  # login's union, payloads and errors alike
    typecheck = run(["npm", "run", "typecheck"], cwd=workdir)
    assert typecheck.returncode == 0, shown(typecheck)
    assert "--strict" in typecheck.stdout  # the script checks with --strict, whatever tsconfig says


def test_a_new_member_of_a_union_fails_the_build_until_the_client_handles_it(example: Path, tmp_path: Path) -> None:
    schema = (REPO_ROOT / "schema.graphql").read_text()
    # An error blockByEmail did not answer before (its switch is exhaustive), and a payload type in
    # login's union (its default branch takes errors only).
    changed = re.sub(r"^(union BlockByEmailResult = .*)$", r"\1 | RateLimitedError", schema, count=1, flags=re.M)
    changed = re.sub(r"^(union LoginResult = .*)$", r"\1 | BlockByEmailPayload", changed, count=1, flags=re.M)
    assert changed.count("| RateLimitedError") > schema.count("| RateLimitedError")
    workdir = _copy(example, tmp_path, changed)
    codegen = run(["npm", "run", "codegen"], cwd=workdir)
    assert codegen.returncode == 0, shown(codegen)
    typecheck = run(["npm", "run", "typecheck"], cwd=workdir)
    assert typecheck.returncode != 0, f"tsc accepted the new union members:\n{shown(typecheck)}"
    errors = typecheck.stdout + typecheck.stderr
    assert re.search(
        r"src/client\.ts\(\d+,\d+\): error TS2345: Argument of type '\{ __typename: \"RateLimitedError\"", errors
    ), errors
    assert re.search(
        r"src/client\.ts\(\d+,\d+\): error TS2345: Argument of type '\{ __typename: \"BlockByEmailPayload\"", errors
    ), errors


def test_the_walkthrough_runs_against_a_server(example: Path, tmp_path: Path, start_server: StartServer) -> None:
    server = start_server(MEMBERS_APPROVAL="MANUAL")
    workdir = _copy(example, tmp_path)
    walkthrough = run(
        ["npm", "run", "walkthrough"],
        cwd=workdir,
        env={"MEMBERS_GRAPHQL_URL": server.graphql_url, "MEMBERS_API_KEY": ADMIN_KEY},
    )
    log = server.output()
    assert walkthrough.returncode == 0, f"{shown(walkthrough)}\n--- server output ---\n{log}"
    lines = [line.split(":")[0] for line in walkthrough.stdout.splitlines() if re.match(r"^\w+: ", line)]
    assert lines == [
        "register", "login", "approveByEmail", "login", "currentMember", "members", "blockByEmail", "login",
        "approveByEmail", "walkthrough",
    ], walkthrough.stdout  # fmt: skip
    assert "walkthrough: ok" in walkthrough.stdout
    assert "Traceback" not in log, log
