"""The member pages over HTTP, in-process, with mail really delivered (aiosmtpd): the password
page checks its link before it shows a form, a second click on a confirmation link says the
address is confirmed, the site's branding, templates and language reach both pages and mails,
and ``GET /`` exists in development only (issue 16 §3)."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette

from gql.config import Config
from gql.db.models import Member
from gql.domain.links import Link, new_link
from gql.domain.tokens import Purpose
from tests.conftest import client_of, mailing_app, new_app, running
from tests.integration.documents import ERROR_FIELDS, login, register, settings
from tests.mailbox import Mailbox, link_in, text_of

REQUEST_RESET = "mutation ($email: String!) { requestPasswordReset(email: $email) { __typename } }"
RESET = f"""mutation ($token: String!, $pw: String!) {{ resetPassword(token: $token, newPassword: $pw) {{
  __typename {ERROR_FIELDS} }} }}"""
CREATE = "mutation ($email: String!) { createMember(input: {email: $email}) { __typename } }"
BRANDED = {
    "site_name": "Club Rivière",
    "site_url": "https://club.example/home",
    "logo_url": "https://cdn.club.example/logo.svg",
    "accent_color": "#ffcc00",
}


def token_of(link: str) -> str:
    return urlsplit(link).query.removeprefix("token=")


def html_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("html",))
    assert body is not None
    return body.get_content()


def heading(page: httpx.Response) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page.text, re.S)
    assert found, page.text
    return found.group(1).strip()


def csp_of(page: httpx.Response) -> dict[str, str]:
    policy = page.headers["content-security-policy"]
    return {part.split()[0]: part.partition(" ")[2] for part in (p.strip() for p in policy.split(";")) if part}


async def reset_link(http: httpx.AsyncClient, mailbox: Mailbox, email: str) -> str:
    await http.post("/graphql", json={"query": REQUEST_RESET, "variables": {"email": email}})
    mails = await mailbox.wait_for(email, count=len([m for m in mailbox.messages if m["To"] == email]) + 1)
    return link_in(mails[-1])


@pytest.fixture
def pages_of(settings: Config, mailbox: Mailbox):  # type: ignore[no-untyped-def]
    """Run the app with some settings changed: ``async with pages_of(language="fr") as (app, http)``."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def start(**changes: object):  # type: ignore[no-untyped-def]
        async with mailing_app(dataclasses.replace(settings, **changes), mailbox, poll_seconds=0.1) as app:
            async with client_of(app) as gql:
                yield app, gql

    return start


async def test_the_reset_page_checks_the_link_before_showing_its_form(mail_app: Starlette, mailbox: Mailbox) -> None:
    async with client_of(mail_app) as gql:
        await register(gql, "page@example.com", "old-password")
        link = await reset_link(gql.http, mailbox, "page@example.com")
        # A link that works: the form, as often as it is opened (a GET spends nothing).
        for _ in range(2):
            form = await gql.http.get(link)
            assert form.status_code == 200 and heading(form) == "Choose a new password" and "<form" in form.text
        assert f'value="{token_of(link)}"' in form.text

        # Spent elsewhere (the app used the token): the page says so at once, with no form.
        used = await gql.anonymous(RESET, {"token": token_of(link), "pw": "new-password"})
        assert used["data"]["resetPassword"]["__typename"] == "ResetPasswordPayload"
        again = await gql.http.get(link)
        assert again.status_code == 400 and heading(again) == "Link already used" and "<form" not in again.text

        # A newer link replaces an older one: the older says it was replaced, the newer works.
        older = await reset_link(gql.http, mailbox, "page@example.com")
        newer = await reset_link(gql.http, mailbox, "page@example.com")
        replaced = await gql.http.get(older)
        assert replaced.status_code == 400 and "newer one replaced it" in replaced.text and "<form" not in replaced.text
        assert "<form" in (await gql.http.get(newer)).text

        # Expired: a link issued past its lifetime (3 hours) is refused before any form.
        member = await Member.get(email_key="page@example.com")
        fresh = new_link(mail_app.state.services, Purpose.RESET, member)
        stale = dataclasses.replace(fresh, issued_at=datetime.now(timezone.utc) - Purpose.RESET.ttl - timedelta(1))
        expired = await gql.http.get("/reset-password", params={"token": Link.token(stale, mail_app.state.services)})
        assert expired.status_code == 410 and heading(expired) == "Link expired" and "<form" not in expired.text

        # Not a link of ours at all.
        forged = await gql.http.get("/reset-password", params={"token": "JWS.not.a.token"})
        assert forged.status_code == 400 and heading(forged) == "Link not valid" and "<form" not in forged.text

        # The newer link still saves the password (the checks above spent nothing).
        saved = await gql.http.post("/reset-password", data={"token": token_of(newer), "password": "newest-password"})
        assert saved.status_code == 200 and heading(saved) == "Password saved"
        assert (await login(gql, "page@example.com", "newest-password"))["__typename"] == "LoginPayload"


async def test_an_invited_member_gets_the_set_password_page(mail_app: Starlette, mailbox: Mailbox) -> None:
    async with client_of(mail_app) as gql:
        created = await gql.backend(CREATE, {"email": "invited@example.com"})
        assert created["data"]["createMember"]["__typename"] == "CreateMemberPayload"
        [mail] = await mailbox.wait_for("invited@example.com")
        assert mail["Subject"] == "Set your password for Members"
        page = await gql.http.get(link_in(mail))
        assert page.status_code == 200 and heading(page) == "Set your password" and "<form" in page.text
        weak = await gql.http.post(
            "/reset-password", data={"token": token_of(link_in(mail)), "password": "x", "first": "1"}
        )
        assert weak.status_code == 400 and heading(weak) == "Set your password" and 'role="alert"' in weak.text
        saved = await gql.http.post("/reset-password", data={"token": token_of(link_in(mail)), "password": "chosen-pw"})
        assert saved.status_code == 200 and heading(saved) == "Password saved"
        assert (await login(gql, "invited@example.com", "chosen-pw"))["__typename"] == "LoginPayload"
        # A member with a password asks for a reset: the reset page, not the invitation's.
        page = await gql.http.get(await reset_link(gql.http, mailbox, "invited@example.com"))
        assert heading(page) == "Choose a new password"


async def test_a_second_click_on_a_confirmation_link_says_the_address_is_confirmed(
    mail_app: Starlette, mailbox: Mailbox
) -> None:
    async with client_of(mail_app) as gql:
        await settings(gql, emailConfirmation=True)
        await register(gql, "twice@example.com")
        [mail] = await mailbox.wait_for("twice@example.com")
        first = await gql.http.get(link_in(mail))
        assert first.status_code == 200 and heading(first) == "Email confirmed"
        second = await gql.http.get(link_in(mail))
        assert second.status_code == 200 and heading(second) == "Email address already confirmed"
        assert "<form" not in second.text
        # A link whose account moved on (another address now) says nothing about the new address.
        member = await Member.get(email_key="twice@example.com")
        await Member.filter(id=member.id).update(email_key="moved@example.com", login_email="moved@example.com")
        moved = await gql.http.get(link_in(mail))
        assert moved.status_code == 400 and heading(moved) != "Email address already confirmed"


async def test_the_pages_keep_their_security_headers_under_a_strict_csp(mail_app: Starlette) -> None:
    async with client_of(mail_app) as gql:
        for path in ("/reset-password?token=x", "/confirm-email?token=x", "/login-with-link?token=x"):
            page = await gql.http.get(path)
            assert page.headers["cache-control"] == "no-store", path
            assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-frame-options"] == "DENY"
            csp = csp_of(page)
            nonce = re.search(r'<style nonce="([^"]+)">', page.text).group(1)  # type: ignore[union-attr]
            assert csp["default-src"] == "'none'" and "script-src" not in csp  # no script of any kind
            assert csp["style-src"] == f"'nonce-{nonce}'" and csp["img-src"] == "'none'"  # no logo set
            assert csp["form-action"] == "'self'" and csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
            assert "<script" not in page.text and page.headers["content-language"] == "en"
        other = await gql.http.get("/reset-password?token=x")
        assert csp_of(other)["style-src"] != csp_of(page)["style-src"], "a nonce is new to each response"


async def test_branding_reaches_the_pages_and_the_mails(pages_of, mailbox: Mailbox) -> None:  # type: ignore[no-untyped-def]
    async with pages_of(**BRANDED) as (app, gql):
        await register(gql, "brand@example.com", "old-password")
        link = await reset_link(gql.http, mailbox, "brand@example.com")
        mail = mailbox.messages[-1]
        assert mail["Subject"] == "Reset your Club Rivière password"
        html = html_of(mail)
        assert 'src="https://cdn.club.example/logo.svg"' in html and 'href="https://club.example/home"' in html
        assert "background:#ffcc00;color:#000000" in html  # black text on the yellow accent
        assert text_of(mail).replace("\r\n", "\n").rstrip().endswith("-- Club Rivière\nhttps://club.example/home")
        page = await gql.http.get(link)
        assert "<title>Choose a new password — Club Rivière</title>" in page.text
        assert '<img src="https://cdn.club.example/logo.svg"' in page.text
        assert 'href="https://club.example/home"' in page.text and "Back to Club Rivière" in page.text
        assert "--accent: #ffcc00; --on-accent: #000000; --accent-text: #" in page.text
        assert csp_of(page)["img-src"] == "https://cdn.club.example"


async def test_the_language_setting_switches_pages_and_mails(pages_of, mailbox: Mailbox) -> None:  # type: ignore[no-untyped-def]
    async with pages_of(language="fr", site_name="Club") as (app, gql):
        await settings(gql, emailConfirmation=True)
        await register(gql, "francais@example.com")
        [mail] = await mailbox.wait_for("francais@example.com")
        assert mail["Subject"] == "Confirmez votre adresse e-mail pour Club"
        assert text_of(mail).startswith("Bonjour,") and "expire dans 48 heures" in text_of(mail)
        assert '<html lang="fr">' in html_of(mail) and "Confirmer mon adresse e-mail" in html_of(mail)
        page = await gql.http.get(link_in(mail))
        assert page.status_code == 200 and '<html lang="fr">' in page.text and page.headers["content-language"] == "fr"
        assert heading(page) == "Adresse e-mail confirmée"
        again = await gql.http.get(link_in(mail))
        assert heading(again) == "Adresse e-mail déjà confirmée"
        refused = await gql.http.get("/reset-password?token=x")
        assert heading(refused) == "Lien non valide" and "Ce lien n'est plus valide." in refused.text.replace(
            "&#39;", "'"
        )


async def test_a_sites_templates_win(pages_of, mailbox: Mailbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pages").mkdir()
    (tmp_path / "mail").mkdir()
    (tmp_path / "pages" / "confirm_email.html").write_text(
        '{% extends "builtin/pages/confirm_email.html" %}'
        "{% block content %}<p class=ours>Our own words: {{ outcome }}.</p>{% endblock %}"
    )
    (tmp_path / "mail" / "layout.txt").write_text("Our mail for {{ name or 'you' }}: {{ link }}\n")
    async with pages_of(templates_dir=str(tmp_path)) as (app, gql):
        await settings(gql, emailConfirmation=True)
        await register(gql, "override@example.com")
        [mail] = await mailbox.wait_for("override@example.com")
        assert text_of(mail).startswith("Our mail for you: http://testserver/confirm-email?token=")
        assert mail["Subject"] == "Confirm your email for Members"  # not overridden: the built-in words
        page = await gql.http.get(link_in(mail))
        assert heading(page) == "Email confirmed"  # the built-in title block, inherited
        assert "<p class=ours>Our own words: confirmed.</p>" in page.text and "Thank you" not in page.text


@pytest.mark.parametrize("environment", ["development", "test", "production"])
async def test_the_home_page_is_for_development_only(settings: Config, environment: str) -> None:
    application = new_app(dataclasses.replace(settings, environment=environment), run_worker=False)
    async with running(application), client_of(application) as gql:
        home = await gql.http.get("/")
    if environment != "development":
        assert home.status_code == 404
        return
    assert home.status_code == 200 and heading(home) == "Development server"
    assert 'href="/graphql"' in home.text and 'href="/dev/mailbox"' in home.text
    assert 'href="/console"' in home.text
    assert "script-src" not in home.headers["content-security-policy"]


async def test_the_link_check_spends_the_reset_pages_rate_limit(pages_of, mailbox: Mailbox) -> None:  # type: ignore[no-untyped-def]
    """Checking a link is a token check: it counts in the same bucket as resetPassword (3 at this scale)."""
    async with pages_of(rate_limit_scale=0.1) as (app, gql):
        capacity = int(app.state.services.rate_limits.limit("resetPassword").capacity)
        statuses = [(await gql.http.get("/reset-password?token=JWS.a.b.c")).status_code for _ in range(capacity + 1)]
        assert statuses == [400] * capacity + [429]
        refused = await gql.http.get("/reset-password?token=JWS.a.b.c")
        assert int(refused.headers["retry-after"]) > 0 and heading(refused) == "Too many attempts"
        assert "<form" not in refused.text
