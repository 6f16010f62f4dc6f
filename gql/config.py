"""The server's configuration: environment variables, all prefixed ``MEMBERS_``.

Each setting is declared once, as a field of ``Config``: its name, type, default, the variable
it is read from, how that variable is parsed and what it means. ``load_config`` and the
configuration table of docs/configuration.md (kept equal by ``tests/unit/test_readme_config.py``)
both follow from the declarations. The registration settings a fresh database starts with are declared with the
registration settings themselves (``gql/domain/registration_settings.py``) and read the same way.

Read once at start-up into a frozen ``Config``; nothing else in the package reads ``os.environ``,
so tests build their own ``Config`` and pass it in.

A setting declared ``secret=True`` (the keys, and the URLs that may carry a password) may instead
be read from a file named by ``MEMBERS_<NAME>_FILE`` (systemd credentials, Docker and Kubernetes
secrets), so the secret is in no process environment; ``environment_value`` is the one place that
reads either.

Why not pydantic-settings: it would add pydantic and its compiled core for some forty values,
and half of them need parsing of their own anyway (``on``/``off``/a scale, CIDR lists, values
derived from others such as the webhook secret); a dataclass with field metadata keeps one
declaration per setting with nothing new to install.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from gql.domain.registration_settings import RegistrationSettings
from gql.domain.statuses import SessionLimitPolicy
from gql.languages import LANGUAGES, SOURCE_LANGUAGE

PREFIX = "MEMBERS_"
# MEMBERS_<NAME>_FILE: the file a secret setting is read from instead (see environment_value).
FILE_SUFFIX = "_FILE"
# The shortest MEMBERS_SECRET_KEY anywhere, and the shortest MEMBERS_ADMIN_API_KEY in production:
# a key an attacker could guess online or offline is no key.
MIN_KEY_LENGTH = 32
ENVIRONMENTS = ("development", "production", "test")


class ConfigError(ValueError):
    """A ``MEMBERS_*`` variable has a value the server cannot use."""


Parse = Callable[[str, str], Any]  # (the variable's text, its full name) -> the value


def text(value: str, name: str) -> str:
    return value


def boolean(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def integer(low: int, high: int) -> Parse:
    def parse(value: str, name: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, not {value!r}") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, not {number}")
        return number

    return parse


def number(low: float, high: float) -> Parse:
    def parse(value: str, name: str) -> float:
        try:
            result = float(value)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {value!r}") from None
        if not low <= result <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, not {result}")
        return result

    return parse


def choice(*options: str) -> Parse:
    def parse(value: str, name: str) -> str:
        lowered = value.strip().lower()
        if lowered not in options:
            raise ConfigError(f"{name} must be {', '.join(options[:-1])} or {options[-1]}, not {value!r}")
        return lowered

    return parse


def enum_of(kind: type[Enum]) -> Parse:
    def parse(value: str, name: str) -> Enum:
        try:
            return kind(value.strip().upper())
        except ValueError:
            raise ConfigError(f"{name} must be one of {', '.join(m.value for m in kind)}, not {value!r}") from None

    return parse


# The asymmetric algorithms access tokens may be signed with (gql/domain/signing_keys.py).
SIGNING_ALGORITHMS = ("ES256", "EdDSA")


def signing_algorithm(value: str, name: str) -> str:
    for algorithm in SIGNING_ALGORITHMS:
        if value.strip().lower() == algorithm.lower():
            return algorithm
    raise ConfigError(f"{name} must be {' or '.join(SIGNING_ALGORITHMS)}, not {value!r}")


def listing(value: str, name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def networks(value: str, name: str) -> tuple[str, ...]:
    items = listing(value, name)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"{name} must list IP addresses or networks, not {item!r}") from None
    return items


def redacted_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return parts._replace(netloc=f"{user}:***@{netloc[1]}").geturl()


def url_base(value: str, name: str) -> str:
    return value.rstrip("/")


def web_address(value: str, name: str) -> str:
    """An absolute http(s) URL: pages and mails (read anywhere) link to it."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an absolute http:// or https:// URL, not {value!r}")
    return value.strip()


def colour(value: str, name: str) -> str:
    """``#rrggbb`` (or ``#rgb``), kept as lower-case ``#rrggbb``."""
    lowered = value.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", lowered):
        lowered = "#" + "".join(c * 2 for c in lowered[1:])
    if not re.fullmatch(r"#[0-9a-f]{6}", lowered):
        raise ConfigError(f"{name} must be a colour written #rrggbb (or #rgb), not {value!r}")
    return lowered


def directory(value: str, name: str) -> str:
    if not Path(value).is_dir():
        raise ConfigError(f"{name} must name an existing directory, not {value!r}")
    return value


def rate_limit_scale(value: str, name: str) -> float:
    lowered = value.strip().lower()
    if lowered in {"off", "false", "no", "0"}:
        return 0.0
    if lowered in {"on", "true", "yes"}:
        return 1.0
    try:
        scale = float(lowered)
    except ValueError:
        raise ConfigError(f"{name} must be on, off or a scale factor such as 2 or 0.5, not {value!r}") from None
    if not 0 <= scale <= 10_000:
        raise ConfigError(f"{name} scale must be between 0 and 10000, not {scale}")
    return scale


def setting(
    default: Any,
    description: str,
    parse: Parse = text,
    *,
    variable: str | None = None,
    shown_default: str | None = None,
    secret: bool = False,
) -> Any:
    """A field of ``Config`` read from ``MEMBERS_<variable or NAME>``.

    ``shown_default`` is the configuration table's default column where the default is not a
    plain value (made up at start-up, or derived from another setting). A ``secret`` may be read
    from the file ``MEMBERS_<NAME>_FILE`` names instead."""
    return field(
        default=default,
        metadata={
            "description": description,
            "parse": parse,
            "variable": variable,
            "shown_default": shown_default,
            "secret": secret,
        },
    )


def internal(default: Any, description: str) -> Any:
    """A field of ``Config`` that no variable sets (tests and the server itself set it)."""
    return field(default=default, metadata={"description": description})


@dataclass(frozen=True)
class Config:
    environment: str = setting(
        "development",
        "`development`, `production` or `test`. `production` refuses to start without `MEMBERS_ADMIN_API_KEY` and "
        "`MEMBERS_SECRET_KEY`.",
        choice(*ENVIRONMENTS),
        variable="ENV",
    )
    database_url: str = setting(
        "sqlite://members.sqlite3",
        "`sqlite://<file>` (relative to the working directory) or `postgres://user:password@host:5432/db`.",
        secret=True,
    )
    admin_api_key: str = setting(
        "",
        f"The backend key, sent as the `X-Api-Key` header; at least {MIN_KEY_LENGTH} characters in production.",
        shown_default="printed at start-up: in `development` generated once and kept beside the SQLite file "
        "(`<file>.api-key`, else `.members.api-key`, mode 0600); elsewhere random per start",
        secret=True,
    )
    # True when the key above was made up at start-up (printed so the developer can use it).
    admin_api_key_generated: bool = internal(False, "The admin key was made up at start-up.")
    admin_api_key_file: str = internal("", "Where a generated development admin key is kept (empty: not kept).")
    secret_key: str = setting(
        "",
        f"Signs approval and emailed-link tokens, encrypts cursors and stored signing keys; at least "
        f"{MIN_KEY_LENGTH} characters. Changing it invalidates outstanding links and cursors, and replaces the "
        "stored access-token signing key (sessions stay).",
        shown_default="generated, kept beside the SQLite file (`<file>.secret`, else `.members.secret`)",
        secret=True,
    )
    host: str = setting("127.0.0.1", "Address `python -m gql serve` listens on (`--host` overrides).")
    port: int = setting(8000, "Port `python -m gql serve` listens on (`--port` overrides).", integer(0, 65535))
    bcrypt_cost: int = setting(12, "bcrypt work factor, 4 to 31 (the tests use 4).", integer(4, 31))
    # Threads that may hash at once; 0 means one per core (hashing is CPU-bound).
    hash_threads: int = setting(
        0, "Threads that may hash passwords at once; `0` means one per CPU core.", integer(0, 256)
    )
    # --- sessions and access tokens (docs/sessions.md) ---
    session_ttl_seconds: int = setting(
        30 * 24 * 3600,
        "Lifetime of a session, in seconds (30 days): one opened with `stayLoggedIn: true` (and a guest's) lasts "
        "this long; no session lasts longer.",
        integer(60, 10**9),
    )
    session_idle_seconds: int = setting(
        2 * 3600,
        "A session not kept logged in ends after this many seconds without a request (2 hours; activity is "
        "recorded at most once a minute).",
        integer(60, 10**9),
    )
    max_sessions: int = setting(50, "Most sessions one member may hold at once.", integer(1, 1000))
    session_limit_policy: SessionLimitPolicy = setting(
        SessionLimitPolicy.END_OLDEST,
        "Past `MEMBERS_MAX_SESSIONS`: `END_OLDEST` (the new session opens, the oldest end) or `REFUSE` (`login` "
        "answers 3217 until a session ends).",
        enum_of(SessionLimitPolicy),
    )
    access_token_ttl_seconds: int = setting(
        900, "Lifetime of an access token from `issueAccessToken`, in seconds (15 minutes).", integer(1, 86400)
    )
    access_token_algorithm: str = setting(
        "ES256",
        "Algorithm of new signing keys: `ES256` (P-256, the widest support) or `EdDSA` (Ed25519).",
        signing_algorithm,
    )
    access_token_audiences: tuple[str, ...] = setting(
        (),
        "Comma-separated audiences `issueAccessToken` may name; none means any (the default audience is the "
        "issuer, `MEMBERS_PUBLIC_URL`).",
        listing,
        shown_default="any",
    )
    signing_key_refresh_seconds: float = setting(
        60.0,
        "How often each process re-reads the signing keys; a rotated-in key is published this long twice over "
        "before it signs.",
        number(0, 3600),
    )
    # The registration settings a fresh database starts with, one variable each
    # (gql/domain/registration_settings.py declares them).
    registration: RegistrationSettings = field(default_factory=RegistrationSettings, metadata={"nested": True})
    settings_cache_seconds: float = setting(
        2.0,
        "How long each process trusts its copy of the stored registration settings.",
        number(0, 3600),
    )
    # --- GraphQL and HTTP limits (docs/SECURITY.md) ---
    max_query_depth: int = setting(10, "Deepest selection a query may have.", integer(2, 100))
    max_aliases: int = setting(15, "Most aliases a query may use.", integer(1, 1000))
    max_tokens: int = setting(1000, "Most lexical tokens a query document may have.", integer(50, 1_000_000))
    max_list_items: int = setting(100, "Longest list a request may pass as an argument.", integer(1, 100_000))
    max_body_bytes: int = setting(100_000, "Largest request body, in bytes.", integer(1024, 100_000_000))
    introspection: bool = setting(
        True,
        'Schema introspection and "Did you mean" hints (GraphiQL\'s Docs panel and completion need them).',
        boolean,
        shown_default="on in `development` only",
    )
    cors_origins: tuple[str, ...] = setting(
        (), "Comma-separated origins allowed to call the API from a browser.", listing, shown_default="none"
    )
    # External sign-in (gql/domain/external_login.py).
    external_redirect_uris: tuple[str, ...] = setting(
        (),
        "Comma-separated redirect URIs startExternalLogin accepts (exactly: scheme, host, port, path and query); "
        "any other is refused with 3225.",
        listing,
        shown_default="none",
    )
    # Passkeys (WebAuthn, gql/domain/passkeys.py).
    webauthn_rp_id: str = setting(
        "",
        "The WebAuthn relying-party id passkeys are bound to: the site's registrable domain (no scheme, no port).",
        shown_default="the host of `MEMBERS_PUBLIC_URL`, else `localhost`",
    )
    webauthn_rp_name: str = setting(
        "", "The relying-party name browsers show for passkeys.", shown_default="the site name"
    )
    webauthn_origins: tuple[str, ...] = setting(
        (),
        "Comma-separated origins (`https://host[:port]`) whose passkey ceremonies are accepted; any other is refused "
        "with 3245.",
        listing,
        shown_default="the origin of `MEMBERS_PUBLIC_URL`, else `http://localhost:<port>`",
    )
    # Persisted queries (gql/api/persisted_queries.py).
    persisted_queries: str = setting(
        "apq",
        "Persisted queries: `apq` (Apollo's automatic persisted queries, a bounded cache; in Redis with "
        "`MEMBERS_REDIS_URL`), `safelist` (only the manifest's documents run) or `off`.",
        choice("apq", "safelist", "off"),
    )
    persisted_queries_manifest: str = setting(
        "",
        'The safelist: GraphQL Code Generator\'s `persisted-documents.json` (`{"<sha256>": "<document>"}`).',
        shown_default="none",
    )
    # --- abuse resistance (docs/SECURITY.md) ---
    rate_limit_scale: float = setting(
        1.0,
        "Per-address rate limits: `on`, `off`, or a scale factor such as `2` or `0.5`.",
        rate_limit_scale,
        variable="RATE_LIMITS",
        shown_default="`on`",
    )
    redis_url: str | None = setting(
        None,
        "Keep rate-limit state and persisted queries in Redis instead of the database; it also carries live member "
        "events between processes (subscriptions).",
        shown_default="none",
        secret=True,
    )
    redis_prefix: str = setting("members:", "Prefix of those Redis keys.")
    trusted_proxies: tuple[str, ...] = setting(
        (), "Comma-separated IPs or networks whose `X-Forwarded-For` is believed.", networks, shown_default="none"
    )
    lockout_threshold: int = setting(
        10,
        "Consecutive failed logins from one client address before that address is locked out of the account (3036).",
        integer(1, 100),
    )
    lockout_seconds: int = setting(60, "First lockout; doubles with every further failure…", integer(1, 86400))
    lockout_max_seconds: int = setting(900, "…up to this.", integer(1, 86400))
    lockout_addresses: int = setting(
        5,
        "Client addresses that must be locked out of one account at once before it locks for everyone.",
        integer(1, 1000),
    )
    # --- the member pages and the mails: branding, templates, language (gql/templating.py) ---
    site_name: str = setting("Members", "Name used in emails and link pages.")
    site_url: str = setting(
        "",
        "The site's own address: pages and mails link back to it.",
        web_address,
        shown_default="none (no link back)",
    )
    logo_url: str = setting(
        "",
        "Absolute URL of the site's logo, shown atop the pages and the HTML mails (the pages' Content-Security-"
        "Policy allows images from its origin only).",
        web_address,
        shown_default="none",
    )
    accent_color: str = setting(
        "#1d4ed8",
        "The site's accent colour, `#rrggbb`: buttons, links, focus rings. Text on it is black or white, "
        "whichever contrasts more; as link text on the white page it is darkened as far as needed for a 4.5:1 "
        "contrast.",
        colour,
    )
    language: str = setting(
        SOURCE_LANGUAGE,
        f"Language of the pages and the mails: {', '.join(f'`{lang}`' for lang in LANGUAGES)} (one gettext "
        "catalogue each in `gql/translations/`).",
        choice(*LANGUAGES),
    )
    templates_dir: str = setting(
        "",
        "A directory of templates searched before the built-in ones (`gql/templates/`): a file there with the "
        "path of a built-in template replaces it.",
        directory,
        shown_default="none",
    )
    # --- mail and webhooks (delivered from the outbox by the worker every server runs) ---
    public_url: str = setting("", "Base of the links in emails.", url_base, shown_default="`http://<host>:<port>`")
    smtp_url: str = setting(
        "",
        "`smtp://user:pass@host:587?starttls=true` or `smtps://host:465`.",
        shown_default="none (mail is logged)",
        secret=True,
    )
    mail_from: str = setting("members@localhost", "Sender of the emails.")
    webhook_url: str = setting("", "Where member events are POSTed.", shown_default="none")
    webhook_secret: str = setting("", "Signs the webhook requests.", shown_default="the secret key", secret=True)
    outbox_poll_seconds: float = setting(
        1.0, "How often each process looks for mail and webhooks due (besides being woken).", number(0.01, 3600)
    )
    outbox_max_attempts: int = setting(8, "Delivery attempts before a message is given up.", integer(1, 100))
    admin_notification_emails: tuple[str, ...] = setting(
        (),
        "Comma-separated addresses told by mail when a member registers and waits for approval (the console's "
        "front page counts them too).",
        listing,
        shown_default="none",
    )
    # --- the admin console (/console) ---
    console_idle_seconds: int = setting(
        900,
        "The admin console signs out after this many seconds without a request (15 minutes); a console sign-in "
        "lasts 12 hours at most.",
        integer(1, 86400),
    )
    # --- subscriptions over WebSocket (gql/api/websocket.py, docs/subscriptions.md) ---
    # Per process: each socket holds a task and a queue per subscription here, and a count shared
    # by all processes would outlive a crashed one.
    subscription_connections_per_address: int = setting(
        10,
        "Open subscription WebSockets one client address may hold on one server process; one more is closed with "
        '4429, reason "3207 …". See [subscriptions](subscriptions.md#limits).',
        integer(1, 100_000),
    )
    subscriptions_per_connection: int = setting(
        20,
        "Operations one WebSocket may run at once; one more is answered with an `error` carrying code 3207.",
        integer(1, 10_000),
    )
    subscription_init_timeout_seconds: int = setting(
        10, "Seconds a new WebSocket has to send `connection_init` (else closed with 4408).", integer(1, 3600)
    )
    subscription_queue_size: int = setting(
        100,
        "Events that may wait for one subscriber; a subscriber that falls further behind is disconnected (1013).",
        integer(1, 100_000),
    )
    # How often each process reads new member_event rows on SQLite without Redis, while someone subscribes.
    event_poll_seconds: float = internal(0.2, "The SQLite event tail's poll interval.")

    @property
    def link_base(self) -> str:
        """Where emailed links point: MEMBERS_PUBLIC_URL, else this server's own address."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def passkey_rp_id(self) -> str:
        """The relying-party id: MEMBERS_WEBAUTHN_RP_ID, else the public URL's host, else localhost."""
        return self.webauthn_rp_id or urlsplit(self.public_url).hostname or "localhost"

    @property
    def passkey_rp_name(self) -> str:
        return self.webauthn_rp_name or self.site_name

    @property
    def passkey_origins(self) -> tuple[str, ...]:
        """The origins a passkey ceremony may come from: MEMBERS_WEBAUTHN_ORIGINS, else the public URL's
        origin, else this server on localhost."""
        if self.webauthn_origins:
            return self.webauthn_origins
        if self.public_url:
            parts = urlsplit(self.public_url)
            return (f"{parts.scheme}://{parts.netloc}",)
        return (f"http://localhost:{self.port}",)

    @property
    def database_shown(self) -> str:
        """The database URL as the server prints it: without its password (the URL may come from a
        secret file precisely so that the password is nowhere else, a log included)."""
        return redacted_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@dataclass(frozen=True)
class Variable:
    """One environment variable: where its value goes, how it is parsed, what docs/configuration.md says."""

    name: str  # MEMBERS_…
    field: str  # the Config field, or "registration.<field>"
    parse: Parse
    default: str
    description: str
    secret: bool = False  # may also come from the file MEMBERS_…_FILE names

    @property
    def file_variable(self) -> str | None:
        return self.name + FILE_SUFFIX if self.secret else None


def _shown(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`"


def _parser_of(kind: Any) -> Parse:
    if kind is bool:
        return boolean
    if kind is int:
        return integer(-(2**31), 2**31)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return enum_of(kind)
    return text


def variables() -> Iterator[Variable]:
    """Every variable the server reads, in the order of the declarations."""
    for item in dataclasses.fields(Config):
        if item.metadata.get("nested"):
            hints = get_type_hints(RegistrationSettings)
            for option in dataclasses.fields(RegistrationSettings):
                name = option.metadata.get("variable")
                if name:
                    yield Variable(
                        PREFIX + name,
                        f"registration.{option.name}",
                        _parser_of(hints[option.name]),
                        _shown(option.default),
                        f"Fresh-database setting: {option.metadata['description']}",
                    )
        elif "parse" in item.metadata:
            meta = item.metadata
            yield Variable(
                PREFIX + (meta["variable"] or item.name.upper()),
                item.name,
                meta["parse"],
                meta["shown_default"] or _shown(item.default),
                meta["description"],
                meta["secret"],
            )


def environment_value(env: Mapping[str, str], variable: Variable) -> str | None:
    """The text of ``variable``: ``MEMBERS_<NAME>``, or for a secret the content of the file
    ``MEMBERS_<NAME>_FILE`` names (one trailing newline dropped, as ``echo`` and editors add
    one); None when neither is set. Both set is an error: which one wins would be a guess."""
    direct = env.get(variable.name) or None
    path = env.get(variable.file_variable) if variable.file_variable else None
    if not path:
        return direct
    if direct is not None:
        raise ConfigError(f"set {variable.name} or {variable.file_variable}, not both")
    try:
        content = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ConfigError(f"{variable.file_variable}: cannot read {path}: {reason}") from None
    value = content.removesuffix("\n").removesuffix("\r")
    if not value:
        raise ConfigError(f"{variable.file_variable}: {path} is empty")
    return value


def variable_named(name: str) -> Variable:
    """The declared variable ``MEMBERS_<name>``."""
    for variable in variables():
        if variable.name == PREFIX + name:
            return variable
    raise KeyError(name)


def readme_table() -> str:
    """The configuration table of docs/configuration.md, as the declarations say it."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for v in variables():
        name = f"`{v.name}`" + (f" or `{v.file_variable}`" if v.file_variable else "")
        rows.append(f"| {name} | {v.default} | {v.description} |")
    return "\n".join(rows)


def _secret_file_for(database_url: str) -> Path:
    """Where a development secret is kept: beside the SQLite file, so restarts keep tokens valid."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        db_path = Path(database_url.removeprefix("sqlite://"))
        return db_path.with_name(db_path.name + ".secret")
    return Path(".members.secret")


def _development_secret(database_url: str) -> str:
    return _kept_secret(_secret_file_for(database_url), 48)


def _api_key_file_for(database_url: str) -> Path:
    """Where the development admin key is kept: beside the secret (``<file>.api-key``)."""
    secret_file = _secret_file_for(database_url)
    return secret_file.with_name(secret_file.name.removesuffix(".secret") + ".api-key")


def _kept_secret(path: Path, size: int) -> str:
    """The secret in ``path``, made (owner-only, mode 0600) the first time."""
    if path.exists():
        kept = path.read_text().strip()
        if kept:
            return kept
    secret = secrets.token_urlsafe(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(secret)
    return secret


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """The configuration the environment gives: each declared variable parsed, then the rules that
    tie settings together (keys in production, derived defaults)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    registration: dict[str, Any] = {}
    for variable in variables():
        raw = environment_value(env, variable)
        if raw is None:
            continue
        value = variable.parse(raw, variable.name)
        if variable.field.startswith("registration."):
            registration[variable.field.removeprefix("registration.")] = value
        else:
            values[variable.field] = value
    environment = values.get("environment", Config.environment)
    values.setdefault("introspection", environment == "development")
    values["registration"] = dataclasses.replace(RegistrationSettings(), **registration)
    admin_api_key, secret_key = values.get("admin_api_key"), values.get("secret_key")
    if environment == "production":
        missing = [n for n, v in (("ADMIN_API_KEY", admin_api_key), ("SECRET_KEY", secret_key)) if not v]
        if missing:
            raise ConfigError("production needs " + " and ".join(PREFIX + m for m in missing))
        if len(admin_api_key or "") < MIN_KEY_LENGTH:
            raise ConfigError(f"{PREFIX}ADMIN_API_KEY must be at least {MIN_KEY_LENGTH} characters in production")
    if not admin_api_key:
        values["admin_api_key"], values["admin_api_key_generated"] = secrets.token_urlsafe(24), True
        if environment == "development":  # one key across restarts: GraphiQL's saved header keeps working
            key_file = _api_key_file_for(values.get("database_url", Config.database_url))
            values["admin_api_key"], values["admin_api_key_file"] = _kept_secret(key_file, 24), str(key_file)
    if not secret_key:
        values["secret_key"] = secret_key = _development_secret(values.get("database_url", Config.database_url))
    if len(secret_key) < MIN_KEY_LENGTH:
        raise ConfigError(f"{PREFIX}SECRET_KEY must be at least {MIN_KEY_LENGTH} characters")
    values.setdefault("webhook_secret", secret_key)
    if values.get("persisted_queries") == "safelist" and not values.get("persisted_queries_manifest"):
        raise ConfigError(
            f"{PREFIX}PERSISTED_QUERIES=safelist needs {PREFIX}PERSISTED_QUERIES_MANIFEST (persisted-documents.json)"
        )
    return Config(**values)
