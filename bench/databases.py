"""Where the benchmark's databases live: cached seeded datasets, per-run copies, a scratch one.

Seeding a million members takes minutes, so each dataset is built once and cached,
keyed by the product's migrations, the seed version and the bcrypt cost of its
password hash. Servers never run on the cache itself (a run registers and logs in,
which writes): each run works on a copy and removes it afterwards.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Protocol

from bench import seed
from bench.processes import run_migrations

CACHE_DIR = Path(__file__).resolve().parent / ".cache"


def dataset_key() -> str:
    """Changes whenever the product's migrations or the seeded rows change."""
    digest = hashlib.sha256(f"seed-{seed.SEED_VERSION}".encode())
    migrations = resources.files("gql.db.migrations")
    for entry in sorted(migrations.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode() + entry.read_bytes())
    return digest.hexdigest()[:10]


def seeded_password_hash(cost: int) -> str:
    """One hash, made by the product's own hasher, shared by every seeded member (login must verify it)."""
    from gql.domain.passwords import PasswordHasher

    async def make() -> str:
        hasher = PasswordHasher(cost, threads=1)
        try:
            return await hasher.hash(seed.PASSWORD)
        finally:
            hasher.close()

    return asyncio.run(make())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(name: str) -> int | None:
    """The pid in a per-run name (run-123, bench_run_123_1000, bench_scratch_123), if any."""
    parts = name.replace("-", "_").split("_")
    numbers = [int(p) for p in parts if p.isdigit()]
    return numbers[0] if numbers and ("run" in parts or "scratch" in parts) else None


class Databases(Protocol):
    def dataset(self, count: int) -> str:
        """The URL of this run's own copy of the cached dataset of ``count`` members."""

    def scratch(self) -> str:
        """The URL of an empty, migrated database for this run."""

    def close(self) -> None:
        """Remove everything this run created except the cache."""


class SqliteDatabases:
    def __init__(self, bcrypt_cost: int, log: Callable[[str], None] = print) -> None:
        self.cost = bcrypt_cost
        self.key = dataset_key()
        self.log = log
        self.run_dir = CACHE_DIR / f"run-{os.getpid()}"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for leftover in CACHE_DIR.glob("run-*"):  # from runs that were killed before cleaning up
            pid = _owner(leftover.name)
            if pid is not None and not _alive(pid):
                shutil.rmtree(leftover, ignore_errors=True)

    def _cached(self, count: int) -> Path:
        path = CACHE_DIR / f"members-{count}-c{self.cost}-{self.key}.sqlite3"
        if path.exists():
            return path
        for stale in CACHE_DIR.glob(f"members-{count}-c{self.cost}-*.sqlite3"):
            stale.unlink()
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        self.log(f"seeding {count:,} members into {path.name} (cached for later runs)")
        run_migrations(f"sqlite://{building}")
        seed.seed_sqlite(str(building), count, seeded_password_hash(self.cost))
        os.replace(building, path)  # only a complete dataset ever carries the cache's name
        return path

    def dataset(self, count: int) -> str:
        copy = self.run_dir / f"members-{count}.sqlite3"
        shutil.copyfile(self._cached(count), copy)
        return f"sqlite://{copy}"

    def scratch(self) -> str:
        path = self.run_dir / "scratch.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite://{path}"
        run_migrations(url)
        return url

    def close(self) -> None:
        shutil.rmtree(self.run_dir, ignore_errors=True)


class PostgresDatabases:
    """Databases on one PostgreSQL server, made with CREATE DATABASE ... TEMPLATE (a file copy)."""

    def __init__(self, admin_url: str, bcrypt_cost: int, log: Callable[[str], None] = print) -> None:
        self.admin_url = admin_url
        self.server_url = admin_url.rpartition("/")[0]
        self.cost = bcrypt_cost
        self.key = dataset_key()
        self.log = log
        self.created: list[str] = []

    def _url(self, name: str) -> str:
        return f"{self.server_url}/{name}"

    async def _admin(self, *statements: str) -> list[str]:
        import asyncpg

        connection = await asyncpg.connect(self.admin_url.replace("postgres://", "postgresql://", 1))
        try:
            for sql in statements:
                await connection.execute(sql)
            rows = await connection.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'")
            return [row["datname"] for row in rows]
        finally:
            await connection.close()

    def _names(self) -> list[str]:
        names = asyncio.run(self._admin())
        leftovers = [n for n in names if (pid := _owner(n)) is not None and not _alive(pid)]
        if leftovers:  # from runs that were killed before cleaning up
            asyncio.run(self._admin(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in leftovers)))
        return [n for n in names if n not in leftovers]

    async def _seed(self, name: str, count: int, password_hash: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self._url(name).replace("postgres://", "postgresql://", 1))
        try:
            for sql, args in seed.postgres_seed_sql(count, password_hash):
                await connection.execute(sql, *args)
            # A live database has statistics (autovacuum); a fresh bulk load has none yet.
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()

    def _cached(self, count: int) -> str:
        prefix = f"bench_members_{count}_c{self.cost}_"
        name = prefix + self.key
        existing = self._names()
        if name in existing:
            return name
        stale = [n for n in existing if n.startswith(prefix)]
        building = f"bench_building_{count}_c{self.cost}"
        self.log(f"seeding {count:,} members into PostgreSQL database {name} (cached for later runs)")
        asyncio.run(
            self._admin(
                *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in [*stale, building]),
                f'CREATE DATABASE "{building}"',
            )
        )
        run_migrations(self._url(building))
        asyncio.run(self._seed(building, count, seeded_password_hash(self.cost)))
        asyncio.run(self._admin(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
        return name

    def dataset(self, count: int) -> str:
        template = self._cached(count)
        name = f"bench_run_{os.getpid()}_{count}"
        asyncio.run(
            self._admin(
                f'DROP DATABASE IF EXISTS "{name}"',
                f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY',
            )
        )
        self.created.append(name)
        return self._url(name)

    def scratch(self) -> str:
        name = f"bench_scratch_{os.getpid()}"
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        url = self._url(name)
        run_migrations(url)
        return url

    def close(self) -> None:
        if self.created:
            asyncio.run(self._admin(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in self.created)))
            self.created.clear()
