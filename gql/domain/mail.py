"""The emails the service sends: one template per message, plain text and HTML.

Only the site's own text and the link go into a message, plus the member's name when its
address is confirmed (``greeting_name`` in gql/domain/outbox.py): nothing a stranger typed
reaches a mailbox that never asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from gql.domain.policy import CONFIRMATION_LINK_LIFETIME, LOGIN_CODE_LIFETIME, PASSWORD_LINK_LIFETIME, spoken


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _Template:
    subject: str
    intro: str
    action: str | None  # the link's label; None for messages without a link
    outro: str


_TEMPLATES: dict[str, _Template] = {
    "confirm_email": _Template(
        subject="Confirm your email for {site}",
        intro="Please confirm the email address of your {site} account.",
        action="Confirm my email",
        outro=f"The link works once and expires in {spoken(CONFIRMATION_LINK_LIFETIME)}. If you did not sign up, "
        "ignore this message.",
    ),
    "set_password": _Template(
        subject="Set your password for {site}",
        intro="An account was created for you on {site}. Choose a password to start.",
        action="Set my password",
        outro=f"The link works once and expires in {spoken(PASSWORD_LINK_LIFETIME)}.",
    ),
    "reset_password": _Template(
        subject="Reset your {site} password",
        intro="Someone asked to reset the password of your {site} account.",
        action="Choose a new password",
        outro=f"The link works once and expires in {spoken(PASSWORD_LINK_LIFETIME)}. If it was not you, ignore this "
        "message: your password is unchanged.",
    ),
    "mfa_reset": _Template(
        subject="Your {site} sign-in no longer asks for a code",
        intro="The site's administrators turned off the second factor (authenticator app) of your {site} "
        "account, as asked. Signing in needs only your password now.",
        action=None,
        outro="If you did not ask for this, tell the site at once and turn the authenticator app on again.",
    ),
    "login_code": _Template(
        subject="Your {site} sign-in code",
        intro="Someone asked to sign in to {site} with this email address. Enter this code, or follow the link "
        "on this device:",
        action="Sign me in",
        outro=f"The code and the link work once, together, for {spoken(LOGIN_CODE_LIFETIME)}. If it was not you, "
        "ignore this message: nobody can sign in without them.",
    ),
    "approval_waiting": _Template(
        subject="Someone waits for approval on {site}",
        intro="A new member registered on {site} and waits for an administrator's approval.",
        action="Open the approval queue",
        outro="You get this message because your address is in MEMBERS_ADMIN_NOTIFICATION_EMAILS.",
    ),
    "member_approved": _Template(
        subject="Welcome to {site}",
        intro="Your {site} membership has been approved. You can log in now.",
        action=None,
        outro="",
    ),
}


def subject_of(template: str, *, site: str) -> str:
    return _TEMPLATES[template].subject.format(site=site)


def render(
    template: str, to: str, *, site: str, name: str | None = None, link: str | None = None, code: str | None = None
) -> Email:
    t = _TEMPLATES[template]
    subject = subject_of(template, site=site)
    intro, outro = t.intro.format(site=site), t.outro.format(site=site)
    greeting = f"Hello {name}," if name else "Hello,"
    text_parts = [greeting, intro]
    html_parts = [f"<p>{escape(greeting)}</p>", f"<p>{escape(intro)}</p>"]
    if code:
        text_parts.append(f"Code: {code}")
        html_parts.append(f'<p style="font-size:1.5em;letter-spacing:.2em"><strong>{escape(code)}</strong></p>')
    if t.action and link:
        text_parts.append(f"{t.action}: {link}")
        html_parts.append(f'<p><a href="{escape(link, quote=True)}">{escape(t.action)}</a></p>')
    if outro:
        text_parts.append(outro)
        html_parts.append(f"<p>{escape(outro)}</p>")
    text_parts.append(f"-- {site}")
    html = "<!doctype html><html><body>" + "".join(html_parts) + f"<p>&mdash; {escape(site)}</p></body></html>"
    return Email(to=to, subject=subject, text="\n\n".join(text_parts) + "\n", html=html)
