"""The password policy and the password hasher.

bcrypt only reads 72 bytes and bcrypt 5 refuses longer input, so every password is
first reduced to a fixed 44-byte HMAC-SHA-256 digest (base64): all 100 characters
count. Hashing runs in a small dedicated thread pool whose threads lower their own
scheduling priority, so a flood of registrations cannot starve the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import bcrypt

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.policy import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

MIN_LENGTH = PASSWORD_MIN_LENGTH
MAX_LENGTH = PASSWORD_MAX_LENGTH
_PREHASH_KEY = b"members-graphql/bcrypt-sha256/v1"


def check_policy(password: str) -> None:
    """``MIN_LENGTH`` to ``MAX_LENGTH`` printable ASCII characters (space included); empty is 'missing' (3011)."""
    if password == "":
        raise DomainError(ErrorCode.MISSING_PASSWORD, property="password")
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH or not all(" " <= ch <= "~" for ch in password):
        raise DomainError(
            ErrorCode.PASSWORD_POLICY,
            f"The password must be {MIN_LENGTH} to {MAX_LENGTH} printable ASCII characters.",
            property="password",
        )


def _prehash(password: str) -> bytes:
    digest = hmac.new(_PREHASH_KEY, password.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest)


def _lower_priority() -> None:
    # Linux applies nice values per thread: hashing yields the CPU to the event loop.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


class PasswordHasher:
    """bcrypt at a configured cost, off the event loop. ``computations`` counts hashes done."""

    def __init__(self, cost: int, threads: int = 0) -> None:
        self.cost = cost
        self.computations = 0
        workers = threads or (os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bcrypt", initializer=_lower_priority)
        self._dummy_hash: bytes | None = None

    def _hash_sync(self, password: str) -> bytes:
        return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(self.cost))

    async def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        self.computations += 1
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    async def hash(self, password: str) -> str:
        hashed: bytes = await self._run(self._hash_sync, password)
        return hashed.decode("ascii")

    async def verify(self, password: str, stored_hash: str | None) -> bool:
        """Check a password; with no stored hash, spend the same work and answer False.

        Unknown identities and wrong passwords must cost the same, or response times
        would tell an attacker which accounts exist.
        """
        if stored_hash is None:
            if self._dummy_hash is None:  # made once per process, in the pool, not counted
                loop = asyncio.get_running_loop()
                self._dummy_hash = await loop.run_in_executor(self._pool, self._hash_sync, "dummy")
            await self._run(bcrypt.checkpw, _prehash(password), self._dummy_hash)
            return False
        return bool(await self._run(bcrypt.checkpw, _prehash(password), stored_hash.encode("ascii")))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
