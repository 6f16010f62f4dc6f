"""The pages behind emailed links: plain HTML, no scripts, readable in any browser.

/confirm-email?token=…      confirms and says so (or: link expired, account disabled, link not valid)
/reset-password?token=…     a form for the new password; POST applies it (the token is the proof)
/login-with-link?token=…    a passwordless sign-in link opened here rather than in the site's app: says
                            where to use it, and signs nobody in (a GET spends nothing: mail scanners
                            open links)

They call the same domain operations as the GraphQL API, so the same per-address rate limits
apply (429 with Retry-After when exceeded) before any token is checked or password hashed.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gql.domain import confirmation, password_reset
from gql.domain.caller import Caller, anonymous
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.links import PATHS
from gql.domain.policy import LOGIN_CODE_DIGITS, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from gql.domain.services import Services
from gql.domain.tokens import Purpose
from gql.http import client_address

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


def _page(site: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} — {escape(site)}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}"
        "input,button{font:inherit;padding:.4rem;margin:.3rem 0;width:100%}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _caller(request: Request, services: Services) -> Caller:
    return anonymous(client_address(request, services.config.trusted_proxies))


def _rate_limited(site: str, exc: DomainError) -> HTMLResponse:
    retry = int(exc.details.get("retry_after") or 1)
    page = _page(
        site, "Too many attempts", f"<p>Too many attempts from your network; try again in {retry} seconds.</p>", 429
    )
    page.headers["Retry-After"] = str(retry)
    return page


_CONFIRM_OUTCOMES = {
    ErrorCode.TOKEN_EXPIRED: (
        "Link expired",
        "This confirmation link has expired. Ask for a new one from the site.",
        410,
    ),
    ErrorCode.LOGIN_DISABLED: ("Account disabled", "This account is disabled, so its email cannot be confirmed.", 403),
}


async def confirm_email_page(request: Request) -> Response:
    services: Services = request.app.state.services
    site = services.config.site_name
    try:
        await confirmation.confirm_email(services, _caller(request, services), request.query_params.get("token", ""))
    except DomainError as exc:
        if exc.code is ErrorCode.RATE_LIMITED:
            return _rate_limited(site, exc)
        title, text, status = _CONFIRM_OUTCOMES.get(
            exc.code,
            ("Link not valid", "This confirmation link is not valid any more. Ask for a new one from the site.", 400),
        )
        return _page(site, title, f"<p>{escape(text)}</p>", status)
    return _page(site, "Email confirmed", "<p>Thank you: your email address is confirmed. You can log in now.</p>")


def _reset_form(token: str, message: str = "") -> str:
    note = f"<p><strong>{escape(message)}</strong></p>" if message else ""
    return (
        f"{note}<form method=post action={PATHS[Purpose.RESET]}>"
        f'<input type=hidden name=token value="{escape(token, quote=True)}">'
        f"<label>New password ({PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters)<input type=password "
        f"name=password minlength={PASSWORD_MIN_LENGTH} maxlength={PASSWORD_MAX_LENGTH} "
        "autocomplete=new-password required></label><button type=submit>Save password</button></form>"
    )


async def reset_password_page(request: Request) -> Response:
    services: Services = request.app.state.services
    site = services.config.site_name
    if request.method == "GET":
        return _page(site, "Choose a password", _reset_form(request.query_params.get("token", "")))
    # A urlencoded form of two fields: parsed here rather than pulling in python-multipart.
    form = parse_qs((await request.body())[:10_000].decode("utf-8", "replace"))
    token, password = form.get("token", [""])[0], form.get("password", [""])[0]
    try:
        await password_reset.reset_password(services, _caller(request, services), token, password)
    except DomainError as exc:
        if exc.code is ErrorCode.RATE_LIMITED:
            return _rate_limited(site, exc)
        if exc.code in (ErrorCode.PASSWORD_POLICY, ErrorCode.MISSING_PASSWORD):
            return _page(site, "Choose a password", _reset_form(token, exc.message), 400)
        if exc.code is ErrorCode.PENDING_APPROVAL:
            return _page(
                site,
                "Password saved",
                "<p>Your password is saved. You can log in once your membership is approved.</p>",
            )
        if exc.code is ErrorCode.TOKEN_EXPIRED:
            return _page(site, "Link expired", "<p>This link has expired. Ask for a new one from the site.</p>", 410)
        return _page(
            site, "Link not valid", "<p>This link is not valid any more. Ask for a new one from the site.</p>", 400
        )
    return _page(site, "Password saved", "<p>Your password is saved. You can log in now.</p>")


async def login_link_page(request: Request) -> Response:
    """Where a passwordless sign-in link lands when ``MEMBERS_PUBLIC_URL`` is this server rather
    than the site: a session is a bearer token for an app, so this page only says what to do. It
    neither reads nor spends the token (gql/domain/passwordless.py)."""
    services: Services = request.app.state.services
    site = services.config.site_name
    return _page(
        site,
        "Sign in",
        f"<p>This sign-in link is for the {escape(site)} app: open it there, or type the "
        f"{LOGIN_CODE_DIGITS}-digit code from the same message into its sign-in form. The code and the link "
        "work once, together.</p><p>Opening this page has not signed you in, and has not used the link.</p>",
    )
