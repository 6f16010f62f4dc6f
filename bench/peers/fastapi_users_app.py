"""The fastapi-users peer (issue 18): the library's register and login routes, nothing else.

Runs in its own virtual environment (bench/.cache/peers/fastapi-users/venv, made by
bench/peers/__init__.py), never in the product's; it does not import the product.
``python fastapi_users_app.py --database PATH --port N --bcrypt-cost 4 --loop asyncio --http h11``

- SQLAlchemy async on SQLite (aiosqlite), the library's SQLAlchemy user and access-token tables;
- ``DatabaseStrategy``: a login writes an access-token row, sent back as a Bearer token;
- passwords: pwdlib's bcrypt at the given cost (the library's default helper would use argon2).

Per request: ``POST /auth/register`` (JSON) is a SELECT by email and an INSERT of the user and
one bcrypt hash; no token. ``POST /auth/login`` (form) is a SELECT by email, one bcrypt verify
and an INSERT of the access token, answered with it.
"""

# FastAPI declares dependencies as argument defaults (Depends): that is its documented idiom.
# ruff: noqa: B008

from __future__ import annotations

import argparse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import Depends, FastAPI
from fastapi_users import BaseUserManager, FastAPIUsers, UUIDIDMixin, schemas
from fastapi_users.authentication import AuthenticationBackend, BearerTransport
from fastapi_users.authentication.strategy.db import DatabaseStrategy
from fastapi_users.db import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from fastapi_users.password import PasswordHelper
from fastapi_users_db_sqlalchemy.access_token import SQLAlchemyAccessTokenDatabase, SQLAlchemyBaseAccessTokenTableUUID
from pwdlib import PasswordHash
from pwdlib.hashers.bcrypt import BcryptHasher
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

SECRET = "bench-peer-secret-not-for-production"


class Base(DeclarativeBase):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    pass


class AccessToken(SQLAlchemyBaseAccessTokenTableUUID, Base):
    pass


class UserRead(schemas.BaseUser[uuid.UUID]):
    pass


class UserCreate(schemas.BaseUserCreate):
    pass


def create_app(database: str, bcrypt_cost: int) -> FastAPI:
    # A writer waits up to 30 s for the others' transactions (SQLite's default 5 s can run out at 8 in flight).
    engine = create_async_engine(f"sqlite+aiosqlite:///{database}", connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _wal(connection, _record) -> None:  # type: ignore[no-untyped-def]  # as the product's SQLite
        connection.execute("PRAGMA journal_mode=WAL")

    sessions = async_sessionmaker(engine, expire_on_commit=False)
    passwords = PasswordHelper(PasswordHash((BcryptHasher(rounds=bcrypt_cost),)))

    class UserManager(UUIDIDMixin, BaseUserManager[User, uuid.UUID]):
        reset_password_token_secret = SECRET
        verification_token_secret = SECRET

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    async def get_user_db(session: AsyncSession = Depends(get_session)) -> AsyncIterator[SQLAlchemyUserDatabase]:
        yield SQLAlchemyUserDatabase(session, User)

    async def get_token_db(
        session: AsyncSession = Depends(get_session),
    ) -> AsyncIterator[SQLAlchemyAccessTokenDatabase]:
        yield SQLAlchemyAccessTokenDatabase(session, AccessToken)

    async def get_user_manager(user_db: SQLAlchemyUserDatabase = Depends(get_user_db)) -> AsyncIterator[UserManager]:
        yield UserManager(user_db, passwords)

    def get_strategy(token_db: SQLAlchemyAccessTokenDatabase = Depends(get_token_db)) -> DatabaseStrategy:
        return DatabaseStrategy(token_db, lifetime_seconds=3600)

    backend = AuthenticationBackend(
        name="database", transport=BearerTransport(tokenUrl="auth/login"), get_strategy=get_strategy
    )
    users = FastAPIUsers[User, uuid.UUID](get_user_manager, [backend])

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.include_router(users.get_auth_router(backend), prefix="/auth")
    app.include_router(users.get_register_router(UserRead, UserCreate), prefix="/auth")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bcrypt-cost", type=int, default=4)
    parser.add_argument("--loop", default="asyncio")
    parser.add_argument("--http", default="h11")
    args = parser.parse_args()
    app = create_app(args.database, args.bcrypt_cost)
    # The product's uvicorn settings: one worker, access log at info, no proxy headers.
    uvicorn.run(app, host="127.0.0.1", port=args.port, loop=args.loop, http=args.http, proxy_headers=False)


if __name__ == "__main__":
    main()
