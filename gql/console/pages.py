"""The admin console's pages: server-rendered HTML forms, no scripts, under /console.

Every action is a GraphQL operation of the same API (gql/console/documents.py) run in-process as
the signed-in admin: a member's session (its roles decide what it may do, its second factor
included) or an API key. So the console adds no rule of its own, and every change it makes is
audited with the acting admin like any API call. Two read-only figures of the front page that
the API does not offer come from gql/domain/dashboard.py, behind the same permission check.

POSTs redirect to a GET (303) with a notice, so a reload never repeats an action.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from gql.api.context import Context
from gql.console import documents
from gql.console.chart import activity_chart
from gql.console.session import (
    COOKIE,
    LOGIN_COOKIE,
    MAX_AGE_SECONDS,
    PATH,
    ConsoleSession,
    Credential,
    Sealer,
    new_session,
)
from gql.domain import dashboard
from gql.domain.errors import DomainError
from gql.domain.permissions import Permission
from gql.domain.services import Services
from gql.domain.statuses import ApprovalMode, MemberStatus, MfaPolicy

TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
)
PAGE_SIZE = 25
EVENTS_SHOWN = 20
# Most members one bulk action takes (a page of the queue).
BULK_LIMIT = 100
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # No script runs on any console page; styles only from the page itself.
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}
NOTICES = {
    "approved": "Approved {n} member(s).",
    "blocked": "Blocked {n} member(s).",
    "unblocked": "Unblocked the member.",
    "revoked": "The session ended.",
    "role-assigned": "Role assigned.",
    "role-removed": "Role removed.",
    "badge-assigned": "Badge awarded.",
    "badge-removed": "Badge taken back.",
    "settings": "Registration settings saved.",
    "key-revoked": "API key revoked.",
    "role-created": "Role created.",
    "badge-created": "Badge created.",
    "signed-out": "Signed out.",
    "idle": "Signed out after a while without activity.",
}


class ConsoleError(Exception):
    """An operation the API refused: its message is shown to the admin."""


@dataclass
class Console:
    """What the console's requests share: the services, the schema, the cookie sealer."""

    services: Services
    schema: Any
    sealer: Sealer

    @property
    def secure(self) -> bool:
        # Secure cookies everywhere but development, where the server listens on plain http://127.0.0.1.
        return self.services.config.environment != "development"

    # --- calling the API as the admin -------------------------------------------------------

    def context(self, request: Request, session: ConsoleSession | None) -> Context:
        """One context per credential for the whole HTTP request: the caller (for a member, its
        session's SELECT) is resolved once, however many operations the page runs."""
        contexts: dict[str, Context] | None = getattr(request.state, "console_contexts", None)
        if contexts is None:
            contexts = request.state.console_contexts = {}
        key = f"{session.kind.value}:{session.secret}" if session else ""
        if key not in contexts:
            headers = session.headers() if session else {}
            contexts[key] = Context.from_request(request, None, self.services, headers=headers)
        return contexts[key]

    async def call(
        self, request: Request, session: ConsoleSession | None, document: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        result = await self.schema.execute(
            document, variable_values=variables or {}, context_value=self.context(request, session)
        )
        if result.errors:
            raise ConsoleError("; ".join(error.message for error in result.errors))
        return result.data or {}

    async def mutate(
        self, request: Request, session: ConsoleSession | None, document: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        """The mutation's payload; ConsoleError with its message when the union answers an error."""
        (payload,) = (await self.call(request, session, document, variables)).values()
        if "code" in payload:
            raise ConsoleError(payload["message"])
        return payload

    async def admin(self, request: Request) -> ConsoleSession | None:
        """The signed-in admin whose credential still works and who may use the console, else None."""
        now = self.services.clock.time()
        session = self.sealer.session(request.cookies.get(COOKIE), now, self.services.config.console_idle_seconds)
        if session is None:
            return None
        try:
            await dashboard.require_console(await self.context(request, session).caller())
        except DomainError:
            return None  # a revoked session or key, or permissions taken away
        return session

    # --- responses -------------------------------------------------------------------------

    def page(
        self, request: Request, session: ConsoleSession | None, template: str, status: int = 200, **values: Any
    ) -> Response:
        notice = NOTICES.get(request.query_params.get("notice", ""), "")
        response = TEMPLATES.TemplateResponse(
            request,
            template,
            {
                "csrf": self.sealer.csrf(session.sid) if session else "",
                "notice": notice.format(n=request.query_params.get("n", "1")) if notice else "",
                "site": self.services.config.site_name,
                "signed_in": session is not None,
                "credential": session.kind.value if session else None,
                **values,
            },
            status_code=status,
            headers=_HEADERS,
        )
        if session is not None:
            self.keep(response, session)
        return response

    def keep(self, response: Response, session: ConsoleSession) -> None:
        """Renew the cookie: the idle clock restarts with every request."""
        renewed = ConsoleSession(session.kind, session.secret, session.sid, session.started, self.services.clock.time())
        response.set_cookie(
            COOKIE,
            self.sealer.seal_session(renewed),
            max_age=MAX_AGE_SECONDS,
            path=PATH,
            httponly=True,
            secure=self.secure,
            samesite="strict",
        )

    def redirect(self, to: str, session: ConsoleSession | None = None, **notice: Any) -> Response:
        target = f"{PATH}{to}" + (f"?{urlencode(notice)}" if notice else "")
        response = RedirectResponse(target, status_code=303, headers=_HEADERS)
        if session is not None:
            self.keep(response, session)
        return response

    def to_login(self, request: Request, idle: bool = False) -> Response:
        response = self.redirect("/login", notice="idle") if idle else self.redirect("/login")
        response.delete_cookie(COOKIE, path=PATH)
        return response


# --- the routes --------------------------------------------------------------------------------


def routes(services: Services, schema: Any) -> list[Route]:
    console = Console(services, schema, Sealer(services.config.secret_key))

    def signed_in(handler: Any) -> Any:
        """The handler with the admin's session; the login page otherwise. A POST needs its CSRF token."""

        async def endpoint(request: Request) -> Response:
            session = await console.admin(request)
            if session is None:
                return console.to_login(request, idle=COOKIE in request.cookies)
            form: dict[str, list[str]] = {}
            if request.method == "POST":
                form = await form_of(request)
                if not console.sealer.csrf_ok(session.sid, _one(form, "csrf") or None):
                    return console.page(
                        request, session, "error.html", 403, message="This form expired: reload the page and retry."
                    )
            try:
                return await handler(console, request, session, form)
            except ConsoleError as refused:
                return console.page(request, session, "error.html", 400, message=str(refused))

        return endpoint

    return [
        Route(PATH, signed_in(front_page), methods=["GET"]),
        Route(f"{PATH}/login", functools.partial(login_page, console), methods=["GET", "POST"]),
        Route(f"{PATH}/logout", signed_in(logout), methods=["POST"]),
        Route(f"{PATH}/pending", signed_in(pending_page), methods=["GET", "POST"]),
        Route(f"{PATH}/members", signed_in(members_page), methods=["GET"]),
        Route(f"{PATH}/members/{{id}}", signed_in(member_page), methods=["GET", "POST"]),
        Route(f"{PATH}/settings", signed_in(settings_page), methods=["GET", "POST"]),
        Route(f"{PATH}/roles", signed_in(roles_page), methods=["GET", "POST"]),
        Route(f"{PATH}/badges", signed_in(badges_page), methods=["GET", "POST"]),
        Route(f"{PATH}/keys", signed_in(keys_page), methods=["GET", "POST"]),
        Route(f"{PATH}/providers", signed_in(providers_page), methods=["GET"]),
        Route(f"{PATH}/console.css", stylesheet, methods=["GET"]),
    ]


# The console's forms are small and urlencoded: parsed here rather than pulling in python-multipart.
FORM_LIMIT = 64 * 1024


async def form_of(request: Request) -> dict[str, list[str]]:
    return parse_qs((await request.body())[:FORM_LIMIT].decode("utf-8", "replace"))


def _one(form: dict[str, list[str]], key: str) -> str:
    return (form.get(key) or [""])[0].strip()


STYLESHEET = (Path(__file__).parent / "console.css").read_text()


async def stylesheet(_: Request) -> Response:
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


# --- signing in and out ---------------------------------------------------------------------------


async def login_page(console: Console, request: Request) -> Response:
    """Email and password (then the second factor when the member has one), or an API key."""
    if request.method == "GET":
        return _login_form(console, request)
    data = await form_of(request)
    login = console.sealer.open(request.cookies.get(LOGIN_COOKIE), LOGIN_COOKIE) or {}
    if not isinstance(login.get("csrf"), str) or not hmac.compare_digest(_one(data, "csrf"), str(login["csrf"])):
        return _login_form(console, request, "This form expired: try again.", 403)
    now = console.services.clock.time()
    try:
        if "mfa_code" in data and isinstance(login.get("mfa"), str):
            payload = await console.mutate(
                request, None, documents.VERIFY_MFA, {"mfaToken": login["mfa"], "code": _one(data, "mfa_code")}
            )
            session = new_session(Credential.SESSION, payload["sessionToken"], now)
        elif _one(data, "api_key"):
            session = new_session(Credential.API_KEY, _one(data, "api_key"), now)
            # Through the API, not a bare comparison: a wrong key counts against the address's
            # wrong-key bucket (RequestPolicy.guard_api_key), so the console is no second place to guess keys.
            await console.call(request, session, documents.KEY_CHECK)
        else:
            payload = await console.mutate(
                request,
                None,
                documents.LOGIN,
                {"identity": _one(data, "email"), "password": (data.get("password") or [""])[0]},
            )
            if payload["__typename"] == "MfaRequired":
                return _login_form(console, request, mfa=payload["mfaToken"])
            session = new_session(Credential.SESSION, payload["sessionToken"], now)
    except ConsoleError as refused:
        return _login_form(console, request, str(refused), 400)
    try:
        await dashboard.require_console(await console.context(request, session).caller())
    except DomainError:
        if session.kind is Credential.SESSION:
            await console.call(request, session, documents.LOGOUT)
        return _login_form(
            console, request, "This account may not use the console (it needs the MEMBERS_READ permission).", 403
        )
    response = console.redirect("", session)
    response.delete_cookie(LOGIN_COOKIE, path=PATH)
    return response


def _login_form(console: Console, request: Request, error: str = "", status: int = 200, mfa: str = "") -> Response:
    csrf = secrets.token_urlsafe(16)
    response = console.page(request, None, "login.html", status, error=error, login_csrf=csrf, mfa=bool(mfa))
    state: dict[str, object] = {"csrf": csrf}
    if mfa:
        state["mfa"] = mfa
    response.set_cookie(
        LOGIN_COOKIE,
        console.sealer.seal(state, LOGIN_COOKIE),
        max_age=600,
        path=PATH,
        httponly=True,
        secure=console.secure,
        samesite="strict",
    )
    return response


async def logout(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    if session.kind is Credential.SESSION:
        await console.call(request, session, documents.LOGOUT)
    response = console.redirect("/login", notice="signed-out")
    response.delete_cookie(COOKIE, path=PATH)
    return response


# --- the front page and the approval queue ----------------------------------------------------------


async def front_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    caller = await console.context(request, session).caller()
    counts = await dashboard.members_by_status(caller)
    days = await dashboard.daily_activity(caller, console.services.clock)
    return console.page(
        request,
        session,
        "front.html",
        counts={status.value: n for status, n in counts.items()},
        pending=counts[MemberStatus.PENDING],
        chart=activity_chart(days),
        days=days,
    )


async def pending_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    if request.method == "POST":
        # A row's own button names its member in the URL; the bulk buttons take the ticked boxes.
        one = request.query_params.get("one")
        action = request.query_params.get("action", "") if one else _one(form, "action")
        ids = [one] if one else form.get("id", [])[:BULK_LIMIT]
        document = {"approve": documents.APPROVE, "block": documents.BLOCK}.get(action)
        if document is None or not ids:
            raise ConsoleError("Choose members and an action.")
        for member_id in ids:
            await console.mutate(request, session, document, {"id": member_id})
        return console.redirect(
            "/pending", session, notice="approved" if action == "approve" else "blocked", n=len(ids)
        )
    data = await console.call(
        request,
        session,
        documents.MEMBERS,
        {"first": BULK_LIMIT, "filter": {"status": "PENDING"}, "sort": {"field": "CREATED_DATE", "order": "ASC"}},
    )
    members = [edge["node"] for edge in data["members"]["edges"]]
    return console.page(request, session, "pending.html", members=members, total=data["members"]["totalCount"])


# --- members ------------------------------------------------------------------------------------


async def members_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    query = request.query_params
    search = {
        "email": query.get("email", "").strip(),
        "nickname": query.get("nickname", "").strip(),
        "status": query.get("status", ""),
        "role": query.get("role", ""),
        "badge": query.get("badge", ""),
    }
    flt: dict[str, Any] = {}
    if search["email"]:
        flt["emailPrefix"] = search["email"]
    if search["nickname"]:
        flt["nicknamePrefix"] = search["nickname"]
    if search["status"] in MemberStatus.__members__:
        flt["status"] = search["status"]
    if search["role"]:
        flt["roleId"] = search["role"]
    if search["badge"]:
        flt["badgeId"] = search["badge"]
    after = query.get("after") or None
    data = await console.call(
        request, session, documents.MEMBERS, {"first": PAGE_SIZE, "after": after, "filter": flt or None}
    )
    catalogue = await console.call(request, session, documents.ROLES_AND_BADGES)
    connection = data["members"]
    next_page = (
        "?" + urlencode({**{k: v for k, v in search.items() if v}, "after": connection["pageInfo"]["endCursor"]})
        if connection["pageInfo"]["hasNextPage"]
        else None
    )
    return console.page(
        request,
        session,
        "members.html",
        members=[edge["node"] for edge in connection["edges"]],
        total=connection["totalCount"],
        search=search,
        statuses=[status.value for status in MemberStatus],
        roles=catalogue["roles"],
        badges=catalogue["badges"],
        next_page=next_page,
    )


_MEMBER_ACTIONS = {
    "approve": (documents.APPROVE, "approved"),
    "block": (documents.BLOCK, "blocked"),
    "unblock": (documents.UNBLOCK, "unblocked"),
}


async def member_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    member_id = request.path_params["id"]
    if request.method == "POST":
        action = _one(form, "action")
        if action in _MEMBER_ACTIONS:
            document, notice = _MEMBER_ACTIONS[action]
            await console.mutate(request, session, document, {"id": member_id})
        elif action == "revoke-session":
            await console.mutate(request, session, documents.REVOKE_SESSION, {"id": _one(form, "session")})
            notice = "revoked"
        elif action in ("assign-role", "remove-role"):
            document = documents.ASSIGN_ROLE if action == "assign-role" else documents.REMOVE_ROLE
            await console.mutate(request, session, document, {"role": _one(form, "role"), "member": member_id})
            notice = "role-assigned" if action == "assign-role" else "role-removed"
        elif action in ("assign-badge", "remove-badge"):
            document = documents.ASSIGN_BADGE if action == "assign-badge" else documents.REMOVE_BADGE
            await console.mutate(request, session, document, {"badge": _one(form, "badge"), "member": member_id})
            notice = "badge-assigned" if action == "assign-badge" else "badge-removed"
        else:
            raise ConsoleError("Unknown action.")
        return console.redirect(f"/members/{member_id}", session, notice=notice)
    try:
        data = await console.call(request, session, documents.MEMBER, {"id": member_id, "events": EVENTS_SHOWN})
    except ConsoleError:
        data = {"member": None}
    member = data.get("member")
    if not member or member.get("__typename") != "Member":
        return console.page(request, session, "error.html", 404, message="No such member.")
    catalogue = await console.call(request, session, documents.ROLES_AND_BADGES)
    events = [edge["node"] for edge in (data.get("memberEvents") or {}).get("edges", [])]
    return console.page(
        request,
        session,
        "member.html",
        member=member,
        events=list(reversed(events)),
        roles=[role for role in catalogue["roles"] if not role["computed"]],
        badges=catalogue["badges"],
    )


# --- settings, roles, badges, keys, providers ---------------------------------------------------------

# The registration settings' switches the console shows, with their labels (the API documents each).
SWITCHES = {
    "enabled": "Registration is open",
    "emailConfirmation": "New members confirm their email before signing in",
    "dynamicProperties": "Registrations may carry custom fields nobody declared",
    "passwordlessLogin": "Members may sign in with an emailed code or link",
    "passwordlessSignup": "An emailed code may create the member (with passwordless sign-in)",
}


async def settings_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    if request.method == "POST":
        changes: dict[str, Any] = {name: _one(form, name) == "on" for name in SWITCHES}
        approval = _one(form, "approval")
        if approval in ApprovalMode.__members__:
            changes["approval"] = approval
        policy = _one(form, "mfaPolicy")
        if policy in MfaPolicy.__members__:
            changes["mfaPolicy"] = policy
        await console.mutate(request, session, documents.UPDATE_SETTINGS, {"input": changes})
        return console.redirect("/settings", session, notice="settings")
    data = await console.call(request, session, documents.SETTINGS)
    return console.page(
        request,
        session,
        "settings.html",
        settings=data["registrationSettings"],
        switches=SWITCHES,
        approvals=[mode.value for mode in ApprovalMode],
        policies={policy.value: policy.description for policy in MfaPolicy},
    )


async def roles_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    if request.method == "POST":
        permissions = [p for p in form.get("permission", []) if p in Permission.__members__]
        await console.mutate(
            request,
            session,
            documents.CREATE_ROLE,
            {
                "input": {
                    "name": _one(form, "name"),
                    "title": _one(form, "title"),
                    "permissions": permissions,
                    "requireMfa": _one(form, "requireMfa") == "on",
                }
            },
        )
        return console.redirect("/roles", session, notice="role-created")
    data = await console.call(request, session, documents.ROLES_AND_BADGES)
    return console.page(request, session, "roles.html", roles=data["roles"], permissions=[p.value for p in Permission])


async def badges_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    if request.method == "POST":
        await console.mutate(
            request,
            session,
            documents.CREATE_BADGE,
            {"input": {"title": _one(form, "title"), "description": _one(form, "description") or None}},
        )
        return console.redirect("/badges", session, notice="badge-created")
    data = await console.call(request, session, documents.ROLES_AND_BADGES)
    return console.page(request, session, "badges.html", badges=data["badges"])


async def keys_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    created = None
    if request.method == "POST":
        if _one(form, "action") == "revoke":
            await console.mutate(request, session, documents.REVOKE_API_KEY, {"id": _one(form, "id")})
            return console.redirect("/keys", session, notice="key-revoked")
        permissions = [p for p in form.get("permission", []) if p in Permission.__members__]
        payload = await console.mutate(
            request,
            session,
            documents.CREATE_API_KEY,
            {"input": {"name": _one(form, "name"), "permissions": permissions}},
        )
        # Shown once, on this response only (no redirect: the key is in no URL and no later page).
        created = {"name": payload["apiKey"]["name"], "key": payload["key"]}
    data = await console.call(request, session, documents.API_KEYS)
    return console.page(
        request,
        session,
        "keys.html",
        keys=data["apiKeys"] or [],
        created=created,
        permissions=[p.value for p in Permission],
    )


async def providers_page(console: Console, request: Request, session: ConsoleSession, form: dict[str, Any]) -> Response:
    data = await console.call(request, session, documents.PROVIDERS)
    return console.page(request, session, "providers.html", providers=data["externalProviders"])
