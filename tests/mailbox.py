"""A real SMTP server for tests (aiosmtpd), and helpers to read what it received."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.processes import free_port
from tests.waiting import until


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class Mailbox:
    def __init__(self) -> None:
        self.port = free_port()
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Mailbox:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._collector.lock:
            return list(self._collector.messages)

    async def wait_for(self, to: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        def found() -> list[EmailMessage] | None:
            mine = [m for m in self.messages if m["To"] == to]
            return mine if len(mine) >= count else None

        return await until(found, lambda: f"{count} mail(s) for {to}; got {[m['To'] for m in self.messages]}", timeout)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


def link_in(message: EmailMessage) -> str:
    found = re.search(r"https?://\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0)
