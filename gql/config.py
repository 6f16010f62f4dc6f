"""Settings from environment variables, all prefixed ``MEMBERS_``.

Read once at start-up into a frozen ``Settings``; nothing else in the package
reads ``os.environ``, so tests build their own ``Settings`` and pass it in.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gql.domain.statuses import ApprovalMode

PREFIX = "MEMBERS_"
# The shortest MEMBERS_SECRET_KEY anywhere, and the shortest MEMBERS_ADMIN_API_KEY in production:
# a key an attacker could guess online or offline is no key.
MIN_KEY_LENGTH = 32


class ConfigError(ValueError):
    """A ``MEMBERS_*`` variable has a value the server cannot use."""


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{PREFIX}{name} must be true or false, not {value!r}")


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be an integer, not {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{PREFIX}{name} must be between {low} and {high}, not {number}")
    return number


@dataclass(frozen=True)
class RegistrationDefaults:
    """Registration settings a fresh database starts with (then stored and edited there)."""

    enabled: bool = True
    approval: ApprovalMode = ApprovalMode.AUTOMATIC
    email_confirmation: bool = False
    dynamic_properties: bool = True
    identity_property: str = "email"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://members.sqlite3"
    environment: str = "development"
    admin_api_key: str = ""
    # True when the key above was made up at start-up (printed so the developer can use it).
    admin_api_key_generated: bool = False
    secret_key: str = ""
    bcrypt_cost: int = 12
    # Threads that may hash at once; 0 means one per core (hashing is CPU-bound).
    hash_threads: int = 0
    session_ttl_seconds: int = 30 * 24 * 3600
    host: str = "127.0.0.1"
    port: int = 8000
    max_query_depth: int = 10
    max_aliases: int = 15
    # How long one process trusts its copy of the registration settings row.
    settings_cache_seconds: float = 2.0
    # Mail and webhooks (delivered from the outbox by the worker started with the server).
    site_name: str = "Members"
    public_url: str = ""  # base of the links in emails; empty: http://<host>:<port>
    smtp_url: str = ""  # smtp://user:pass@host:587?starttls=true, smtps://host:465; empty: log mail (development)
    mail_from: str = "members@localhost"
    webhook_url: str = ""
    webhook_secret: str = ""
    outbox_poll_seconds: float = 1.0
    outbox_max_attempts: int = 8
    registration: RegistrationDefaults = field(default_factory=RegistrationDefaults)
    # --- abuse resistance (docs/SECURITY.md) ---
    # Per-address rate limits: 1.0 = the defaults, 0 = off (MEMBERS_RATE_LIMITS=off), 2.0 = twice as many.
    rate_limit_scale: float = 1.0
    # Rate-limit state in Redis instead of the database (MEMBERS_REDIS_URL), keys under this prefix.
    redis_url: str | None = None
    redis_prefix: str = "members:"
    # Peers (IPs or CIDR networks) whose X-Forwarded-For header is believed.
    trusted_proxies: tuple[str, ...] = ()
    # Lockout (gql/domain/lockout.py): after this many consecutive failures from one address,
    # refuse that address's logins to the account for lockout_seconds, doubling with every
    # further failure up to lockout_max_seconds.
    lockout_threshold: int = 10
    lockout_seconds: int = 60
    lockout_max_seconds: int = 900
    # The lockout counts failures per account *and client address*: one address that keeps
    # failing locks only itself out. The account locks for everyone only while this many
    # addresses are locked out of it at once (docs/SECURITY.md, "Brute force").
    lockout_addresses: int = 5
    # Introspection and "Did you mean" hints (load_settings: on in development only).
    introspection: bool = True
    # Origins allowed to call the API from a browser (CORS); none by default.
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 100_000
    max_tokens: int = 1000
    max_list_items: int = 100
    # Persisted queries (gql/api/persisted_queries.py): apq (Apollo's protocol, a bounded cache;
    # in Redis with redis_url), safelist (only the manifest's documents run) or off.
    persisted_queries: str = "apq"
    # The safelist: GraphQL Code Generator's persisted-documents.json ({"<sha256>": "<document>"}).
    persisted_queries_manifest: str = ""
    # --- subscriptions over WebSocket (gql/api/websocket.py, docs/subscriptions.md) ---
    # Open WebSockets one client address may hold on one server process (each holds a socket,
    # a task and a queue per subscription there; a shared count would outlive a crashed process).
    subscription_connections_per_address: int = 10
    # Operations one WebSocket may run at once.
    subscriptions_per_connection: int = 20
    # Seconds a new WebSocket has to send connection_init before it is closed (4408).
    subscription_init_timeout_seconds: int = 10
    # Events that may wait for one subscriber; one more and the subscriber is closed as too slow.
    subscription_queue_size: int = 100
    # How often each process reads new member_event rows on SQLite without Redis, while someone subscribes.
    event_poll_seconds: float = 0.2

    @property
    def link_base(self) -> str:
        """Where emailed links point: MEMBERS_PUBLIC_URL, else this server's own address."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _rate_limit_scale(value: str) -> float:
    lowered = value.strip().lower()
    if lowered in {"off", "false", "no", "0"}:
        return 0.0
    if lowered in {"on", "true", "yes"}:
        return 1.0
    try:
        scale = float(lowered)
    except ValueError:
        raise ConfigError(
            f"{PREFIX}RATE_LIMITS must be on, off or a scale factor such as 2 or 0.5, not {value!r}"
        ) from None
    if not 0 <= scale <= 10_000:
        raise ConfigError(f"{PREFIX}RATE_LIMITS scale must be between 0 and 10000, not {scale}")
    return scale


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _trusted_proxies(value: str | None) -> tuple[str, ...]:
    import ipaddress

    proxies = _list(value)
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(f"{PREFIX}TRUSTED_PROXIES must list IP addresses or networks, not {proxy!r}") from None
    return proxies


def _persisted_queries(mode: str, manifest: str | None) -> tuple[str, str]:
    mode = mode.strip().lower()
    if mode not in {"apq", "safelist", "off"}:
        raise ConfigError(f"{PREFIX}PERSISTED_QUERIES must be apq, safelist or off, not {mode!r}")
    if mode == "safelist" and not manifest:
        raise ConfigError(
            f"{PREFIX}PERSISTED_QUERIES=safelist needs {PREFIX}PERSISTED_QUERIES_MANIFEST (persisted-documents.json)"
        )
    return mode, manifest or ""


def _secret_file_for(database_url: str) -> Path:
    """Where a development secret is kept: beside the SQLite file, so restarts keep tokens valid."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        db_path = Path(database_url.removeprefix("sqlite://"))
        return db_path.with_name(db_path.name + ".secret")
    return Path(".members.secret")


def _development_secret(database_url: str) -> str:
    path = _secret_file_for(database_url)
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(PREFIX + name)
        return value if value not in (None, "") else None

    environment = (get("ENV") or "development").lower()
    if environment not in {"development", "production", "test"}:
        raise ConfigError(f"{PREFIX}ENV must be development, production or test")
    database_url = get("DATABASE_URL") or Settings.database_url

    admin_api_key = get("ADMIN_API_KEY")
    secret_key = get("SECRET_KEY")
    generated = False
    if environment == "production":
        missing = [n for n, v in (("ADMIN_API_KEY", admin_api_key), ("SECRET_KEY", secret_key)) if not v]
        if missing:
            raise ConfigError("production needs " + " and ".join(PREFIX + m for m in missing))
        if len(admin_api_key or "") < MIN_KEY_LENGTH:
            raise ConfigError(f"{PREFIX}ADMIN_API_KEY must be at least {MIN_KEY_LENGTH} characters in production")
    if not admin_api_key:
        admin_api_key, generated = secrets.token_urlsafe(24), True
    if not secret_key:
        secret_key = _development_secret(database_url)
    if len(secret_key) < MIN_KEY_LENGTH:
        raise ConfigError(f"{PREFIX}SECRET_KEY must be at least {MIN_KEY_LENGTH} characters")

    try:
        approval = ApprovalMode((get("APPROVAL") or ApprovalMode.AUTOMATIC).upper())
    except ValueError:
        raise ConfigError(f"{PREFIX}APPROVAL must be one of {', '.join(ApprovalMode)}") from None
    persisted_queries, manifest = _persisted_queries(
        get("PERSISTED_QUERIES") or "apq", get("PERSISTED_QUERIES_MANIFEST")
    )
    defaults = RegistrationDefaults(
        enabled=_bool(get("REGISTRATION_ENABLED") or "true", "REGISTRATION_ENABLED"),
        approval=approval,
        email_confirmation=_bool(get("EMAIL_CONFIRMATION") or "false", "EMAIL_CONFIRMATION"),
        dynamic_properties=_bool(get("DYNAMIC_PROPERTIES") or "true", "DYNAMIC_PROPERTIES"),
        identity_property=get("IDENTITY_PROPERTY") or "email",
    )
    return Settings(
        database_url=database_url,
        environment=environment,
        admin_api_key=admin_api_key,
        admin_api_key_generated=generated,
        secret_key=secret_key,
        bcrypt_cost=_int(get("BCRYPT_COST") or "12", "BCRYPT_COST", 4, 31),
        hash_threads=_int(get("HASH_THREADS") or "0", "HASH_THREADS", 0, 256),
        session_ttl_seconds=_int(get("SESSION_TTL_SECONDS") or str(30 * 24 * 3600), "SESSION_TTL_SECONDS", 60, 10**9),
        host=get("HOST") or "127.0.0.1",
        port=_int(get("PORT") or "8000", "PORT", 0, 65535),
        max_query_depth=_int(get("MAX_QUERY_DEPTH") or "10", "MAX_QUERY_DEPTH", 2, 100),
        max_aliases=_int(get("MAX_ALIASES") or "15", "MAX_ALIASES", 1, 1000),
        site_name=get("SITE_NAME") or "Members",
        public_url=(get("PUBLIC_URL") or "").rstrip("/"),
        smtp_url=get("SMTP_URL") or "",
        mail_from=get("MAIL_FROM") or "members@localhost",
        webhook_url=get("WEBHOOK_URL") or "",
        webhook_secret=get("WEBHOOK_SECRET") or secret_key,
        registration=defaults,
        rate_limit_scale=_rate_limit_scale(get("RATE_LIMITS") or "on"),
        redis_url=get("REDIS_URL"),
        redis_prefix=get("REDIS_PREFIX") or "members:",
        trusted_proxies=_trusted_proxies(get("TRUSTED_PROXIES")),
        lockout_threshold=_int(get("LOCKOUT_THRESHOLD") or "10", "LOCKOUT_THRESHOLD", 1, 100),
        lockout_seconds=_int(get("LOCKOUT_SECONDS") or "60", "LOCKOUT_SECONDS", 1, 86400),
        lockout_max_seconds=_int(get("LOCKOUT_MAX_SECONDS") or "900", "LOCKOUT_MAX_SECONDS", 1, 86400),
        lockout_addresses=_int(get("LOCKOUT_ADDRESSES") or "5", "LOCKOUT_ADDRESSES", 1, 1000),
        introspection=_bool(get("INTROSPECTION") or str(environment == "development"), "INTROSPECTION"),
        cors_origins=_list(get("CORS_ORIGINS")),
        max_body_bytes=_int(get("MAX_BODY_BYTES") or "100000", "MAX_BODY_BYTES", 1024, 100_000_000),
        max_tokens=_int(get("MAX_TOKENS") or "1000", "MAX_TOKENS", 50, 1_000_000),
        max_list_items=_int(get("MAX_LIST_ITEMS") or "100", "MAX_LIST_ITEMS", 1, 100_000),
        persisted_queries=persisted_queries,
        persisted_queries_manifest=manifest,
        subscription_connections_per_address=_int(
            get("SUBSCRIPTION_CONNECTIONS_PER_ADDRESS") or "10", "SUBSCRIPTION_CONNECTIONS_PER_ADDRESS", 1, 100_000
        ),
        subscriptions_per_connection=_int(
            get("SUBSCRIPTIONS_PER_CONNECTION") or "20", "SUBSCRIPTIONS_PER_CONNECTION", 1, 10_000
        ),
        subscription_init_timeout_seconds=_int(
            get("SUBSCRIPTION_INIT_TIMEOUT_SECONDS") or "10", "SUBSCRIPTION_INIT_TIMEOUT_SECONDS", 1, 3600
        ),
        subscription_queue_size=_int(get("SUBSCRIPTION_QUEUE_SIZE") or "100", "SUBSCRIPTION_QUEUE_SIZE", 1, 100_000),
    )
