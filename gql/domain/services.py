"""The long-lived parts the rules need, built once per process from the configuration."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gql.config import Config
from gql.db.sweep import Every
from gql.domain.clock import Clock, SystemClock
from gql.domain.cursors import Cursors
from gql.domain.external_providers import ProviderClient, SecretBox
from gql.domain.passwords import PasswordHasher
from gql.domain.policy import SESSION_SWEEP_SECONDS
from gql.domain.ratelimit import RateLimits
from gql.domain.settings_store import RegistrationSettingsStore
from gql.domain.signing_keys import SigningKeys
from gql.domain.tokens import SignedTokens

if TYPE_CHECKING:  # the feed reads the events module, which (through the outbox) reads this one
    from gql.domain.event_feed import EventFeed


@dataclass
class Services:
    config: Config
    hasher: PasswordHasher
    tokens: SignedTokens
    # The keys that sign access tokens (gql/domain/signing_keys.py), re-read now and then.
    signing_keys: SigningKeys
    # The stored registration settings (gql/domain/settings_store.py), cached briefly per process.
    registration_settings: RegistrationSettingsStore
    # Per-address token buckets (gql/domain/ratelimit.py), shared by every process.
    rate_limits: RateLimits
    # The one codec of every listing's pagination cursors (gql/domain/cursors.py).
    cursors: Cursors
    # Audit events: written, published across processes, and fanned out to this process's subscribers.
    event_feed: EventFeed
    # Speaks to external sign-in providers, caching their discovery documents and keys (gql/domain/external_providers.py).
    external: ProviderClient
    # The time the lockout, the rate limits and the outbox go by (gql/domain/clock.py).
    clock: Clock = field(default_factory=SystemClock)
    # Set once outbox rows this process wrote are committed, so its worker looks sooner than its poll.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # When this process next deletes expired sessions (gql/domain/sessions.py), by the clock above.
    session_sweep: Every = field(default_factory=lambda: Every(SESSION_SWEEP_SECONDS))

    @classmethod
    def from_config(cls, config: Config, clock: Clock | None = None) -> Services:
        from gql.db.event_channel import channel_for
        from gql.domain.event_feed import EventFeed

        clock = clock or SystemClock()
        return cls(
            config=config,
            hasher=PasswordHasher(config.bcrypt_cost, config.hash_threads),
            tokens=SignedTokens(config.secret_key),
            signing_keys=SigningKeys(config),
            registration_settings=RegistrationSettingsStore(config.registration, config.settings_cache_seconds),
            cursors=Cursors(config.secret_key),
            rate_limits=RateLimits(config, clock=clock),
            event_feed=EventFeed(
                channel_for(config.database_url, config.redis_url, config.redis_prefix, config.event_poll_seconds),
                config.subscription_queue_size,
            ),
            external=ProviderClient(SecretBox(config.secret_key)),
            clock=clock,
        )

    def outbox_written(self) -> None:
        self.outbox_wakeup.set()

    def close(self) -> None:
        self.hasher.close()
