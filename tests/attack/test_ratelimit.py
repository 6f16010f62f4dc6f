"""Per-address token buckets over HTTP (3207 + retryAfter), in the database and in Redis,
shared by two server processes."""

from __future__ import annotations

import asyncio
import os
import uuid

import httpx
import pytest

from gql.db.models import Member
from gql.domain.links import issue
from gql.domain.services import Services
from gql.domain.tokens import Purpose
from tests.attack.conftest import (
    ADMIN_KEY,
    APPROVE_BY_TOKEN,
    REDIS_URL,
    Client,
    Server,
    SharedServers,
    StartServer,
    login,
    register,
    unique_email,
)
from tests.conftest import GraphQLClient
from tests.integration.documents import REGISTER as IN_PROCESS_REGISTER
from tests.mailbox import Mailbox, link_in

# MEMBERS_RATE_LIMITS=0.1: 30 per 5 minutes becomes 3 per 5 minutes.
SCALE = "0.1"
CAPACITY = 3


def redis_available() -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def backend_env(kind: str) -> dict[str, str]:
    if kind == "redis":
        if not redis_available():
            if os.environ.get("MEMBERS_REQUIRE_REDIS") == "1":
                pytest.fail(f"Redis not reachable at {REDIS_URL} and MEMBERS_REQUIRE_REDIS=1")
            pytest.skip(f"Redis not reachable at {REDIS_URL}")
        return {"redis_url": REDIS_URL, "redis_prefix": f"members-test-{uuid.uuid4().hex[:8]}:"}
    return {}


def limited_pair(shared_servers: SharedServers, kind: str) -> list[Server]:
    """Two processes on one database with the limits scaled to 3 per 5 minutes, the buckets
    in the database or in Redis; tests keep apart by their client addresses."""
    if kind == "redis":
        backend_env(kind)  # skips without Redis
    return shared_servers(f"limited-{kind}", 2, rate_limits=SCALE, **backend_env(kind))


BACKENDS = pytest.mark.parametrize("kind", ["database", "redis"])


@BACKENDS
async def test_login_is_limited_per_address(kind: str, shared_servers: SharedServers, http: httpx.AsyncClient) -> None:
    server = limited_pair(shared_servers, kind)[0]
    attacker = Client(http, server.graphql_url)
    answers = [await login(attacker, unique_email(), "guess") for _ in range(CAPACITY + 2)]
    assert [a["code"] for a in answers] == [3003] * CAPACITY + [3207, 3207], answers
    limited = answers[-1]
    assert limited["__typename"] == "RateLimitedError"
    assert 60 <= limited["retryAfter"] <= 100  # one token comes back every 100 s
    response = await attacker.response('mutation { login(identity: "a@b.co", password: "xxxx") { __typename } }')
    assert response.headers["retry-after"].isdigit()

    # Another address has its own bucket; the backend (API key) is not limited.
    assert (await login(Client(http, server.graphql_url), unique_email(), "guess"))["code"] == 3003
    email = unique_email()
    assert (await register(attacker, email, api_key=ADMIN_KEY))["__typename"] == "RegisterPayload"


@BACKENDS
async def test_register_and_approve_by_token_are_limited(
    kind: str, shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    server = limited_pair(shared_servers, kind)[1]
    client = Client(http, server.graphql_url)
    codes = [(await register(client, unique_email())).get("code") for _ in range(CAPACITY + 1)]
    assert codes == [None] * CAPACITY + [3207]
    tokens = [await client.field(APPROVE_BY_TOKEN, {"token": f"JWS.forged.{i}.x"}) for i in range(CAPACITY + 1)]
    assert [t["code"] for t in tokens] == [3201] * CAPACITY + [3207]


@BACKENDS
async def test_two_server_processes_share_the_buckets(
    kind: str, shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    first, second = limited_pair(shared_servers, kind)
    address = Client(http, first.graphql_url).address
    clients = [Client(http, first.graphql_url, address), Client(http, second.graphql_url, address)]
    answers = [await login(clients[i % 2], unique_email(), "guess") for i in range(CAPACITY + 3)]
    codes = [a["code"] for a in answers]
    # Alternating between the processes does not double the allowance.
    assert codes == [3003] * CAPACITY + [3207] * 3, codes


@BACKENDS
async def test_concurrent_requests_never_overspend_a_bucket(
    kind: str, shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    first, second = limited_pair(shared_servers, kind)
    address = Client(http, first.graphql_url).address
    clients = [Client(http, first.graphql_url, address), Client(http, second.graphql_url, address)]
    answers = await asyncio.gather(*(login(clients[i % 2], unique_email(), "guess") for i in range(24)))
    codes = [a["code"] for a in answers]
    assert codes.count(3003) == CAPACITY and codes.count(3207) == 24 - CAPACITY, codes


async def test_aliased_logins_spend_one_token_each(shared_servers: SharedServers, http: httpx.AsyncClient) -> None:
    server = limited_pair(shared_servers, "database")[0]
    client = Client(http, server.graphql_url)
    fields = " ".join(
        f'a{i}: login(identity: "nobody{i}@example.com", password: "guess") {{ __typename ... on Error {{ code }} }}'
        for i in range(5)
    )
    body = await client.post(f"mutation {{ {fields} }}")
    assert [body["data"][f"a{i}"]["code"] for i in range(5)] == [3003] * CAPACITY + [3207] * 2


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server(rate_limits=SCALE, trusted_proxies="10.9.8.7")  # not us
    codes = []
    for _ in range(CAPACITY + 2):
        spoofing = Client(http, server.graphql_url)  # a new X-Forwarded-For every time
        codes.append((await login(spoofing, unique_email(), "guess"))["code"])
    assert codes == [3003] * CAPACITY + [3207, 3207], codes


async def test_a_client_cannot_spoof_its_way_through_a_trusted_proxy(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    """Behind a proxy that appends the peer, what the client wrote itself is ignored."""
    server = limited_pair(shared_servers, "database")[1]  # 127.0.0.1 is the trusted proxy
    real = Client(http, server.graphql_url).address
    codes = []
    for i in range(CAPACITY + 2):
        forged = Client(http, server.graphql_url, address=f"203.0.113.{i + 1}, {real}")
        codes.append((await login(forged, unique_email(), "guess"))["code"])
    assert codes == [3003] * CAPACITY + [3207, 3207], codes


async def test_rate_limits_off(start_server: StartServer, http: httpx.AsyncClient) -> None:
    server = start_server(rate_limits="off")
    client = Client(http, server.graphql_url)
    answers = await asyncio.gather(*(login(client, unique_email(), "guess") for _ in range(40)))
    assert {a["code"] for a in answers} == {3003}


async def test_unreachable_redis_lets_requests_through_and_says_so(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server(rate_limits=SCALE, redis_url="redis://127.0.0.1:1/0")
    client = Client(http, server.graphql_url)
    answers = [await login(client, unique_email(), "guess") for _ in range(CAPACITY + 1)]
    assert {a["code"] for a in answers} == {3003}  # fail open; the lockout still guards accounts
    assert "rate limits not enforced: Redis unreachable" in server.output()


RESET = "mutation ($e: String!) { requestPasswordReset(email: $e) { __typename ... on Error { code } ... on RateLimitedError { retryAfter } } }"


async def test_password_reset_mail_is_limited_per_mailbox_and_per_address(
    shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    (server,) = shared_servers("default-limits", 1, rate_limits="1")
    victim = unique_email("mailbox")
    # Two mails an hour to one mailbox from one address, whether or not it has an account…
    attacker = Client(http, server.graphql_url)
    answers = [await attacker.field(RESET, {"e": victim}) for _ in range(3)]
    assert [a["__typename"] for a in answers] == [
        "RequestPasswordResetPayload",
        "RequestPasswordResetPayload",
        "RateLimitedError",
    ]
    assert answers[-1]["retryAfter"] > 60
    assert (await attacker.field(RESET, {"e": victim.upper()}))["code"] == 3207
    # …which does not use up the mailbox owner's own allowance, from the owner's address.
    assert (await Client(http, server.graphql_url).field(RESET, {"e": victim}))[
        "__typename"
    ] == "RequestPasswordResetPayload"
    # Many addresses together: ten mails an hour to one mailbox, whoever asks.
    answers = [await Client(http, server.graphql_url).field(RESET, {"e": victim}) for _ in range(10)]
    assert [a["__typename"] for a in answers] == ["RequestPasswordResetPayload"] * 7 + ["RateLimitedError"] * 3, answers
    # Ten requests an hour from one address, whatever the mailboxes.
    spammer = Client(http, server.graphql_url)
    codes = [(await spammer.field(RESET, {"e": unique_email("other")})).get("code") for _ in range(11)]
    assert codes == [None] * 10 + [3207]


# --- every way to a password hash or a token check goes through the same buckets -------------

RESET_PASSWORD = """mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) {
  __typename ... on Error { code } ... on RateLimitedError { retryAfter } } }"""


async def _used_reset_token(server: Server, http: httpx.AsyncClient, mailbox: Mailbox) -> str:
    """A reset link's token that has already been used once."""
    client = Client(http, server.graphql_url)
    email = unique_email("used")
    await register(client, email, api_key=ADMIN_KEY)
    await client.field(RESET, {"e": email}, api_key=ADMIN_KEY)
    token = link_in((await mailbox.wait_for(email))[0]).split("token=", 1)[1]
    assert (await client.field(RESET_PASSWORD, {"t": token, "p": "first-new"}, api_key=ADMIN_KEY))[
        "__typename"
    ] == "ResetPasswordPayload"
    return token


async def test_the_reset_password_page_is_limited_like_the_mutation(
    start_server: StartServer, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """The attack review's case: POSTs of a used token to the HTML form were never limited."""
    server = start_server(rate_limits=SCALE, smtp_url=mailbox.url)
    token = await _used_reset_token(server, http, mailbox)
    attacker = Client(http, server.graphql_url)
    statuses = []
    for i in range(CAPACITY + 2):
        page = await http.post(
            f"{server.url}/reset-password",
            data={"token": token, "password": f"guess-{i}"},
            headers=attacker.headers(),
        )
        statuses.append(page.status_code)
    assert statuses == [400] * CAPACITY + [429, 429], statuses
    assert int(page.headers["retry-after"]) > 0 and "Too many attempts" in page.text
    # One bucket for the page and the mutation: the same address is refused in GraphQL too…
    assert (await attacker.field(RESET_PASSWORD, {"t": token, "p": "other-pw"}))["code"] == 3207
    # …and spending it through GraphQL first refuses the page as well.
    other = Client(http, server.graphql_url)
    for _ in range(CAPACITY):
        assert (await other.field(RESET_PASSWORD, {"t": token, "p": "other-pw"}))["code"] == 3203
    page = await http.post(
        f"{server.url}/reset-password", data={"token": token, "password": "x" * 8}, headers=other.headers()
    )
    assert page.status_code == 429


async def test_the_confirm_email_page_is_limited_like_the_mutation(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server(rate_limits=SCALE)
    attacker = Client(http, server.graphql_url)
    statuses = [
        (
            await http.get(f"{server.url}/confirm-email", params={"token": f"JWS.a.b.c{i}"}, headers=attacker.headers())
        ).status_code
        for i in range(CAPACITY + 1)
    ]
    assert statuses == [400] * CAPACITY + [429], statuses
    confirm = 'mutation { confirmEmail(token: "JWS.a.b.c") { __typename ... on Error { code } } }'
    assert (await attacker.field(confirm))["code"] == 3207


async def test_used_or_stale_links_cost_no_password_hash(gql: GraphQLClient, services: Services) -> None:
    """Every cheap check runs before the hash: a used, replaced or forged link hashes nothing,
    through the mutation and through the page (counted in-process by the hasher)."""
    await gql.anonymous(IN_PROCESS_REGISTER, {"email": "hash@example.com", "password": "pw-first"})
    member = await Member.get(email_key="hash@example.com")
    member.reset_jti = "live"
    await member.save()
    live = issue(services, Purpose.RESET, member)
    await Member.filter(id=member.id).update(reset_jti="replaced")  # a newer link replaced it
    before = services.hasher.computations
    for token in (live, live.replace("JWS.", "JWS.x"), "JWS.a.b.c"):
        answer = await gql.anonymous(RESET_PASSWORD, {"t": token, "p": "pw-second"})
        assert answer["data"]["resetPassword"]["code"] in (3201, 3203), answer
        page = await gql.http.post("/reset-password", data={"token": token, "password": "pw-second"})
        assert page.status_code == 400
    assert services.hasher.computations == before
    # A refused new password costs no hash either (changePassword checks the policy first).
    session = await gql.anonymous(
        'mutation { login(identity: "hash@example.com", password: "pw-first") { ... on SessionPayload { sessionToken } } }'
    )
    token = session["data"]["login"]["sessionToken"]
    before = services.hasher.computations
    weak = await gql.member(
        token,
        'mutation { changePassword(currentPassword: "pw-first", newPassword: "é") { __typename ... on Error { code } } }',
    )
    assert weak["data"]["changePassword"]["code"] == 3200 and services.hasher.computations == before


# --- wrong API keys ---------------------------------------------------------------------------

SETTINGS = "{ registrationSettings { approval } }"


async def test_wrong_api_keys_are_limited_per_address_and_then_no_key_is_checked(
    start_server: StartServer, http: httpx.AsyncClient
) -> None:
    server = start_server(rate_limits=SCALE)  # the api-key bucket: 10 per 5 minutes, scaled to 1
    guesser = Client(http, server.graphql_url)
    first = await guesser.post(SETTINGS, api_key="wrong-key-0")
    assert first["errors"][0]["extensions"]["code"] == 2002
    refused = await guesser.response(SETTINGS, api_key="wrong-key-1")
    assert refused.json()["errors"][0]["extensions"]["code"] == 3207
    assert refused.json()["errors"][0]["extensions"]["retryAfter"] > 0 and refused.headers["retry-after"].isdigit()
    # While limited, the right key is refused too: a guesser cannot tell a right guess.
    assert (await guesser.post(SETTINGS, api_key=ADMIN_KEY))["errors"][0]["extensions"]["code"] == 3207
    # Other addresses, and this one without a key, are not affected.
    assert (await Client(http, server.graphql_url).post(SETTINGS, api_key=ADMIN_KEY))["data"]["registrationSettings"]
    assert "errors" not in await guesser.post("{ members { totalCount } }")


@BACKENDS
async def test_the_wrong_key_limit_holds_across_processes_in_either_store(
    kind: str, shared_servers: SharedServers, http: httpx.AsyncClient
) -> None:
    first, second = limited_pair(shared_servers, kind)
    address = Client(http, first.graphql_url).address
    on_first, on_second = Client(http, first.graphql_url, address), Client(http, second.graphql_url, address)
    assert (await on_first.post(SETTINGS, api_key="wrong"))["errors"][0]["extensions"]["code"] == 2002
    # The other process knows: the right key from this address is refused there too.
    assert (await on_second.post(SETTINGS, api_key=ADMIN_KEY))["errors"][0]["extensions"]["code"] == 3207
    assert (await on_second.post(SETTINGS, api_key="wrong again"))["errors"][0]["extensions"]["code"] == 3207
