"""The member pages' and the mails' templates (gql/templating.py, gql/templates/): each renders in
each language, escapes what it is given, ties its labels to its inputs, and a site's directory
of templates wins over the built-in ones."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gql.branding import Branding
from gql.config import Config, ConfigError
from gql.domain.mail import MAILS, render, subject_of
from gql.languages import LANGUAGES
from gql.templating import BUILT_IN, Templates

BRAND = Branding("Club <b>&</b>", "https://cdn.example/logo.png", "https://club.example", "#ffcc00", "en")
# Every page and the outcomes it can show (gql/pages.py).
PAGES: dict[str, list[dict[str, object]]] = {
    "confirm_email.html": [
        {"outcome": o} for o in ("confirmed", "already_confirmed", "expired", "used", "disabled", "invalid")
    ],
    "reset_password.html": [
        {"outcome": o, "first_password": False}
        for o in ("saved", "saved_pending", "expired", "used", "disabled", "invalid")
    ],
    "login_link.html": [{"digits": 6}],
    "too_many_attempts.html": [{"retry_after": 1}, {"retry_after": 30}],
    "home.html": [{"mailbox": "/dev/mailbox", "console": None}, {"mailbox": "/dev/mailbox", "console": "/console"}],
}
FORM = {
    "outcome": "form",
    "token": 'JWS.a"b<c',
    "action": "/reset-password",
    "min_length": 4,
    "max_length": 100,
    "first_password": False,
}
for password_page in ("reset_password.html", "set_password.html"):
    PAGES.setdefault(password_page, [])
    PAGES[password_page] += [{**FORM, "error": ""}, {**FORM, "error": "policy", "first_password": True}]


def config(**changes: object) -> Config:
    return dataclasses.replace(Config(secret_key="k" * 40, site_name="Club"), **changes)


def cases() -> list[tuple[str, str, dict[str, object]]]:
    return [(language, name, values) for language in LANGUAGES for name in PAGES for values in PAGES[name]]


@pytest.mark.parametrize(("language", "name", "values"), cases())
def test_every_page_renders_in_every_language_without_script(
    language: str, name: str, values: dict[str, object]
) -> None:
    brand = dataclasses.replace(BRAND, language=language)
    html = Templates().render(f"pages/{name}", language, brand=brand, nonce="n0nce", **values)
    assert html.startswith("<!doctype html>") and f'<html lang="{language}">' in html
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]+\son\w+=", html), "an inline event handler"
    assert 'style="' not in html, "a style attribute: the CSP allows the nonce's style sheet only"
    assert '<style nonce="n0nce">' in html and "--accent: #ffcc00" in html
    assert "Club &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html  # escaped
    assert 'href="https://club.example"' in html and 'src="https://cdn.example/logo.png"' in html
    if values.get("outcome") == "form":
        # The label names the input; the hint and the error describe it; the token is escaped.
        labelled = re.search(r'<label for="(\w+)">', html)
        assert labelled and f'id="{labelled.group(1)}"' in html
        assert 'value="JWS.a&#34;b&lt;c"' in html
        invalid = bool(re.search(r'<input[^>]*aria-invalid="true"', html))
        assert invalid is ('role="alert"' in html) is bool(values["error"])
        assert ('name="first" value="1"' in html) is values["first_password"]
    else:
        assert "<form" not in html


def test_the_french_pages_are_french() -> None:
    brand = dataclasses.replace(BRAND, language="fr")
    page = Templates().render("pages/reset_password.html", "fr", brand=brand, nonce="n", **FORM, error="")
    assert "Choisir un nouveau mot de passe" in page and "Enregistrer le mot de passe" in page
    assert "Retour à Club" in page
    invited = Templates().render("pages/set_password.html", "fr", brand=brand, nonce="n", **FORM, error="")
    assert "Définissez votre mot de passe" in invited


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", MAILS)
def test_every_mail_renders_in_every_language(template: str, language: str) -> None:
    site = config(language=language, site_url="https://club.example", logo_url="https://cdn.example/l.png")
    mail = render(
        template, "ada@example.com", site, name="Ada <b>", link="https://x.example/a?token=t&u=1", code="123456"
    )
    assert mail.subject == subject_of(template, site) and "\n" not in mail.subject and "Club" in mail.subject
    assert mail.text.startswith("Hello Ada <b>," if language == "en" else "Bonjour Ada <b>,")
    assert mail.text.rstrip().endswith("-- Club\nhttps://club.example")
    assert "Ada &lt;b&gt;" in mail.html and "Ada <b>" not in mail.html
    assert f'<html lang="{language}">' in mail.html and 'src="https://cdn.example/l.png"' in mail.html
    if MAILS[template] is not None:  # a message with a link
        assert "https://x.example/a?token=t&u=1" in mail.text
        assert 'href="https://x.example/a?token=t&amp;u=1"' in mail.html
        assert "background:#1d4ed8;color:#ffffff" in mail.html  # the default accent, white text on it


def test_the_lifetimes_are_said_in_the_language() -> None:
    english = render("confirm_email", "a@example.com", config(), link="https://x.example/c")
    french = render("confirm_email", "a@example.com", config(language="fr"), link="https://x.example/c")
    assert "expires in 48 hours" in english.text and "expire dans 48 heures" in french.text
    assert french.subject == "Confirmez votre adresse e-mail pour Club"
    code = render("login_code", "a@example.com", config(language="fr"), link="https://x.example/l", code="1")
    assert "pendant 10 minutes" in code.text


def test_a_sites_directory_wins_and_may_extend_the_built_in_templates(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "mail").mkdir()
    (tmp_path / "pages" / "confirm_email.html").write_text(
        '{% extends "pages/layout.html" %}{% block title %}Welcome aboard{% endblock %}'
        "{% block content %}<p>{{ brand.site_name }} is glad: {{ outcome }}</p>{% endblock %}"
    )
    (tmp_path / "mail" / "confirm_email.txt").write_text(
        '{% extends "builtin/mail/confirm_email.txt" %}{% block subject %}One click for {{ brand.site_name }}{% endblock %}'
    )
    site = config(templates_dir=str(tmp_path))
    templates = Templates(str(tmp_path))
    page = templates.render("pages/confirm_email.html", "en", brand=Branding.of(site), nonce="n", outcome="confirmed")
    assert "<h1>Welcome aboard</h1>" in page and "Club is glad: confirmed" in page and "<style nonce" in page
    # Templates the site did not write are still the built-in ones.
    assert "Password saved" in templates.render(
        "pages/reset_password.html", "en", brand=Branding.of(site), nonce="n", outcome="saved", first_password=False
    )
    mail = render("confirm_email", "a@example.com", site, link="https://x.example/c")
    assert mail.subject == "One click for Club"
    assert "Please confirm the email address of your Club account." in mail.text  # the rest is inherited


def test_every_built_in_template_is_reached() -> None:
    """No template lies unused (a site would override it for nothing)."""
    used = {f"pages/{name}" for name in PAGES} | {f"mail/{name}.txt" for name in MAILS}
    used |= {"pages/layout.html", "pages/style.css", "mail/layout.txt", "mail/layout.html"}
    present = {str(path.relative_to(BUILT_IN)) for path in BUILT_IN.rglob("*") if path.is_file()}
    assert present == used


def test_a_broken_site_template_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "login_link.html").write_text("{% block content %}unclosed")
    (tmp_path / "pages" / "logo.png").write_bytes(b"\x89PNG not a template")  # other files are left alone
    with pytest.raises(ConfigError, match="pages/login_link.html"):
        Templates(str(tmp_path)).check()
    Templates().check()  # the built-in ones compile
