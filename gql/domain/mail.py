"""The emails the service sends: one template per message, a plain-text and an HTML body.

Each message is ``gql/templates/mail/<name>.txt``, whose blocks are its words: ``subject``,
``intro``, ``action`` (the link's label; empty for messages without a link) and ``outro``. The
layouts ``mail/layout.txt`` and ``mail/layout.html`` put them around the greeting, the code, the
link and the signature, with the site's branding. A site may override any of them
(``MEMBERS_TEMPLATES_DIR``, gql/templating.py); the site's language picks the catalogue.

Only the site's own text and the link go into a message, plus the member's name when its
address is confirmed (``greeting_name`` in gql/domain/outbox.py): nothing a stranger typed
reaches a mailbox that never asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gql.branding import Branding
from gql.config import Config
from gql.domain.policy import CONFIRMATION_LINK_LIFETIME, LOGIN_CODE_LIFETIME, PASSWORD_LINK_LIFETIME
from gql.templating import templates_for


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


# Every message the service sends, and how long its link (or code) works, if it has one.
MAILS: dict[str, timedelta | None] = {
    "confirm_email": CONFIRMATION_LINK_LIFETIME,
    "set_password": PASSWORD_LINK_LIFETIME,
    "reset_password": PASSWORD_LINK_LIFETIME,
    "mfa_reset": None,
    "login_code": LOGIN_CODE_LIFETIME,
    "member_approved": None,
    "approval_waiting": None,
}


def _lifetime(lifetime: timedelta | None) -> dict[str, int]:
    """The lifetime as the templates say it: whole hours where it is some, else whole minutes."""
    if lifetime is None:
        return {}
    minutes = int(lifetime.total_seconds() // 60)
    return {"hours": minutes // 60, "minutes": 0} if minutes % 60 == 0 else {"hours": 0, "minutes": minutes}


def _words(template: str, config: Config) -> tuple[Branding, dict[str, str]]:
    brand = Branding.of(config)
    blocks = templates_for(config.templates_dir).blocks(
        f"mail/{template}.txt", brand.language, brand=brand, lifetime=_lifetime(MAILS[template])
    )
    # One line, whatever a site's template holds: a subject is a header.
    blocks["subject"] = " ".join(blocks.get("subject", "").split())
    return brand, blocks


def subject_of(template: str, config: Config) -> str:
    return _words(template, config)[1]["subject"]


def render(
    template: str, to: str, config: Config, *, name: str | None = None, link: str | None = None, code: str | None = None
) -> Email:
    brand, words = _words(template, config)
    context: dict[str, Any] = {
        "brand": brand,
        "name": name,
        "link": link,
        "code": code,
        "subject": words["subject"],
        "intro": words.get("intro", ""),
        "action": words.get("action", ""),
        "outro": words.get("outro", ""),
    }
    templates = templates_for(config.templates_dir)
    text = templates.render("mail/layout.txt", brand.language, **context)
    html = templates.render("mail/layout.html", brand.language, **context)
    return Email(to=to, subject=words["subject"], text=text, html=html)
