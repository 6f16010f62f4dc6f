"""Writing to the outbox: mail and webhook calls queued in the caller's transaction.

Nothing is sent from here. A row written inside a transaction that rolls back is
never sent; a committed row is delivered by the worker (gql/worker.py) even if this
process dies right after the commit.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member, OutboxMessage
from gql.domain.mail import render
from gql.domain.services import Services


async def queue_email(
    services: Services,
    connection: BaseDBAsyncClient | None,
    template: str,
    member: Member,
    link_path: str | None = None,
    token: str | None = None,
) -> None:
    if not member.login_email:
        return
    config = services.config
    link = f"{config.link_base}{link_path}?token={token}" if link_path and token else None
    email = render(template, member.login_email, site=config.site_name, name=member.nickname, link=link)
    await OutboxMessage.create(
        kind="email",
        recipient=email.to,
        subject=email.subject,
        body_text=email.text,
        body_html=email.html,
        next_attempt_at=datetime.now(timezone.utc),
        using_db=connection,
    )
    services.outbox_written()


async def queue_webhook(services: Services, connection: BaseDBAsyncClient | None, payload: dict[str, Any]) -> None:
    if not services.config.webhook_url:
        return
    await OutboxMessage.create(
        kind="webhook",
        recipient=services.config.webhook_url,
        payload=payload,
        next_attempt_at=datetime.now(timezone.utc),
        using_db=connection,
    )
    services.outbox_written()
