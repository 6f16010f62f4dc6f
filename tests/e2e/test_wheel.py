"""The installable package: the wheel built from this checkout, installed into a fresh virtual
environment outside it, runs as the ``members-graphql`` console script.

``python -m build`` makes the sdist and, from it, the wheel (as a release would); ``pip install``
puts it into a new venv in a temporary directory, its dependencies from pip's cache or index.
Every command then runs with the temporary directory as its working directory and no
``PYTHONPATH``, so nothing of the checkout can be imported: migrations, the playground's files
and the schema come from the installed package. The database is a fresh one of the backend
under test (a SQLite file, or an empty PostgreSQL database), migrated by the installed
``members-graphql migrate`` before ``members-graphql serve`` starts on it.

GraphiQL's assets are in the wheel when ``python -m gql install-playground`` ran before the build
(``make test`` does): then the installed server serves the very files of the checkout's
``node_modules``; otherwise its page says it uses the CDN and how to get them packaged.
"""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gql import playground
from tests.databases import empty_database
from tests.e2e.conftest import ADMIN_KEY, REPO_ROOT, e2e_env, unique_email
from tests.processes import ServerProcess

BUILD_TIMEOUT = 300.0
INSTALL_TIMEOUT = 600.0
# `python -m build` writes its egg-info into the checkout: one build at a time (the SQLite and
# PostgreSQL pytest processes may run at once). build/ is ignored by git.
BUILD_LOCK = REPO_ROOT / "build" / ".wheel-test.lock"


def _run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
    )


def _shown(result: subprocess.CompletedProcess[str]) -> str:
    return f"$ {' '.join(map(str, result.args))}\nexit status {result.returncode}\n{result.stdout}\n{result.stderr}"


def _outside_env(**settings: str) -> dict[str, str]:
    """A command's environment without the checkout on PYTHONPATH (and none of the developer's
    MEMBERS_* or virtual environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMBERS_")}
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


@dataclass(frozen=True)
class Installed:
    """The wheel installed into ``venv``; commands run in ``workdir``, outside the checkout."""

    venv: Path
    workdir: Path
    package: Path  # site-packages/gql of the venv
    assets_packaged: bool  # the checkout's GraphiQL assets were there when the wheel was built

    @property
    def script(self) -> Path:
        return self.venv / "bin" / "members-graphql"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return _run([str(self.script), *args], cwd=self.workdir, env=env or _outside_env())


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    assert not root.resolve().is_relative_to(REPO_ROOT), f"{root} must be outside the checkout"
    dist, venv, workdir = root / "dist", root / "venv", root / "work"
    workdir.mkdir()

    BUILD_LOCK.parent.mkdir(exist_ok=True)
    with BUILD_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assets_packaged = playground.installed()
        built = _run(
            [sys.executable, "-m", "build", "--outdir", str(dist), str(REPO_ROOT)],
            cwd=root,
            env=_outside_env(),
            timeout=BUILD_TIMEOUT,
        )
    assert built.returncode == 0, _shown(built)
    wheels = list(dist.glob("members_graphql-*.whl"))
    assert len(wheels) == 1, f"one wheel expected in {dist}: {sorted(p.name for p in dist.iterdir())}"

    made = _run([sys.executable, "-m", "venv", str(venv)], cwd=root, env=_outside_env())
    assert made.returncode == 0, _shown(made)
    pip = _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", str(wheels[0])],
        cwd=workdir,
        env=_outside_env(),
        timeout=INSTALL_TIMEOUT,
    )
    assert pip.returncode == 0, _shown(pip)

    where = _run(
        [str(venv / "bin" / "python"), "-c", "import gql; print(gql.__file__)"], cwd=workdir, env=_outside_env()
    )
    assert where.returncode == 0, _shown(where)
    package = Path(where.stdout.strip()).parent
    # The installed copy is imported, never the checkout's.
    assert package.is_relative_to(venv) and "site-packages" in package.parts, package
    return Installed(venv, workdir, package, assets_packaged)


def test_the_wheel_carries_migrations_and_the_playground_and_no_rest_of_node_modules(installed: Installed) -> None:
    checkout = REPO_ROOT / "gql"
    migrations = sorted(p.name for p in (checkout / "db" / "migrations").glob("*.py"))
    assert sorted(p.name for p in (installed.package / "db" / "migrations").glob("*.py")) == migrations
    for name in ("boot.js", "playground.css", "package.json", "package-lock.json"):
        assert (installed.package / "playground" / name).read_bytes() == (checkout / "playground" / name).read_bytes()
    for directory in ("templates", "translations"):  # the member pages' files, once the checkout has them
        mine = sorted(p.relative_to(checkout) for p in (checkout / directory).rglob("*") if p.is_file())
        theirs = sorted(
            p.relative_to(installed.package) for p in (installed.package / directory).rglob("*") if p.is_file()
        )
        assert theirs == [p for p in mine if "__pycache__" not in p.parts], directory
    shipped = sorted(
        str(p.relative_to(installed.package / "playground" / "node_modules"))
        for p in (installed.package / "playground" / "node_modules").rglob("*")
        if p.is_file()
    )
    if installed.assets_packaged:
        served = {str(Path(a.package) / a.path) for a in playground.ASSETS.values() if a.package}
        licences = {f"{a.package}/LICENSE" for a in playground.ASSETS.values() if a.package}
        assert shipped == sorted(served | licences)
    else:
        assert shipped == []


def test_the_console_script_and_python_m_gql_are_one_command(installed: Installed) -> None:
    script = installed.run("--help")
    module = _run([str(installed.python), "-m", "gql", "--help"], cwd=installed.workdir, env=_outside_env())
    assert script.returncode == 0 and module.returncode == 0, _shown(script) + _shown(module)
    assert script.stdout.startswith("usage: members-graphql ")
    assert module.stdout.startswith("usage: python -m gql ")
    # The same parser: the same text once the program's name (and the alignment it shifts) is set aside.
    assert (
        script.stdout.replace("members-graphql", "PROG").split()
        == module.stdout.replace("python -m gql", "PROG").split()
    )
    for command in ("serve", "migrate", "export-schema", "create-api-key", "rotate-signing-key", "install-playground"):
        assert command in script.stdout


def test_export_schema_prints_the_committed_schema(installed: Installed) -> None:
    exported = installed.run("export-schema")
    assert exported.returncode == 0, _shown(exported)
    assert exported.stdout == (REPO_ROOT / "schema.graphql").read_text()


@pytest.fixture
def read_only_playground(installed: Installed) -> Iterator[Path]:
    """The installed playground directory without write permission (as in a system-wide install)."""
    directory = installed.package / "playground"
    mode = directory.stat().st_mode
    directory.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield directory
    finally:
        directory.chmod(mode)


def test_install_playground_never_writes_into_the_installed_package(
    installed: Installed, read_only_playground: Path
) -> None:
    before = sorted(read_only_playground.rglob("*"))
    done = installed.run("install-playground")
    if installed.assets_packaged:
        assert done.returncode == 0, _shown(done)
        assert "part of the installed package" in done.stdout and "nothing to install" in done.stdout
    else:
        assert done.returncode == 1, _shown(done)
        assert "not in the installed package" in done.stderr and "python -m build" in done.stderr
    assert "Traceback" not in done.stderr, _shown(done)
    assert sorted(read_only_playground.rglob("*")) == before


class InstalledServer(ServerProcess):
    """``members-graphql serve`` of the installed package."""

    def __init__(self, installed: Installed, env: dict[str, str]) -> None:
        super().__init__(installed.workdir, env)
        self.installed = installed

    def argv(self) -> list[str]:
        return [str(self.installed.script), "serve", "--port", str(self.port)]


REGISTER = """
mutation Register($email: String!) {
  register(email: $email, password: "correct horse battery", options: {privacyStatus: PUBLIC}) {
    __typename
    ... on RegisterPayload { status member { loginEmail } }
    ... on Error { code message }
  }
}
"""
MEMBER_COUNT = "query { members(first: 10) { totalCount edges { node { ... on Member { loginEmail } } } } }"


def test_migrate_then_serve_a_fresh_database(installed: Installed) -> None:
    with empty_database() as database_url:
        env = e2e_env(database_url)
        env = _outside_env(**{k: v for k, v in env.items() if k.startswith("MEMBERS_")})
        migrated = installed.run("migrate", env=env)
        assert migrated.returncode == 0, _shown(migrated)
        assert f"migrations applied to {database_url}" in migrated.stdout

        server = InstalledServer(installed, env)
        server.launch()  # polls /health until it answers (deadline: STARTUP_TIMEOUT)
        try:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                page = http.get("/graphql", headers={"Accept": "text/html"})
                assert page.status_code == 200 and "<title>GraphiQL" in page.text, page.text[:500]
                if installed.assets_packaged:
                    assert "not installed" not in page.text and playground.CDN not in page.text
                    for name in playground.ASSETS:
                        assert f'"{playground.ASSETS_PATH}/{name}"' in page.text
                        served = http.get(f"{playground.ASSETS_PATH}/{name}")
                        assert served.status_code == 200, name
                        assert served.content == playground.asset_file(name).read_bytes(), name  # type: ignore[union-attr]
                else:
                    assert "not installed" in page.text and "python -m build" in page.text

                email = unique_email("wheel")
                registered = http.post("/graphql", json={"query": REGISTER, "variables": {"email": email}}).json()
                assert registered == {
                    "data": {"register": {"__typename": "RegisterPayload", "status": "ACTIVE",
                                          "member": {"loginEmail": email}}}
                }, registered  # fmt: skip
                listed = http.post("/graphql", json={"query": MEMBER_COUNT}, headers={"X-Api-Key": ADMIN_KEY}).json()
                assert listed == {"data": {"members": {"totalCount": 1, "edges": [{"node": {"loginEmail": email}}]}}}, (
                    listed
                )
        finally:
            output = server.stop()
        assert "Traceback" not in output, output
