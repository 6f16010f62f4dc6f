"""A browser for the admin console in-process: a cookie jar over https (the console's cookies are
Secure outside development), the CSRF token read from each page's forms, and the app's harness."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import httpx

from gql.db.models import Role
from tests.conftest import ADMIN_KEY
from tests.integration.session_harness import PASSWORD, Harness

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
ASSIGN = """mutation ($role: ID!, $member: ID!) { assignRole(roleId: $role, memberId: $member) { __typename } }"""


@dataclass
class Page:
    status: int
    url: str
    html: str

    @property
    def csrf(self) -> str:
        found = _CSRF.search(self.html)
        assert found, f"no form with a CSRF token at {self.url}"
        return unescape(found.group(1))

    def has(self, text: str) -> bool:
        return text in unescape(self.html)


class ConsoleBrowser:
    """Follows the console's redirects and keeps its cookies, as a browser would."""

    def __init__(self, h: Harness) -> None:
        transport = h.client.http._transport  # the same in-process app
        self.http = httpx.AsyncClient(transport=transport, base_url="https://testserver", follow_redirects=True)
        self.last: Page | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def get(self, path: str, **params: Any) -> Page:
        response = await self.http.get(path, params=params or None)
        self.last = Page(response.status_code, str(response.url), response.text)
        return self.last

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]], csrf: bool = True) -> Page:
        """POSTs the form with the CSRF token of the last page (unless ``csrf`` is False)."""
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf:
            assert self.last is not None
            items.append(("csrf", self.last.csrf))
        form: dict[str, list[str]] = {}
        for key, value in items:
            form.setdefault(key, []).append(value)
        response = await self.http.post(path, data=form)
        self.last = Page(response.status_code, str(response.url), response.text)
        return self.last

    async def sign_in_with_key(self, key: str = ADMIN_KEY) -> Page:
        await self.get("/console/login")
        return await self.post("/console/login", {"api_key": key})

    async def sign_in(self, email: str, password: str = PASSWORD) -> Page:
        await self.get("/console/login")
        return await self.post("/console/login", {"email": email, "password": password})


async def make_admin(h: Harness, email: str) -> str:
    """A member holding the built-in admin role: its id."""
    member_id = (await h.register(email))["member"]["id"]
    admin = await Role.get(name="admin")
    body = await h.client.backend(ASSIGN, {"role": str(admin.id), "member": member_id})
    assert body["data"]["assignRole"]["__typename"] == "AssignRolePayload", body
    return member_id
