"""Command line: ``python -m gql serve | migrate | export-schema | create-api-key | rotate-signing-key |
install-playground``; the installed package's ``members-graphql`` console script is this same ``main``
(pyproject.toml's ``[project.scripts]``)."""

from __future__ import annotations

import argparse
import asyncio
import copy
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gql.config import Config


def _program() -> str:
    """How this command was called, for its usage lines: ``python -m gql`` or the console script's name."""
    called = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return "python -m gql" if called in ("", "__main__.py", "-m", "-c") else called


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=_program(), description="Members GraphQL server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (migrates SQLite databases at start-up)")
    serve.add_argument("--host", help="default MEMBERS_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default MEMBERS_PORT or 8000")
    commands.add_parser("migrate", help="apply pending database migrations")
    commands.add_parser(
        "install-playground",
        help="npm ci GraphiQL's pinned packages into gql/playground/node_modules (nothing when the lock is unchanged)",
    )
    rotate = commands.add_parser(
        "rotate-signing-key",
        help="add a new access-token signing key: published at once, signing once every process has it",
    )
    rotate.add_argument("--algorithm", choices=("ES256", "EdDSA"), help="default MEMBERS_ACCESS_TOKEN_ALGORITHM")
    rotate.add_argument(
        "--private-key-file",
        type=Path,
        help="use the unencrypted PEM private key (EC P-256 or Ed25519) in this file, which every server process "
        "reads at this path, instead of a new key stored encrypted in the database",
    )
    export = commands.add_parser("export-schema", help="print the GraphQL SDL (or write it with --output)")
    export.add_argument("--output", "-o", type=Path)
    export.add_argument(
        "--possible-types", type=Path, help="also write Apollo Client's possibleTypes (unions and interfaces) here"
    )
    key = commands.add_parser(
        "create-api-key", help="make a scoped API key (printed once), e.g. the first one of a new deployment"
    )
    key.add_argument("--name", required=True, help="what the key is for")
    key.add_argument(
        "--permission", action="append", default=[], help="a permission it holds (repeat), e.g. MEMBERS_READ"
    )
    key.add_argument("--all", action="store_true", help="every permission")
    key.add_argument("--site-permission", action="append", default=[], help="a site permission it carries (repeat)")
    args = parser.parse_args(argv)

    if args.command == "install-playground":
        from gql.playground import InstallError, install

        try:
            print(install())
        except InstallError as exc:
            print(f"install-playground: {exc}", file=sys.stderr)
            return 1
        return 0

    if args.command == "export-schema":
        from gql.schema import possible_types_json, schema_sdl

        sdl = schema_sdl()
        if args.output:
            args.output.write_text(sdl)
        else:
            sys.stdout.write(sdl)
        if args.possible_types:
            args.possible_types.write_text(possible_types_json())
        return 0

    from dataclasses import replace

    from gql.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    if args.command == "create-api-key":
        return asyncio.run(_create_api_key(config, args))

    if args.command == "migrate":
        from gql.db.setup import migrate

        asyncio.run(migrate(config.database_url))
        print(f"migrations applied to {config.database_shown}")
        return 0

    if args.command == "rotate-signing-key":
        from gql.domain.signing_keys import SigningKeyError

        try:
            print(asyncio.run(_rotate(config, args.algorithm, args.private_key_file)))
        except SigningKeyError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    import uvicorn

    from gql.app import create_app

    config = replace(config, host=args.host or config.host, port=args.port if args.port is not None else config.port)
    # The port first: a start that cannot listen says so and ends before printing any key
    # (uvicorn would run the app's start-up, banner included, before binding).
    try:
        listening = _listen(config.host, config.port)
    except OSError as exc:
        print(
            f"error: cannot listen on {config.host}:{config.port}: {exc.strerror or exc} "
            "(another server running? --port or MEMBERS_PORT chooses another port)",
            file=sys.stderr,
        )
        return 1
    try:
        app = create_app(config)
    except ConfigError as exc:  # e.g. a persisted-queries manifest that cannot be used
        listening.close()
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1;
    # the app alone decides whom to believe (MEMBERS_TRUSTED_PROXIES, gql/api/limits.py).
    server = uvicorn.Server(uvicorn.Config(app, log_config=logging_config(), log_level="info", proxy_headers=False))
    server.run(sockets=[listening])
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (uvicorn listens on it)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listening = socket.socket(family, kind, proto)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
    except OSError:
        listening.close()
        raise
    return listening


def logging_config() -> dict[str, object]:
    """uvicorn's logging with timestamps, and the server's own INFO lines (``gql.*``: mail in
    development, the worker, warnings) shown by default."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    stamp = "%(asctime)s "
    config["formatters"]["default"]["fmt"] = stamp + "%(levelprefix)s %(message)s"
    config["formatters"]["access"]["fmt"] = stamp + config["formatters"]["access"]["fmt"]
    config["formatters"]["server"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": stamp + "%(levelprefix)s %(name)s: %(message)s",
        "use_colors": None,
    }
    for formatter in config["formatters"].values():
        formatter["datefmt"] = "%Y-%m-%d %H:%M:%S"
    config["handlers"]["server"] = {
        "formatter": "server",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["gql"] = {"handlers": ["server"], "level": "INFO", "propagate": False}
    return config


async def _create_api_key(config: object, args: argparse.Namespace) -> int:
    from tortoise import Tortoise

    from gql.db.setup import tortoise_config
    from gql.domain.api_keys import make_key
    from gql.domain.errors import DomainError
    from gql.domain.permissions import EVERY_PERMISSION, Grants, Permission, checked_site_permissions
    from gql.domain.services import Services

    try:
        permissions = EVERY_PERMISSION if args.all else frozenset(Permission(p.upper()) for p in args.permission)
        grants = Grants(permissions, checked_site_permissions(args.site_permission))
    except (ValueError, DomainError) as exc:
        known = ", ".join(p.value for p in Permission)
        print(f"error: {exc} (permissions: {known})", file=sys.stderr)
        return 2
    if not grants.permissions and not grants.site_permissions:
        print("error: give --permission (repeat) or --all", file=sys.stderr)
        return 2
    await Tortoise.init(config=tortoise_config(config.database_url))  # type: ignore[attr-defined]
    try:
        made = await make_key(Services.from_config(config), args.name, grants)  # type: ignore[arg-type]
    finally:
        await Tortoise.close_connections()
    print(f"API key {made.record.name!r} ({made.record.prefix}), shown once — send it as X-Api-Key:")
    print(made.key)
    return 0


async def _rotate(config: Config, algorithm: str | None, private_key_file: Path | None) -> str:
    """Rotate and say what happens when; never shows a private key."""
    from tortoise import Tortoise

    from gql.db.setup import tortoise_config
    from gql.domain.clock import SystemClock
    from gql.domain.signing_keys import SigningKeys

    await Tortoise.init(config=tortoise_config(config.database_url))
    try:
        keys = SigningKeys(config)
        added = await keys.rotate(SystemClock(), algorithm, str(private_key_file) if private_key_file else None)
    finally:
        await Tortoise.close_connections()
    where = f"read from {added.from_file}" if added.from_file else "stored encrypted"
    return (
        f"new signing key {added.kid} ({added.algorithm}, generation {added.generation}, {where}): published now, "
        f"signing from {added.signs_from.isoformat()}; the previous key stays published until every token it "
        "signed has expired"
    )


if __name__ == "__main__":
    sys.exit(main())
