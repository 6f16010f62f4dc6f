"""The pages behind emailed links, from templates a site can override (gql/templating.py), in the
site's language, with its branding; no scripts, readable in any browser and on a phone.

/confirm-email?token=…      confirms and says so (or: already confirmed, link expired, used, account
                            disabled, link not valid)
/reset-password?token=…     checks the link first (spending nothing) and shows the form only for a
                            link that works, else says at once why not; POST applies the password
                            (the token is the proof). A member without a password yet (an
                            invitation) gets the set-password page instead of the reset page.
/login-with-link?token=…    a passwordless sign-in link opened here rather than in the site's app: says
                            where to use it, and signs nobody in (a GET spends nothing: mail scanners
                            open links)
/                           in development, where GraphiQL, the mailbox and the console are
                            (outside development the route does not exist: 404)

They call the same domain operations as the GraphQL API, so the same per-address rate limits
apply (429 with Retry-After when exceeded) before any token is checked or password hashed.

Every page is sent with ``Cache-Control: no-store``, ``Referrer-Policy: no-referrer`` (the token
is in the URL), ``X-Frame-Options: DENY`` and a Content-Security-Policy that allows no script at
all, the page's one inline style sheet by a nonce new to each response, images from the logo's
origin only, and forms posted to this server only.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gql.branding import Branding
from gql.console.session import PATH as CONSOLE_PATH
from gql.dev_mailbox import PATH as MAILBOX_PATH
from gql.domain import confirmation, password_reset
from gql.domain.caller import Caller, anonymous
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.links import PATHS
from gql.domain.policy import LOGIN_CODE_DIGITS, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from gql.domain.services import Services
from gql.domain.tokens import Purpose
from gql.http import client_address
from gql.templating import templates_for

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


def content_security_policy(nonce: str, logo_url: str) -> str:
    logo = urlsplit(logo_url)
    images = f"{logo.scheme}://{logo.netloc}" if logo_url else "'none'"
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src {images}; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``pages/<template>`` rendered with the site's branding, in its language, with the headers above."""
    config = request.app.state.services.config
    brand = Branding.of(config)
    nonce = secrets.token_urlsafe(18)
    html = templates_for(config.templates_dir).render(
        f"pages/{template}", brand.language, brand=brand, nonce=nonce, **context
    )
    headers = {
        **HEADERS,
        "Content-Security-Policy": content_security_policy(nonce, brand.logo_url),
        "Content-Language": brand.language,
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def _caller(request: Request, services: Services) -> Caller:
    return anonymous(client_address(request, services.config.trusted_proxies))


def _rate_limited(request: Request, exc: DomainError) -> HTMLResponse:
    retry = int(exc.details.get("retry_after") or 1)
    response = page(request, "too_many_attempts.html", 429, retry_after=retry)
    response.headers["Retry-After"] = str(retry)
    return response


# What a refused link's page says, and its status: by the domain's error code.
_LINK_OUTCOMES: dict[ErrorCode, tuple[str, int]] = {
    ErrorCode.TOKEN_EXPIRED: ("expired", 410),
    ErrorCode.TOKEN_USED: ("used", 400),
    ErrorCode.LOGIN_DISABLED: ("disabled", 403),
}
_INVALID = ("invalid", 400)


async def confirm_email_page(request: Request) -> Response:
    services: Services = request.app.state.services
    token = request.query_params.get("token", "")
    try:
        await confirmation.confirm_email(services, _caller(request, services), token)
    except DomainError as exc:
        if exc.code is ErrorCode.RATE_LIMITED:
            return _rate_limited(request, exc)
        if exc.code is ErrorCode.TOKEN_USED and await confirmation.confirmed_already(services, token):
            return page(request, "confirm_email.html", outcome="already_confirmed")
        outcome, status = _LINK_OUTCOMES.get(exc.code, _INVALID)
        return page(request, "confirm_email.html", status, outcome=outcome)
    return page(request, "confirm_email.html", outcome="confirmed")


def _password_page(request: Request, first_password: bool, status: int = 200, **context: Any) -> HTMLResponse:
    template = "set_password.html" if first_password else "reset_password.html"
    return page(request, template, status, first_password=first_password, **context)


def _password_form(request: Request, token: str, first_password: bool, error: str = "") -> HTMLResponse:
    return _password_page(
        request,
        first_password,
        400 if error else 200,
        outcome="form",
        token=token,
        action=PATHS[Purpose.RESET],
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        error=error,
    )


async def reset_password_page(request: Request) -> Response:
    services: Services = request.app.state.services
    caller = _caller(request, services)
    if request.method == "GET":
        token = request.query_params.get("token", "")
        try:
            link = await password_reset.check_password_link(services, caller, token)
        except DomainError as exc:
            if exc.code is ErrorCode.RATE_LIMITED:
                return _rate_limited(request, exc)
            outcome, status = _LINK_OUTCOMES.get(exc.code, _INVALID)
            return _password_page(request, False, status, outcome=outcome)
        return _password_form(request, token, link.first_password)
    # A urlencoded form of a few fields: parsed here rather than pulling in python-multipart.
    form = parse_qs((await request.body())[:10_000].decode("utf-8", "replace"))
    token, password = form.get("token", [""])[0], form.get("password", [""])[0]
    first_password = form.get("first", [""])[0] == "1"  # the page's wording only; the token decides
    try:
        await password_reset.reset_password(services, caller, token, password)
    except DomainError as exc:
        if exc.code is ErrorCode.RATE_LIMITED:
            return _rate_limited(request, exc)
        if exc.code in (ErrorCode.PASSWORD_POLICY, ErrorCode.MISSING_PASSWORD):
            return _password_form(request, token, first_password, error="policy")
        if exc.code is ErrorCode.PENDING_APPROVAL:  # the password is saved; the session waits
            return _password_page(request, first_password, outcome="saved_pending")
        outcome, status = _LINK_OUTCOMES.get(exc.code, _INVALID)
        return _password_page(request, first_password, status, outcome=outcome)
    return _password_page(request, first_password, outcome="saved")


async def login_link_page(request: Request) -> Response:
    """Where a passwordless sign-in link lands when ``MEMBERS_PUBLIC_URL`` is this server rather
    than the site: a session is a bearer token for an app, so this page only says what to do. It
    neither reads nor spends the token (gql/domain/passwordless.py)."""
    return page(request, "login_link.html", digits=LOGIN_CODE_DIGITS)


async def home_page(request: Request) -> Response:
    """``GET /`` in development: the way to GraphiQL, the mailbox and the console."""
    return page(request, "home.html", mailbox=MAILBOX_PATH, console=CONSOLE_PATH)
