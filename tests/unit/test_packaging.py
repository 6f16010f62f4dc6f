"""pyproject.toml's packaging in step with the code: the console script is ``python -m gql``'s
``main``, and the wheel's GraphiQL files are exactly the ones the playground serves (plus their
packages' licences). tests/e2e/test_wheel.py builds and installs the wheel itself."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gql import __main__ as cli
from gql import playground
from tests.processes import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
NODE_MODULES_PREFIX = "playground/node_modules/"


def test_the_console_script_is_the_module_entry_point() -> None:
    assert PYPROJECT["project"]["scripts"] == {"members-graphql": "gql.__main__:main"}


def test_the_wheel_names_the_files_the_playground_serves_and_their_licences_only() -> None:
    data = PYPROJECT["tool"]["setuptools"]["package-data"]["gql"]
    packaged = {entry.removeprefix(NODE_MODULES_PREFIX) for entry in data if entry.startswith(NODE_MODULES_PREFIX)}
    served = {f"{asset.package}/{asset.path}" for asset in playground.ASSETS.values() if asset.package}
    licences = {f"{asset.package}/LICENSE" for asset in playground.ASSETS.values() if asset.package}
    assert packaged == served | licences
    # The playground's own files, the migrations and the member pages' templates and catalogues.
    for pattern in ("playground/*.js", "playground/*.css", "playground/*.json", "db/migrations/*.py"):
        assert pattern in data
    assert "templates/**/*" in data and "translations/**/*" in data


@pytest.mark.parametrize(
    ("argv0", "program"),
    [
        ("/srv/venv/lib/python3.11/site-packages/gql/__main__.py", "python -m gql"),
        ("/srv/venv/bin/members-graphql", "members-graphql"),
    ],
)
def test_usage_names_the_command_as_it_was_called(
    argv0: str, program: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", [argv0, "--help"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {program} ")


def test_install_in_an_installed_package_with_its_assets_has_nothing_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    node_modules = tmp_path / "node_modules"  # what the wheel carries
    for asset in playground.ASSETS.values():
        if asset.package:
            (node_modules / asset.package / asset.path).parent.mkdir(parents=True, exist_ok=True)
            (node_modules / asset.package / asset.path).write_text("/* packaged */")
    monkeypatch.setattr(playground, "CHECKOUT", False)
    monkeypatch.setattr(playground, "NODE_MODULES", node_modules)
    monkeypatch.setattr(playground.shutil, "which", lambda _: pytest.fail("npm must not run in an installed package"))
    assert "nothing to install" in playground.install()


def test_install_in_an_installed_package_without_assets_says_how_to_get_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(playground, "CHECKOUT", False)
    monkeypatch.setattr(playground, "NODE_MODULES", tmp_path / "node_modules")
    monkeypatch.setattr(playground.shutil, "which", lambda _: pytest.fail("npm must not run in an installed package"))
    with pytest.raises(playground.InstallError) as refused:
        playground.install()
    message = str(refused.value)
    assert "not in the installed package" in message and playground.CDN in message
    assert not (tmp_path / "node_modules").exists()
