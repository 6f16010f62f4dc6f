"""The delivery worker: retries with backoff, gives up, never sends twice, signs webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from gql.db.models import Contact, Member, OutboxMessage
from gql.domain.caller import BACKEND
from gql.domain.events import EventKind, record
from gql.domain.outbox import queue_email
from gql.domain.services import Services
from gql.worker import OutboxWorker, WebhookTransport, backoff
from tests.clock import ManualClock
from tests.conftest import new_app, running
from tests.mailbox import Mailbox
from tests.processes import free_port


@pytest.fixture
async def services(settings):  # type: ignore[no-untyped-def]
    """The app's services without its own worker: these tests drive workers by hand."""
    async with running(new_app(settings, run_worker=False)) as services:
        yield services


async def queue(services: Services, count: int) -> None:
    for i in range(count):
        await queue_email(services, None, "member_approved", Member(login_email=f"r{i}@example.com", nickname=f"r{i}"))


async def test_two_workers_never_send_one_message_twice(services: Services, mailbox: Mailbox) -> None:
    configured = replace(services, config=replace(services.config, smtp_url=mailbox.url))
    await queue(configured, 30)
    first, second = OutboxWorker(configured), OutboxWorker(configured)
    total = 0
    while handled := sum(
        await asyncio.gather(first.run_once(), second.run_once(), first.run_once(), second.run_once())
    ):
        total += handled
    assert total == 30
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert await OutboxMessage.filter(status="SENT").count() == 30


async def test_unreachable_smtp_is_retried_with_backoff_then_failed(services: Services) -> None:
    clock = ManualClock()
    dead = replace(
        services,
        clock=clock,
        config=replace(services.config, smtp_url=f"smtp://127.0.0.1:{free_port()}", outbox_max_attempts=3),
    )
    await queue(dead, 1)
    worker = OutboxWorker(dead)
    assert await worker.run_once() == 1
    message = await OutboxMessage.get()
    assert (message.status, message.attempts) == ("PENDING", 1) and message.last_error
    assert message.next_attempt_at == clock.now() + timedelta(seconds=5)
    clock.advance(4.5)
    assert await worker.run_once() == 0  # not due yet: the backoff is respected
    clock.advance(0.5)
    assert await worker.run_once() == 1  # the retry, due 5 s after the first failure
    message = await OutboxMessage.get()
    assert (message.status, message.attempts) == ("PENDING", 2)
    assert message.next_attempt_at == clock.now() + timedelta(seconds=10)  # the backoff doubled
    clock.advance(10)
    assert await worker.run_once() == 1
    message = await OutboxMessage.get()
    assert (message.status, message.attempts) == ("FAILED", 3)
    clock.advance(3600)
    assert await worker.run_once() == 0  # given up: never tried again


async def test_expired_lease_of_a_dead_worker_is_taken_over(services: Services, mailbox: Mailbox) -> None:
    configured = replace(services, config=replace(services.config, smtp_url=mailbox.url))
    await queue(configured, 1)
    await OutboxMessage.all().update(
        locked_by="dead-worker", locked_until=datetime.now(timezone.utc) + timedelta(seconds=30)
    )
    worker = OutboxWorker(configured)
    assert await worker.run_once() == 0  # leased by another process
    await OutboxMessage.all().update(locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert await worker.run_once() == 1
    assert len(mailbox.messages) == 1


class _Receiver(BaseHTTPRequestHandler):
    calls: list[tuple[dict[str, str], bytes]] = []
    failures_left = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
        failing = type(self).failures_left > 0
        type(self).failures_left -= 1
        self.send_response(500 if failing else 204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_receiver():  # type: ignore[no-untyped-def]
    _Receiver.calls, _Receiver.failures_left = [], 1
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


async def test_events_reach_the_webhook_signed_with_retries(services: Services, webhook_receiver: str) -> None:
    clock = ManualClock()
    configured = replace(
        services,
        clock=clock,
        config=replace(services.config, webhook_url=webhook_receiver, webhook_secret="hook-secret"),
    )
    member_id = __import__("uuid").uuid4()
    event = await record(configured, None, BACKEND, member_id, EventKind.BLOCKED)
    worker = OutboxWorker(configured)
    await worker.run_once()  # the receiver answers 500 once
    assert (await OutboxMessage.get()).status == "PENDING"
    clock.advance(backoff(1).total_seconds())
    await worker.run_once()
    sent = await OutboxMessage.get()
    assert (sent.status, sent.attempts, len(_Receiver.calls)) == ("SENT", 2, 2)
    headers, body = _Receiver.calls[-1]
    payload = json.loads(body)
    assert (
        payload["type"] == "member.blocked" and payload["memberId"] == str(member_id) and payload["id"] == str(event.id)
    )
    timestamp, signature = (part.split("=", 1)[1] for part in headers["x-members-signature"].split(","))
    expected = hmac.new(b"hook-secret", timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert WebhookTransport("hook-secret").signature(int(timestamp), body) == headers["x-members-signature"]
    assert headers["x-members-event-id"] == str(event.id)


async def _member_with_reset_link(services: Services, email: str) -> Member:
    from gql.db.transactions import in_transaction
    from gql.domain.password_reset import send_password_link

    contact = await Contact.create(email_key=email)
    member = await Member.create(
        identity=email,
        login_email=email,
        email_key=email,
        password_hash="x",
        status="APPROVED",
        contact=contact,
        nickname="Ann",
        nickname_key="ann",
        slug=email.split("@")[0],
    )
    async with in_transaction() as connection:
        await send_password_link(services, connection, member, "reset_password")
    return member


async def test_a_mail_is_rendered_when_sent_and_nothing_that_rendered_it_stays(
    services: Services, mailbox: Mailbox
) -> None:
    configured = replace(services, config=replace(services.config, smtp_url=mailbox.url))
    await _member_with_reset_link(configured, "render@example.com")
    queued = await OutboxMessage.get()
    # Queued: the recipe of the link, not its token.
    assert queued.body_text is None and queued.template == "reset_password"
    assert set(queued.link or {}) == {"purpose", "memberId", "jti", "fingerprint", "issuedAt"}
    assert await OutboxWorker(configured).run_once() == 1
    [mail] = mailbox.messages
    assert "/reset-password?token=JWS." in mail.get_body(preferencelist=("plain",)).get_content()
    sent = await OutboxMessage.get()
    assert sent.status == "SENT" and sent.recipient == "render@example.com" and sent.subject == mail["Subject"]
    assert (sent.body_text, sent.body_html, sent.link, sent.context) == (None, None, None, None)


async def test_a_link_that_died_before_its_mail_went_out_is_not_mailed(services: Services, mailbox: Mailbox) -> None:
    configured = replace(services, config=replace(services.config, smtp_url=mailbox.url))
    member = await _member_with_reset_link(configured, "died@example.com")
    await Member.filter(id=member.id).update(email_key="moved@example.com")  # the account changed meanwhile
    assert await OutboxWorker(configured).run_once() == 1
    assert mailbox.messages == []
    dropped = await OutboxMessage.get()
    assert dropped.status == "SUPERSEDED" and dropped.link is None and dropped.context is None
