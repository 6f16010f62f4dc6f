"""GraphiQL served by this server: the page, its assets, and their installation.

GraphiQL's scripts and styles are npm packages pinned in ``package.json`` and
``package-lock.json`` beside this file, installed by ``npm ci`` into ``node_modules`` here
(``python -m gql install-playground``, which ``make run`` and ``make test`` call; it does
nothing when the lock file has not changed). The page and the boot script ``boot.js`` (a file:
the page has no inline script) are served from ``/graphql`` and ``/graphql/assets/<name>``,
each asset a fixed file of the packages (never a path taken from the request), and nothing is
fetched at request time.

When the packages are not installed (no npm on this machine), the page says so and how to
install them, and loads the same pinned versions from the CDN instead; only then does its
Content-Security-Policy name the CDN's host.

In an installed package (``pip install`` of the wheel, no checkout around it), the files of
``ASSETS`` are part of the wheel when they were installed before it was built (pyproject.toml's
package-data names them); ``install`` never writes into the installed package.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
STAMP_NAME = ".members-npm-ci"
CDN = "https://unpkg.com"
ASSETS_PATH = "/graphql/assets"


@dataclass(frozen=True)
class Asset:
    package: str | None  # an npm package under node_modules, or None for a file of this directory
    path: str
    media_type: str


# name under /graphql/assets/ -> the file; the page loads them in this order.
ASSETS = {
    "react.js": Asset("react", "umd/react.production.min.js", "text/javascript"),
    "react-dom.js": Asset("react-dom", "umd/react-dom.production.min.js", "text/javascript"),
    "graphiql.js": Asset("graphiql", "graphiql.min.js", "text/javascript"),
    "graphiql.css": Asset("graphiql", "graphiql.min.css", "text/css"),
    "boot.js": Asset(None, "boot.js", "text/javascript"),
    "playground.css": Asset(None, "playground.css", "text/css"),
}
# A source checkout has the project's pyproject.toml beside the package; an installed wheel does not.
CHECKOUT = (HERE.parents[1] / "pyproject.toml").is_file()
if CHECKOUT:
    INSTALL_HINT = "make run (or: python -m gql install-playground, which runs npm ci in gql/playground)"
else:
    INSTALL_HINT = (
        "python -m gql install-playground in the project's checkout before python -m build, then pip install "
        "the new wheel (this package was built without them)"
    )

# Where a document starts: the README walkthrough's operations, and where the headers go.
DEFAULT_QUERY = """\
# Members GraphQL server: pick an operation, press ▶.
# Who you are is set in the Headers tab below:
#   no header: anonymous (register, login, approveByToken)
#   {"X-Api-Key": "<the key printed at start-up>"}
#     the backend: everything
#   {"Authorization": "Bearer <sessionToken>"}
#     a member (currentMember, logout, …)
# Docs (book icon, top left): every type and error code.
# The README's walkthrough: Settings, Register, (confirm in
# /dev/mailbox), Pending, Approve, Login, Me.

# Headers: {"X-Api-Key": "<the key printed at start-up>"}
mutation Settings {
  updateRegistrationSettings(
    input: { approval: MANUAL, emailConfirmation: true }
  ) {
    __typename
    ... on UpdateRegistrationSettingsPayload {
      settings { approval emailConfirmation }
    }
  }
}

mutation Register {
  register(
    email: "grace@example.com"
    password: "hopper-1906"
    options: {
      contactInfo: { firstName: "Grace", lastName: "Hopper" }
    }
  ) {
    __typename
    ... on RegisterPayload {
      status
      sessionToken
      member { id status loginEmailVerified }
    }
    ... on Error { code message }
  }
}

# Headers: {"X-Api-Key": "<the key printed at start-up>"}
query Pending {
  members(filter: { status: PENDING }) {
    totalCount
    edges { node { id ... on Member { loginEmail loginEmailVerified } } }
  }
}

# Headers: {"X-Api-Key": "<the key printed at start-up>"}
mutation Approve {
  approveMember(id: "<the id from Pending>") {
    __typename
    ... on ApproveMemberPayload { member { loginEmail status } }
    ... on Error { code message }
  }
}

mutation Login {
  login(identity: "grace@example.com", password: "hopper-1906") {
    __typename
    ... on LoginPayload { sessionToken member { id loginEmail } }
    ... on Error { code message }
  }
}

# Headers: {"Authorization": "Bearer <sessionToken>"}
query Me {
  currentMember { id loginEmail status }
}
"""


def _versions() -> dict[str, str]:
    return json.loads((HERE / "package.json").read_text())["dependencies"]


def asset_file(name: str, node_modules: Path | None = None) -> Path | None:
    asset = ASSETS.get(name)
    if asset is None:
        return None
    if asset.package is None:
        return HERE / asset.path
    return (node_modules or NODE_MODULES) / asset.package / asset.path


def installed(node_modules: Path | None = None) -> bool:
    return all((asset_file(name, node_modules) or Path("/nonexistent")).is_file() for name in ASSETS)


def _url(name: str, local: bool) -> str:
    asset = ASSETS[name]
    if local or asset.package is None:
        return f"{ASSETS_PATH}/{name}"
    return f"{CDN}/{asset.package}@{_versions()[asset.package]}/{asset.path}"


def content_security_policy(local: bool) -> str:
    extra = "" if local else f" {CDN}"
    return (
        f"default-src 'none'; script-src 'self'{extra}; style-src 'self'{extra}; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def page(site: str) -> HTMLResponse:
    """The GraphiQL page: local assets when installed, else the CDN's, saying so."""
    local = installed()
    notice = ""
    if not local:
        notice = (
            '<p class="playground-notice" role="status">GraphiQL\'s scripts are not installed on this server, so this '
            f"page loads them from {escape(CDN)} (your browser needs internet access). Install them with "
            f"<code>{escape(INSTALL_HINT)}</code> and reload.</p>"
        )
    settings = {"url": "/graphql", "defaultQuery": DEFAULT_QUERY, "local": local}
    # A JSON data block is not a script: CSP lets the boot script read it. "<" escaped so that no
    # text in it can close the element.
    data = json.dumps(settings).replace("<", "\\u003c")
    scripts = "".join(
        f'<script src="{escape(_url(name, local))}" defer></script>'
        for name in ("react.js", "react-dom.js", "graphiql.js", "boot.js")
    )
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>GraphiQL — {escape(site)}</title>"
        f'<link rel=stylesheet href="{escape(_url("graphiql.css", local))}">'
        f'<link rel=stylesheet href="{_url("playground.css", True)}">'
        f"{scripts}</head><body>{notice}"
        '<div id=graphiql class="graphiql-container">Loading GraphiQL…</div>'
        "<noscript>GraphiQL needs JavaScript. Without it, POST GraphQL requests to /graphql.</noscript>"
        f'<script type="application/json" id=playground-settings>{data}</script>'
        "</body></html>"
    )
    headers = {
        "Content-Security-Policy": content_security_policy(local),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    return HTMLResponse(html, headers=headers)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    path = asset_file(name)
    if path is None or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(
        path,
        media_type=ASSETS[name].media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# --- installation (npm ci, once per lock file) ------------------------------------------


class InstallError(RuntimeError):
    """npm is missing or ``npm ci`` failed."""


def _digest(node: str) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((HERE / name).read_bytes())
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout
    digest.update(f"node {version}".encode())
    return digest.hexdigest()


def _stamped(digest: str) -> bool:
    stamp = NODE_MODULES / STAMP_NAME
    return stamp.exists() and stamp.read_text().strip() == digest and installed()


def install() -> str:
    """``npm ci`` into ``node_modules`` unless what is there came from this lock file. A file lock
    keeps concurrent runs (make, two pytest processes) from installing at once or under each other."""
    if not CHECKOUT:
        # Never npm ci into site-packages: pip would not know the files (nor remove them), and the
        # environment may be read-only. The wheel carries the assets, or the page uses the CDN.
        if installed():
            return f"GraphiQL's assets are part of the installed package ({HERE}): nothing to install"
        raise InstallError(
            f"GraphiQL's assets are not in the installed package ({HERE}) and are never installed into it: "
            f"{INSTALL_HINT}; until then the playground loads them from {CDN}"
        )
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise InstallError("node and npm are not on PATH: GraphiQL will load its scripts from the CDN")
    digest = _digest(node)
    with (HERE / ".npm-install.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH)
        if _stamped(digest):
            return "GraphiQL's assets are installed"
        fcntl.flock(lock, fcntl.LOCK_UN)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _stamped(digest):  # another run installed them meanwhile
            return "GraphiQL's assets are installed"
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            raise InstallError(f"npm ci failed in {HERE}:\n{result.stdout}\n{result.stderr}")
        (NODE_MODULES / STAMP_NAME).write_text(digest + "\n")
        return f"GraphiQL's assets installed into {NODE_MODULES} (npm ci)"
