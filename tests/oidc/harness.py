"""A real OpenID Provider for the tests, and a browser that walks its sign-in pages.

``npm ci`` installs the pinned ``oidc-provider`` (package-lock.json) into ``tests/oidc/node_modules``
once per lock file: a stamp records what was installed and a file lock keeps the SQLite and
PostgreSQL runs from installing at once (as tests/clients does). Without node and npm the tests
that need the provider skip, except under CI (``CI`` set), where they fail.

``OpenIdProvider`` starts ``provider.mjs`` on 127.0.0.1 with a free port, its clients and its
accounts; ``restart(kid)`` starts it again on the same port with a new signing key (a key
rotation). ``Browser`` follows an authorization URL as a browser would: it submits the login and
consent forms of oidc-provider's devInteractions and stops at the redirect to the client,
answering its ``code`` and ``state``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gql.domain.signing_keys import public_jwk, thumbprint

PROJECT = Path(__file__).resolve().parent
NODE_MODULES = PROJECT / "node_modules"
STAMP = NODE_MODULES / ".members-npm-ci"
INSTALL_LOCK = PROJECT / ".npm-install.lock"

CLIENT_ID = "members-site"
CLIENT_SECRET = "members-site-secret-0123456789"
# The same site registered as the other ways a client authenticates at the token endpoint: with its
# secret in the form (client_secret_post), and with a JWT signed by a key of the site (private_key_jwt),
# whose public half the provider holds (CLIENT_KEY: the tests make it the server's signing key).
POST_CLIENT_ID = "members-site-post"
JWT_CLIENT_ID = "members-site-jwt"
CLIENT_KEY = ec.generate_private_key(ec.SECP256R1())
CLIENT_KEY_PEM = CLIENT_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
# As the server publishes it (its key id is the key's thumbprint), so the provider finds it by "kid".
CLIENT_JWK = {**public_jwk(CLIENT_KEY), "kid": thumbprint(public_jwk(CLIENT_KEY)), "alg": "ES256", "use": "sig"}
REDIRECT_URI = "http://app.test/external/callback"
OTHER_REDIRECT_URI = "http://evil.test/callback"

# Accounts of the provider: the subject (what the login form takes) and its claims.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {"email": "alice@example.com", "email_verified": True, "name": "Alice Liddell"},
    "bob": {"email": "bob@example.com", "email_verified": False, "name": "Bob"},
    "carol": {"email": "carol@example.com", "email_verified": True, "name": "Carol"},
    "dave": {"email": "dave@example.com", "email_verified": True, "name": "Dave"},
    "nomail": {"name": "No Mail"},
    # Claims a site maps to custom fields: a company, a too long one, an empty team.
    "erin": {"email": "erin@example.com", "email_verified": True, "name": "Erin", "company": "Acme", "team": ""},
}


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: the external sign-in tests must run; install Node.js >= 20 and npm)")
    pytest.skip(message)


def _digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PROJECT / name).read_bytes())
    digest.update(subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.encode())
    return digest.hexdigest()


def _installed(digest: str) -> bool:
    return STAMP.exists() and STAMP.read_text().strip() == digest


def install() -> Path:
    """tests/oidc with node_modules installed from the lock file; the node binary's path."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are not on PATH: the OpenID Provider cannot run")
    assert node is not None and npm is not None
    digest = _digest()
    with INSTALL_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed(digest):
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"npm ci failed in {PROJECT}:\n{result.stdout}\n{result.stderr}")
            STAMP.write_text(digest + "\n")
    return Path(node)


class OpenIdProvider:
    """One provider process (node-oidc-provider) on 127.0.0.1."""

    def __init__(self, node: Path, accounts: dict[str, dict[str, Any]] | None = None) -> None:
        self.node = node
        self.accounts = accounts or ACCOUNTS
        self.port = 0
        self.issuer = ""
        self.process: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    def start(self, kid: str = "key-1") -> OpenIdProvider:
        config = {
            "port": self.port,
            "kid": kid,
            "clients": [
                {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI]},
                {
                    "client_id": POST_CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [REDIRECT_URI],
                    "token_endpoint_auth_method": "client_secret_post",
                },
                {
                    "client_id": JWT_CLIENT_ID,
                    "redirect_uris": [REDIRECT_URI],
                    "token_endpoint_auth_method": "private_key_jwt",
                    "token_endpoint_auth_signing_alg": "ES256",
                    "jwks": {"keys": [CLIENT_JWK]},
                },
            ],
            "accounts": self.accounts,
        }
        self.process = subprocess.Popen(
            [str(self.node), str(PROJECT / "provider.mjs")],
            cwd=PROJECT,
            env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config), "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError(f"the OpenID Provider did not start: {self.process.stderr.read()}")
        ready = json.loads(line)
        self.port, self.issuer = ready["port"], ready["issuer"]
        threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True).start()
        return self

    def _drain(self, stream: Any) -> None:
        for line in stream:
            self.log.append(line)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def restart(self, kid: str) -> None:
        """The same issuer and port, a new signing key (and an empty memory: sessions, grants)."""
        self.stop()
        self.start(kid)


@pytest.fixture(scope="session")
def openid_provider() -> Iterator[OpenIdProvider]:
    provider = OpenIdProvider(install()).start()
    yield provider
    provider.stop()


@dataclass(frozen=True)
class Callback:
    """Where the provider sent the browser back."""

    url: str
    code: str | None
    state: str | None
    error: str | None


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r"<input([^>]*)>", re.S)
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


class Browser:
    """Walks the provider's pages with its own cookie jar, as one browser would."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(follow_redirects=False, timeout=10)

    async def close(self) -> None:
        await self.http.aclose()

    async def sign_in(self, authorization_url: str, account: str, redirect_uri: str = REDIRECT_URI) -> Callback:
        response = await self.http.get(authorization_url)
        for _step in range(20):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(redirect_uri):
                    query = parse_qs(urlsplit(location).query)
                    first = {key: values[0] for key, values in query.items()}
                    return Callback(location, first.get("code"), first.get("state"), first.get("error"))
                response = await self.http.get(location)
                continue
            assert response.status_code == 200, f"{response.status_code} {response.url}: {response.text[:500]}"
            forms = _FORM.findall(response.text)
            assert forms, f"no form at {response.url}: {response.text[:500]}"
            action, body = forms[0]
            data = {}
            for attributes in _INPUT.findall(body):
                found = dict(_ATTRIBUTE.findall(attributes))
                if "name" in found:
                    data[found["name"]] = unescape(found.get("value", ""))
            if data.get("prompt") == "login":
                data.update(login=account, password="any password")
            response = await self.http.post(urljoin(str(response.url), unescape(action)), data=data)
        raise AssertionError("the provider never sent the browser back")
