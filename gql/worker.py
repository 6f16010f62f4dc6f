"""The outbox delivery worker: claims due messages, sends them, marks them.

Every server process runs one. A message is claimed with a conditional UPDATE that
takes a time-limited lease, so two processes never send it at the same time; a
process that dies mid-send leaves the lease to expire and another retries it
(delivery is at least once; webhook receivers de-duplicate by event id).

Emails are rendered here, at the moment of sending: the row holds the template, the greeting
name and the link's recipe, and the token in the link is written now from that recipe
(gql/domain/links.py). A link that died meanwhile (a newer one replaced it, the account
changed) is not mailed: the row becomes SUPERSEDED. Once a row is SENT, FAILED or SUPERSEDED,
what rendered it is blanked; recipient, subject and template stay for the record.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import httpx
from tortoise.expressions import Q

from gql.config import Config
from gql.db.models import Member, OutboxMessage
from gql.dev_mailbox import PATH as MAILBOX_PATH
from gql.dev_mailbox import DevMailbox
from gql.domain.links import PATHS, Link
from gql.domain.mail import Email, render
from gql.domain.passwordless import Recipe, mail_parts
from gql.domain.services import Services

logger = logging.getLogger("gql.worker")
LEASE = timedelta(seconds=60)
BATCH = 20


# What a finished row keeps: nothing that rendered it (names, link recipes, legacy bodies).
BLANKED: dict[str, None] = {"context": None, "link": None, "body_text": None, "body_html": None}


class Transport(Protocol):
    async def send(self, message: OutboxMessage) -> None: ...


class SmtpTransport:
    """smtp://user:pass@host:587?starttls=true (STARTTLS), smtps://host:465 (TLS), smtp://host:25 (plain)."""

    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        self.use_tls = parts.scheme == "smtps"
        self.start_tls: bool | None = {"true": True, "false": False}.get(query.get("starttls", ""), None)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.validate_certs = query.get("verify", "true") != "false"
        self.sender = sender

    async def send(self, message: OutboxMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject or ""
        email["Message-ID"] = f"<{message.id}@members>"  # stable: a retried send is recognisable
        email.set_content(message.body_text or "")
        if message.body_html:
            email.add_alternative(message.body_html, subtype="html")
        await aiosmtplib.send(
            email,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            validate_certs=self.validate_certs,
            timeout=30,
        )


class LogTransport:
    """Development without SMTP: the console is the mailbox (and ``GET /dev/mailbox``, when a
    ``DevMailbox`` is given). Elsewhere the body (its links carry tokens) is not logged: tokens
    never go to a production log (docs/SECURITY.md)."""

    def __init__(self, reveal_body: bool = True, mailbox: DevMailbox | None = None, link_base: str = "") -> None:
        self.reveal_body = reveal_body
        self.mailbox = mailbox
        self.link_base = link_base

    async def send(self, message: OutboxMessage) -> None:
        if not self.reveal_body:
            logger.warning(
                "mail (no MEMBERS_SMTP_URL set) to %s: %s - body not logged outside development",
                message.recipient,
                message.subject,
            )
            return
        mailbox = self.mailbox or DevMailbox(kept=1)
        mail = mailbox.add(message.recipient, message.subject or "", message.body_text or "")
        logger.info("%s", mail.for_console(self.link_base + MAILBOX_PATH))


class WebhookTransport:
    """POST the event as JSON with ``X-Members-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">``."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()

    def signature(self, timestamp: int, body: bytes) -> str:
        digest = hmac.new(self.secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"

    async def send(self, message: OutboxMessage) -> None:
        body = json.dumps(message.payload, separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json",
            "x-members-signature": self.signature(int(time.time()), body),
            "x-members-event-id": str((message.payload or {}).get("id", message.id)),
        }
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(message.recipient, content=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"webhook answered HTTP {response.status_code}")


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, … at most one hour."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


class OutboxWorker:
    def __init__(
        self, services: Services, transports: dict[str, Transport] | None = None, mailbox: DevMailbox | None = None
    ) -> None:
        self.services = services
        self.config: Config = services.config
        self.name = f"worker-{secrets.token_hex(6)}"
        self.transports = transports or {
            "email": SmtpTransport(self.config.smtp_url, self.config.mail_from)
            if self.config.smtp_url
            else LogTransport(
                reveal_body=self.config.environment == "development", mailbox=mailbox, link_base=self.config.link_base
            ),
            "webhook": WebhookTransport(self.config.webhook_secret),
        }
        self._stopping = asyncio.Event()

    async def _claim(self, message_id: object, now: datetime) -> bool:
        claimed = await (
            OutboxMessage.filter(id=message_id, status="PENDING")
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .update(locked_by=self.name, locked_until=now + LEASE)
        )
        return bool(claimed)

    async def _render(self, message: OutboxMessage) -> bool:
        """Fill in the email's subject and bodies from its template; False when its link has died."""
        if message.kind != "email" or message.template is None:
            return True  # a webhook, or mail queued before rendering moved here (bodies stored)
        url = code = None
        if Recipe.is_one(message.link):
            parts = await mail_parts(self.services, message.link)  # type: ignore[arg-type]
            if parts is None:
                return False
            code, url = parts
        elif message.link:
            link = Link.from_json(message.link)
            member = await Member.get_or_none(id=link.member_id)
            if not link.still_valid(self.services, member):
                return False
            url = f"{self.config.link_base}{PATHS[link.purpose]}?token={link.token(self.services)}"
        path = (message.context or {}).get("path")
        if url is None and isinstance(path, str):
            url = f"{self.config.link_base}{path}"  # a page of this server (no token)
        name = (message.context or {}).get("name")
        email: Email = render(message.template, message.recipient, self.config, name=name, link=url, code=code)
        message.subject, message.body_text, message.body_html = email.subject, email.text, email.html
        return True

    async def _deliver(self, message: OutboxMessage) -> None:
        now = self.services.clock.now()
        try:
            if not await self._render(message):
                await OutboxMessage.filter(id=message.id, locked_by=self.name).update(
                    status="SUPERSEDED",
                    locked_by=None,
                    locked_until=None,
                    last_error="its link died before it was sent",
                    **BLANKED,
                )
                return
            await self.transports[message.kind].send(message)
        except Exception as exc:  # any failure of the far side: retry later, never crash the worker
            attempts = message.attempts + 1
            failed = attempts >= self.config.outbox_max_attempts
            logger.warning("outbox %s %s attempt %d failed: %s", message.kind, message.id, attempts, type(exc).__name__)
            await OutboxMessage.filter(id=message.id, locked_by=self.name).update(
                attempts=attempts,
                status="FAILED" if failed else "PENDING",
                next_attempt_at=now + backoff(attempts),
                last_error=f"{type(exc).__name__}: {exc}"[:1000],
                locked_by=None,
                locked_until=None,
                **(BLANKED if failed else {}),
            )
            return
        await OutboxMessage.filter(id=message.id, locked_by=self.name).update(
            status="SENT", sent_at=now, attempts=message.attempts + 1, locked_by=None, locked_until=None, **BLANKED
        )

    async def run_once(self) -> int:
        """Deliver what is due now; returns how many messages this call handled."""
        now = self.services.clock.now()
        due = await (
            OutboxMessage.filter(status="PENDING", next_attempt_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("next_attempt_at")
            .limit(BATCH)
            .values_list("id", flat=True)
        )
        handled = 0
        for message_id in due:
            if not await self._claim(message_id, now):
                continue  # another process took it
            message = await OutboxMessage.get(id=message_id)
            await self._deliver(message)
            handled += 1
        return handled

    async def run(self) -> None:
        wakeup = self.services.outbox_wakeup
        while not self._stopping.is_set():
            # Cleared before looking: a row committed while this pass runs sets it again, and the
            # wait below returns at once instead of missing it. Writers set it after their commit
            # (gql/db/transactions.py), so what wakes this pass is there to be found.
            wakeup.clear()
            try:
                handled = await self.run_once()
            except Exception:  # the database may be away for a while; keep trying
                logger.warning("outbox worker pass failed", exc_info=True)
                handled = 0
            if handled:
                continue
            try:
                await asyncio.wait_for(wakeup.wait(), timeout=self.config.outbox_poll_seconds)
            except asyncio.TimeoutError:
                pass

    def stop(self) -> None:
        self._stopping.set()
        self.services.outbox_wakeup.set()
