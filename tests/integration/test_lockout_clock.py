"""How long the lockout lasts, on a real database with a clock the test moves (Services.clock).

The attack tests (tests/attack/test_lockout.py) show over HTTP that each attack is stopped;
here the timing rules are checked to the second without sleeping: a lock's length, its
doubling and its cap, its end, and that a guess refused by a lock is not counted."""

from __future__ import annotations

from gql.domain import sessions
from gql.domain.caller import anonymous
from gql.domain.errors import DomainError
from gql.domain.services import Services
from tests.clock import ManualClock
from tests.conftest import GraphQLClient
from tests.integration.documents import register

PASSWORD = "wonderland"
OWNER, ATTACKER = "203.0.113.1", "198.51.100.66"
Answer = tuple[int, int | None] | str


async def attempt(services: Services, address: str, identity: str, password: str = PASSWORD) -> Answer:
    """The session, as "session", or the refusal's code and retryAfter."""
    try:
        await sessions.login(services, anonymous(address), identity, password)
    except DomainError as error:
        return int(error.code), error.details.get("retry_after")
    return "session"


async def fail(services: Services, address: str, identity: str, times: int) -> list[Answer]:
    return [await attempt(services, address, identity, f"wrong-{n}") for n in range(times)]


async def test_the_wait_doubles_up_to_the_maximum_and_ends_to_the_second(
    gql: GraphQLClient, clocked: Services, clock: ManualClock
) -> None:
    email = "doubling@example.com"
    await register(gql, email)
    assert await fail(clocked, ATTACKER, email, 3) == [(3003, None)] * 3
    assert await attempt(clocked, ATTACKER, email) == (3036, 60)
    clock.advance(59)
    assert await attempt(clocked, ATTACKER, email) == (3036, 1)
    clock.advance(1)
    # One more failure after the lock ran out: locked again, twice as long.
    assert await fail(clocked, ATTACKER, email, 1) == [(3003, None)]
    assert await attempt(clocked, ATTACKER, email) == (3036, 120)
    clock.advance(120)
    assert await fail(clocked, ATTACKER, email, 1) == [(3003, None)]
    assert await attempt(clocked, ATTACKER, email) == (3036, 240)
    clock.advance(240)
    assert await fail(clocked, ATTACKER, email, 1) == [(3003, None)]
    assert await attempt(clocked, ATTACKER, email) == (3036, 240)  # capped at the maximum
    clock.advance(240)
    assert await attempt(clocked, ATTACKER, email) == "session"
    # ...and the success restarted the count: three more failures before the next lock.
    assert await fail(clocked, ATTACKER, email, 2) == [(3003, None)] * 2
    assert await attempt(clocked, ATTACKER, email) == "session"


async def test_guesses_refused_by_a_lock_are_not_counted(
    gql: GraphQLClient, clocked: Services, clock: ManualClock
) -> None:
    email = "refused@example.com"
    await register(gql, email)
    await fail(clocked, ATTACKER, email, 3)
    assert await fail(clocked, ATTACKER, email, 5) == [(3036, 60)] * 5  # answered by the lock, not counted
    clock.advance(60)
    await fail(clocked, ATTACKER, email, 1)
    # The 4th counted failure (not the 9th): 60 s doubled once.
    assert await attempt(clocked, ATTACKER, email) == (3036, 120)


async def test_one_address_cannot_keep_the_owner_out(gql: GraphQLClient, clocked: Services, clock: ManualClock) -> None:
    """One wrong password right after each lock runs out: the attacker locks itself out for
    longer each time, and the owner, from its own address, logs in throughout."""
    email = "owner@example.com"
    await register(gql, email)
    await fail(clocked, ATTACKER, email, 3)
    for round_, length in enumerate((60, 120, 240, 240)):
        assert await attempt(clocked, ATTACKER, email, "still guessing") == (3036, length), round_
        assert await attempt(clocked, OWNER, email) == "session", round_
        clock.advance(length)
        # The owner's logins restarted no count of the attacker's while it was locked out.
        assert await fail(clocked, ATTACKER, email, 1) == [(3003, None)], round_


async def test_the_account_wide_lock_ends_to_the_second(
    gql: GraphQLClient, clocked: Services, clock: ManualClock
) -> None:
    email = "spread@example.com"
    await register(gql, email)
    for n in range(3):
        await fail(clocked, f"198.51.100.{n + 1}", email, 3)
    assert await attempt(clocked, OWNER, email) == (3036, 60)  # three addresses locked out: everyone is
    clock.advance(59)
    assert await attempt(clocked, OWNER, email) == (3036, 1)
    clock.advance(1)
    assert await attempt(clocked, OWNER, email) == "session"


async def test_unknown_identities_answer_exactly_like_real_ones_at_every_step(
    gql: GraphQLClient, clocked: Services, clock: ManualClock
) -> None:
    real, ghost = "real@example.com", "ghost@example.com"
    await register(gql, real)

    async def both(address: str, password: str) -> tuple[Answer, Answer]:
        return await attempt(clocked, address, real, password), await attempt(clocked, address, ghost, password)

    for n in range(5):
        known, unknown = await both(ATTACKER, f"wrong-{n}")
        assert known == unknown, (n, known, unknown)
    assert known == (3036, 60)
    clock.advance(30)
    for n in range(2):  # two more addresses locked out: the account locks for everyone, alike
        for guess in range(3):
            known, unknown = await both(f"198.51.100.{n + 10}", f"w{guess}")
            assert known == unknown, (n, guess, known, unknown)
    assert await both(OWNER, "x") == ((3036, 60), (3036, 60))
    clock.advance(60)
    assert await both(OWNER, "wrong") == ((3003, None), (3003, None))
