"""The playground page and its assets, and the development mailbox, in-process (issue 16).

GraphiQL's packages are faked here (a directory with the files the page loads), so these tests
need neither npm nor a browser; tests/e2e/test_browser.py runs the real ones in chromium.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from gql import playground
from gql.config import Config
from gql.dev_mailbox import DevMailbox
from tests.conftest import new_app, running, with_defaults
from tests.waiting import until

HTML = {"Accept": "text/html"}


@pytest.fixture
def fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    node_modules = tmp_path / "node_modules"
    for name, asset in playground.ASSETS.items():
        if asset.package is not None:
            path = node_modules / asset.package / asset.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"/* {name} */")
    monkeypatch.setattr(playground, "NODE_MODULES", node_modules)
    return node_modules


@pytest.fixture
def no_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(playground, "NODE_MODULES", tmp_path / "absent")


async def http_of(application: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver")


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with await http_of(app) as client:
        yield client


def csp_of(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.partition(" ")[2] for part in (p.strip() for p in policy.split(";")) if part}


async def test_graphiql_page_uses_this_servers_assets_under_a_strict_csp(
    fake_packages: Path, http: httpx.AsyncClient
) -> None:
    page = await http.get("/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = csp_of(page)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"  # no inline script, no CDN
    assert csp["style-src"] == "'self'"
    assert csp["connect-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    scripts = re.findall(r"<script src=\"([^\"]+)\"", page.text)
    assert scripts == [f"/graphql/assets/{n}" for n in ("react.js", "react-dom.js", "graphiql.js", "boot.js")]
    assert "unpkg" not in page.text and "not installed" not in page.text
    # The only script element without src is a JSON data block (not run): the default document.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
    assert inline == [' type="application/json" id=playground-settings']
    data = json.loads(re.search(r"id=playground-settings>(.*?)</script>", page.text).group(1))
    assert "mutation Register" in data["defaultQuery"] and "Headers tab" in data["defaultQuery"]
    assert "X-Api-Key" in data["defaultQuery"]


async def test_assets_are_fixed_files_of_the_packages(fake_packages: Path, http: httpx.AsyncClient) -> None:
    react = await http.get("/graphql/assets/react.js")
    assert react.status_code == 200 and react.text == "/* react.js */"
    assert react.headers["content-type"].startswith("text/javascript")
    boot = await http.get("/graphql/assets/boot.js")
    assert boot.status_code == 200 and "playground-settings" in boot.text
    for name in ("unknown.js", "..%2Fpackage.json", "package.json", "__init__.py"):
        assert (await http.get(f"/graphql/assets/{name}")).status_code == 404, name


async def test_without_the_packages_the_page_says_how_to_install_them_and_uses_the_cdn(
    no_packages: None, http: httpx.AsyncClient
) -> None:
    page = await http.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert "not installed" in page.text and "make run" in page.text and "install-playground" in page.text
    versions = json.loads((playground.HERE / "package.json").read_text())["dependencies"]
    assert f"https://unpkg.com/graphiql@{versions['graphiql']}/graphiql.min.js" in page.text
    assert f"https://unpkg.com/react@{versions['react']}/umd/react.production.min.js" in page.text
    assert '<script src="/graphql/assets/boot.js"' in page.text  # the boot script is still this server's
    csp = csp_of(page)
    assert csp["script-src"] == "'self' https://unpkg.com" and csp["style-src"] == "'self' https://unpkg.com"
    assert (await http.get("/graphql/assets/react.js")).status_code == 404


async def test_the_mailbox_is_not_there_outside_development(settings: Config) -> None:
    for environment in ("test", "production"):
        application = new_app(dataclasses.replace(settings, environment=environment), run_worker=False)
        async with running(application), await http_of(application) as http:
            response = await http.get("/dev/mailbox")
            assert response.status_code == 404, environment


async def test_in_development_every_mail_is_listed_newest_first_with_clickable_links(settings: Config) -> None:
    config = dataclasses.replace(with_defaults(settings, email_confirmation=True), environment="development")
    application = new_app(config)
    async with running(application), await http_of(application) as http:
        mailbox: DevMailbox = application.state.dev_mailbox
        for email in ("first@example.com", "second@example.com"):
            registered = await http.post(
                "/graphql",
                json={"query": f'mutation {{ register(email: "{email}", password: "wonderland") {{ __typename }} }}'},
            )
            assert registered.json()["data"]["register"]["__typename"] == "RegisterPayload"
            await until(lambda e=email: any(m.to == e for m in mailbox.newest_first()), f"a mail to {email}")
        page = await http.get("/dev/mailbox")
    assert page.status_code == 200
    assert "script" not in page.headers["content-security-policy"].replace("default-src 'none'", "")
    assert page.text.index("second@example.com") < page.text.index("first@example.com")
    links = re.findall(r'<a href="(http://[^"]+/confirm-email\?token=[^"]+)">', page.text)
    assert len(links) == 2


def test_mail_text_is_escaped_and_links_become_anchors() -> None:
    from gql.dev_mailbox import render

    mailbox = DevMailbox()
    mailbox.add("a@example.com", "Hi <b>", "See http://127.0.0.1:8000/x?token=a&b=<c> now")
    html = render(mailbox.newest_first(), "Members")
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert '<a href="http://127.0.0.1:8000/x?token=a&amp;b=">' in html
    console = mailbox.newest_first()[0].for_console("http://127.0.0.1:8000/dev/mailbox")
    assert "link: http://127.0.0.1:8000/x?token=a&b=" in console and "/dev/mailbox" in console
