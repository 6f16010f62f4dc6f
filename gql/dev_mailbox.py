"""The development mailbox: in development without ``MEMBERS_SMTP_URL``, every email the
server would send is printed readably to the console (with its links) and kept here, newest
first, for ``GET /dev/mailbox`` (plain HTML, links clickable, no scripts).

Held in memory by the process that sent it (a development server is one process) and bounded;
outside development the route does not exist (404), and nothing is kept.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

PATH = "/dev/mailbox"
KEPT = 200
_LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class DevMail:
    at: datetime
    to: str
    subject: str
    text: str

    @property
    def links(self) -> list[str]:
        return _LINK.findall(self.text)

    def for_console(self, mailbox_url: str) -> str:
        """What the console shows: who, what, the body indented, the links on their own lines."""
        body = "\n".join(f"    | {line}" for line in self.text.rstrip().splitlines())
        links = "".join(f"\n    link: {link}" for link in self.links)
        return f"mail to {self.to}: {self.subject}\n{body}{links}\n    (also listed at {mailbox_url})"


class DevMailbox:
    def __init__(self, kept: int = KEPT) -> None:
        self._mails: deque[DevMail] = deque(maxlen=kept)
        self._lock = threading.Lock()

    def add(self, to: str, subject: str, text: str) -> DevMail:
        mail = DevMail(datetime.now(UTC), to, subject, text)
        with self._lock:
            self._mails.appendleft(mail)
        return mail

    def newest_first(self) -> list[DevMail]:
        with self._lock:
            return list(self._mails)


def _linked(text: str) -> str:
    """The text escaped, each URL an anchor."""
    parts, last = [], 0
    for found in _LINK.finditer(text):
        parts.append(escape(text[last : found.start()]))
        url = escape(found.group(0), quote=True)
        parts.append(f'<a href="{url}">{url}</a>')
        last = found.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


def render(mails: list[DevMail], site: str) -> str:
    if mails:
        items = "".join(
            f"<article><h2>{escape(mail.subject)}</h2>"
            f"<p class=meta>to <strong>{escape(mail.to)}</strong> · "
            f'<time datetime="{mail.at.isoformat()}">{mail.at:%Y-%m-%d %H:%M:%S} UTC</time></p>'
            f"<pre>{_linked(mail.text)}</pre></article>"
            for mail in mails
        )
    else:
        items = "<p>No mail yet. Register with an email confirmation, or ask for a password reset, and reload.</p>"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>Development mailbox — {escape(site)}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}"
        "article{border-top:1px solid #ccc;padding:.5rem 0}h2{font-size:1.1rem;margin:.3rem 0}"
        ".meta{color:#555;margin:0}pre{white-space:pre-wrap;word-break:break-word}</style></head>"
        f"<body><h1>Development mailbox</h1><p>Every email this server sent since it started, newest first "
        f"({len(mails)} kept, at most {KEPT}). Development only, without <code>MEMBERS_SMTP_URL</code>.</p>"
        f"{items}</body></html>"
    )


async def mailbox_page(request: Request) -> Response:
    mailbox: DevMailbox = request.app.state.dev_mailbox
    site = request.app.state.services.config.site_name
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"}
    return HTMLResponse(render(mailbox.newest_first(), site), headers=headers)
