"""Real GraphQL clients against the schema and a real server: the Node project beside this file.

- GraphQL Code Generator (client preset) types ``operations/*.graphql`` from the committed
  ``schema.graphql`` and ``tsc --strict`` checks ``src/client.ts``, whose switches on
  ``__typename`` and on the enums are exhaustive; the same run on schemas broken on purpose
  must fail (a new ErrorReason, a new error type in a union, a field gone).
- Apollo Client 4 (docs/api.md's cache: possibleTypes.json, Profile merged, relayStylePagination)
  and its PersistedQueryLink, under ``node --test``, against a server started here.
- A graphql-ws subscription to member events (``test/subscription.test.mjs``).

``npm ci`` installs the pinned packages into ``tests/clients/node_modules`` once per lock
file (tests/node_projects.py, shared with the example client's test). Without node and npm
these tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN_KEY, Databases, Server
from tests.node_projects import Completed, copy_sources, installed, run, shown
from tests.processes import REPO_ROOT

PROJECT = Path(__file__).resolve().parent
SCHEMA = REPO_ROOT / "schema.graphql"
# What codegen and tsc read; copied into a temporary directory for each run, so that runs never
# write into each other's generated code (src/gql/ here is only for `npm run check` by hand).
SOURCES = ("codegen.ts", "tsconfig.json", "package.json", "operations", "src/client.ts")


@pytest.fixture(scope="session")
def node_project() -> Iterator[Path]:
    """tests/clients with its node_modules installed from the lock file (npm ci, once per lock)."""
    with installed(PROJECT) as project:
        yield project


# --- GraphQL Code Generator and tsc --strict (no server) ----------------------------------


def _typecheck(project: Path, workdir: Path, schema: Path) -> tuple[Completed, Completed | None]:
    """Codegen over the operations with `schema`, then tsc; tsc is None when codegen failed."""
    copy_sources(project, workdir, SOURCES)
    bin_dir = project / "node_modules" / ".bin"
    codegen = run(
        [str(bin_dir / "graphql-codegen"), "--config", "codegen.ts"],
        cwd=workdir,
        env={"MEMBERS_SCHEMA": str(schema)},
    )
    if codegen.returncode != 0:
        return codegen, None
    assert (workdir / "src" / "gql" / "graphql.ts").exists(), shown(codegen)
    return codegen, run([str(bin_dir / "tsc"), "--noEmit", "--strict", "-p", "tsconfig.json"], cwd=workdir)


def test_codegen_and_tsc_strict_pass_on_the_schema(node_project: Path, tmp_path: Path) -> None:
    codegen, tsc = _typecheck(node_project, tmp_path, SCHEMA)
    assert codegen.returncode == 0, shown(codegen)
    assert tsc is not None and tsc.returncode == 0, shown(tsc)
    generated = (tmp_path / "src" / "gql" / "graphql.ts").read_text()
    # The typed documents are there, and enums came out as string unions the switches check.
    for name in ("RegisterDocument", "LoginDocument", "MembersDocument", "MemberEventsDocument", "BlockMemberDocument"):
        assert f"export const {name} = " in generated
    assert "export type ErrorReason =" in generated


def _schema_with(replacements: list[tuple[str, str]], path: Path) -> Path:
    text = SCHEMA.read_text()
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        assert count, f"{pattern!r} not found in schema.graphql: update this test"
    path.write_text(text)
    return path


BREAKS = {
    # An ErrorReason value the client's exhaustive switch does not name.
    "a new ErrorReason": (
        [(r"^(enum ErrorReason \{\n)", r'\1  """A reason no client knows yet."""\n  BRAND_NEW_REASON\n\n')],
        "tsc",
        r"src/client\.ts\(\d+,\d+\): error TS2345: "
        r"Argument of type '\"BRAND_NEW_REASON\"' is not assignable to parameter of type 'never'",
    ),
    # A new member of LoginResult: the switch over its __typename does not handle it.
    "a new error type in LoginResult": (
        [(r"^(union LoginResult = LoginPayload \| )", r"\1NotAllowedError | ")],
        "tsc",
        r"src/client\.ts\(\d+,\d+\): error TS2345: Argument of type '\{ __typename: \"NotAllowedError\"",
    ),
    # A field the operations select disappears (renamed on every error type and the interfaces).
    "a selected field renamed": (
        [(r"^(  )reason: ErrorReason!$", r"\1cause: ErrorReason!")],
        "codegen",
        r"Cannot query field \"reason\" on type",
    ),
}


@pytest.mark.parametrize("breaking", list(BREAKS))
def test_a_schema_that_breaks_the_client_fails_the_build(node_project: Path, tmp_path: Path, breaking: str) -> None:
    replacements, failing_step, message = BREAKS[breaking]
    schema = _schema_with(replacements, tmp_path / "broken.graphql")
    project = tmp_path / "project"
    codegen, tsc = _typecheck(node_project, project, schema)
    if failing_step == "codegen":
        assert codegen.returncode != 0, f"codegen accepted {breaking}:\n{shown(codegen)}"
        assert re.search(message, codegen.stdout + codegen.stderr), shown(codegen)
    else:
        assert codegen.returncode == 0, shown(codegen)
        assert tsc is not None and tsc.returncode != 0, f"tsc accepted {breaking}:\n{shown(tsc)}"
        assert re.search(message, tsc.stdout + tsc.stderr), shown(tsc)


# --- Apollo Client, PersistedQueryLink and graphql-ws against a real server -----------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server for the Node runs (automatic approval, persisted queries on: the defaults)."""
    workdir = tmp_path_factory.mktemp("clients-server")
    databases = Databases()
    running = Server(workdir, databases.new(workdir))
    try:
        yield running.start()
    finally:
        running.stop()
        databases.drop()


def _node_test(project: Path, server: Server, *files: str) -> None:
    result = run(
        ["node", "--test", "--test-reporter=spec", "--test-concurrency=1", "--test-timeout=60000", *files],
        cwd=project,
        env={"MEMBERS_GRAPHQL_URL": server.graphql_url, "MEMBERS_API_KEY": ADMIN_KEY},
        timeout=240,
    )
    log = server.output()
    assert result.returncode == 0, f"{shown(result)}\n--- server output ---\n{log}"
    assert "Traceback" not in log, f"the server logged a traceback:\n{log}"


def test_apollo_client_and_persisted_query_link(node_project: Path, server: Server) -> None:
    _node_test(node_project, server, "test/apollo.test.mjs", "test/persisted-queries.test.mjs")


SUBSCRIPTIONS_IN_SCHEMA = re.search(r"^type Subscription\b", SCHEMA.read_text(), flags=re.MULTILINE) is not None


@pytest.mark.xfail(
    not SUBSCRIPTIONS_IN_SCHEMA,
    reason="the server has no subscriptions yet (no Subscription type in schema.graphql)",
    strict=True,
)
def test_graphql_ws_subscription_to_member_events(node_project: Path, server: Server) -> None:
    _node_test(node_project, server, "test/subscription.test.mjs")
