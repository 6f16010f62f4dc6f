"""The strawberry-django-auth peer (issue 18): its ``register`` and ``tokenAuth`` mutations on Django.

Runs in its own virtual environment (bench/.cache/peers/strawberry-django-auth/venv, made by
bench/peers/__init__.py), never in the product's; it does not import the product. One file:
settings, schema and URLs. ``python django_auth_app.py migrate --database PATH`` once, then
``python django_auth_app.py serve --database PATH --port N --bcrypt-cost 4 --loop asyncio --http h11``.

- Django's ASGI handler under uvicorn, strawberry's Django ``GraphQLView`` at /graphql (the
  library's mutations are synchronous: Django runs the view in its thread);
- SQLite in WAL mode (as the product's), no middleware, no password validators, no captcha,
  no activation mail (``SEND_ACTIVATION_EMAIL`` off, ``ALLOW_LOGIN_NOT_VERIFIED`` on): the
  least the library does for a registration and a sign-in;
- passwords: Django's ``BCryptSHA256PasswordHasher`` at the given cost.

Per request: ``register`` validates the form (a SELECT for the username, one for the email),
INSERTs the user and its ``UserStatus`` in a transaction, one bcrypt hash; no token.
``tokenAuth`` SELECTs the user, one bcrypt verify, reads its status, UPDATEs ``last_login``,
signs a JWT and INSERTs a refresh token, answered with both.
"""

from __future__ import annotations

import argparse
import os
import sys

import django
from django.conf import settings
from django.contrib.auth.hashers import BCryptSHA256PasswordHasher


class Bcrypt(BCryptSHA256PasswordHasher):
    rounds = int(os.environ.get("PEER_BCRYPT_COST", "4"))


def configure(database: str) -> None:
    from gqlauth.settings_type import GqlAuthSettings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-peer-secret-not-for-production",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            # gqlauth's user type names the admin's log entries, so the admin app must be known.
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "strawberry_django",
            "gqlauth",
        ],
        MIDDLEWARE=[],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": database,
                # Each ASGI request runs the sync view in its own thread, so writers overlap: IMMEDIATE
                # transactions wait for each other (Django's advice for SQLite) instead of failing
                # with "database is locked" when a read turns into a write.
                # A writer waits up to 30 s for the others (SQLite's default 5 s is too short at 8 in flight).
                "OPTIONS": {
                    "init_command": "PRAGMA journal_mode=WAL;",
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 30,
                },
            }
        },
        PASSWORD_HASHERS=[f"{__name__}.Bcrypt"],
        AUTH_PASSWORD_VALIDATORS=[],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        GQL_AUTH=GqlAuthSettings(
            LOGIN_REQUIRE_CAPTCHA=False,
            REGISTER_REQUIRE_CAPTCHA=False,
            SEND_ACTIVATION_EMAIL=False,
            ALLOW_LOGIN_NOT_VERIFIED=True,
        ),
        LOGGING_CONFIG=None,
    )
    django.setup()


urlpatterns: list[object] = []


def _routes() -> None:
    import strawberry
    from django.http import JsonResponse
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt
    from gqlauth.user import arg_mutations as mutations
    from strawberry.django.views import GraphQLView

    @strawberry.type
    class Query:
        @strawberry.field
        def ok(self) -> bool:
            return True

    @strawberry.type
    class Mutation:
        register = mutations.Register.field
        token_auth = mutations.ObtainJSONWebToken.field

    schema = strawberry.Schema(query=Query, mutation=Mutation)

    def health(_request: object) -> JsonResponse:
        return JsonResponse({"status": "ok"})

    urlpatterns[:] = [
        path("graphql", csrf_exempt(GraphQLView.as_view(schema=schema))),
        path("health", health),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=("migrate", "serve"))
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int)
    parser.add_argument("--bcrypt-cost", type=int, default=4)
    parser.add_argument("--loop", default="asyncio")
    parser.add_argument("--http", default="h11")
    args = parser.parse_args()
    Bcrypt.rounds = args.bcrypt_cost
    # ROOT_URLCONF and the hasher name this module: make it importable under its own name too.
    sys.modules.setdefault(__name__, sys.modules["__main__"])
    configure(args.database)
    if args.command == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return
    _routes()
    import uvicorn
    from django.core.asgi import get_asgi_application

    # The product's uvicorn settings: one worker, access log at info, no proxy headers.
    uvicorn.run(
        get_asgi_application(),
        host="127.0.0.1",
        port=args.port,
        loop=args.loop,
        http=args.http,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
