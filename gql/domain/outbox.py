"""Writing to the outbox: mail and webhook calls queued in the caller's transaction.

Nothing is sent from here. A row written inside a transaction that rolls back is
never sent; a committed row is delivered by the worker (gql/worker.py) even if this
process dies right after the commit. This process's worker is woken once the row is
committed (``after_commit``), not before: woken earlier, it would look and find nothing.

An email row holds what is needed to write the message, not the message: the template, the
greeting name, and the link's recipe (``gql/domain/links.py``) instead of its token. The
worker renders it when it sends, and blanks all of that once the message is sent or given up,
keeping recipient, subject and template for the record. So the table never holds a live token.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member, OutboxMessage
from gql.db.transactions import after_commit
from gql.domain.links import Link
from gql.domain.mail import subject_of
from gql.domain.services import Services


def greeting_name(member: Member) -> str | None:
    """The name a mail may greet with: none while the address is unconfirmed, because then
    the name is text chosen by whoever typed the address, sent to someone who never asked."""
    return member.nickname if member.email_verified else None


async def queue_email(
    services: Services,
    connection: BaseDBAsyncClient | None,
    template: str,
    member: Member,
    link: Link | None = None,
) -> None:
    if not member.login_email:
        return
    await OutboxMessage.create(
        kind="email",
        recipient=member.login_email,
        subject=subject_of(template, services.config),
        template=template,
        context={"name": greeting_name(member)},
        link=link.to_json() if link else None,
        next_attempt_at=services.clock.now(),
        using_db=connection,
    )
    after_commit(connection, services.outbox_written)


# Where the admins' notice of a pending member points: the console's approval queue.
APPROVAL_QUEUE_PATH = "/console/pending"


async def notify_admins_of_pending(services: Services, connection: BaseDBAsyncClient | None) -> None:
    """A mail to each MEMBERS_ADMIN_NOTIFICATION_EMAILS address: someone waits for approval. It names
    nobody (what a registrant typed reaches no admin's mailbox); the console's queue shows who."""
    for address in services.config.admin_notification_emails:
        await OutboxMessage.create(
            kind="email",
            recipient=address,
            subject=subject_of("approval_waiting", services.config),
            template="approval_waiting",
            context={"path": APPROVAL_QUEUE_PATH},
            next_attempt_at=services.clock.now(),
            using_db=connection,
        )
    if services.config.admin_notification_emails:
        after_commit(connection, services.outbox_written)


async def queue_webhook(services: Services, connection: BaseDBAsyncClient | None, payload: dict[str, Any]) -> None:
    if not services.config.webhook_url:
        return
    await OutboxMessage.create(
        kind="webhook",
        recipient=services.config.webhook_url,
        payload=payload,
        next_attempt_at=services.clock.now(),
        using_db=connection,
    )
    after_commit(connection, services.outbox_written)
