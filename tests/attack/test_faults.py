"""Faults: the server killed mid-load, the database gone mid-traffic."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from tests.attack.conftest import (
    BACKEND,
    CURRENT_MEMBER,
    POSTGRES_URL,
    REGISTER,
    Client,
    StartServer,
    login,
    query_database,
    register,
    unique_email,
)


async def test_sigkill_during_a_registration_load_leaves_nothing_half_written(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    env = {"MEMBERS_EMAIL_CONFIRMATION": "true"}  # every registration also queues a mail (outbox)
    server = start_server(**env)
    acknowledged: list[str] = []
    stop = asyncio.Event()

    async def registrant(n: int) -> None:
        client = Client(http, server.graphql_url)
        while not stop.is_set():
            email = unique_email(f"load{n}")
            try:
                response = await client.response(
                    REGISTER,
                    {
                        "email": email,
                        "password": "load password",
                        "options": {
                            "contactInfo": {
                                "firstName": "Load",
                                "phones": [{"phone": "1"}, {"phone": "2", "tag": "MOBILE"}],
                            }
                        },
                    },
                )
            except httpx.TransportError:
                return  # the server died under us
            result = response.json()["data"]["register"]
            if result["__typename"] == "RegisterPayload":
                acknowledged.append(email)

    workers = [asyncio.create_task(registrant(n)) for n in range(12)]
    deadline = time.monotonic() + 20
    while len(acknowledged) < 25 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    server.kill()  # SIGKILL while requests are in flight
    stop.set()
    await asyncio.gather(*workers)
    assert len(acknowledged) >= 25

    restarted = start_server(**env)  # same database; SQLite recovers its WAL at open
    assert httpx.get(f"{restarted.url}/ready").status_code == 200

    def count(sql: str) -> int:
        return int(query_database(attack_database, sql)[0]["n"])

    members = count("SELECT COUNT(*) AS n FROM member")
    assert members >= len(acknowledged)
    # Every acknowledged registration survived the crash...
    found = {row["login_email"] for row in query_database(attack_database, "SELECT login_email FROM member")}
    assert set(acknowledged) <= found
    # ...and nothing is half-written: no member without its contact, no contact without its
    # member, no member without its queued confirmation mail.
    assert (
        count("SELECT COUNT(*) AS n FROM member m LEFT JOIN contact c ON c.id = m.contact_id WHERE c.id IS NULL") == 0
    )
    assert (
        count("SELECT COUNT(*) AS n FROM contact c WHERE NOT EXISTS (SELECT 1 FROM member m WHERE m.contact_id = c.id)")
        == 0
    )
    assert (
        count(
            "SELECT COUNT(*) AS n FROM member m WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.recipient = m.login_email)"
        )
        == 0
    )
    if BACKEND != "postgres":
        assert query_database(attack_database, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    # The restarted server works.
    client = Client(http, restarted.graphql_url)
    assert (await register(client, unique_email("after")))["__typename"] == "RegisterPayload"


class TcpProxy:
    """A TCP proxy in a thread, between the server and PostgreSQL, that can cut the line.

    Stopping the real PostgreSQL service would take the database away from every other
    test and process on the machine (and needs root); cutting this proxy looks the same
    to the server (established connections drop, new ones are refused) and touches
    nothing else.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Drop every connection and refuse new ones, as a database that went away."""
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()

    def restore(self) -> None:
        self.start()  # same port again


@pytest.mark.skipif(BACKEND != "postgres", reason="a database server to lose: PostgreSQL only")
async def test_database_outage_answers_3208_and_the_server_recovers(
    start_server: StartServer, http: httpx.AsyncClient, attack_database: str
) -> None:
    host_port = POSTGRES_URL.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    proxy = TcpProxy((host, int(port or 5432))).start()
    name = attack_database.rpartition("/")[2]
    user = POSTGRES_URL.split("//", 1)[1].split("@", 1)[0]
    server = start_server(database=f"postgres://{user}@127.0.0.1:{proxy.port}/{name}")
    client = Client(http, server.graphql_url)
    email = unique_email("outage")
    session = (await register(client, email))["sessionToken"]
    assert (await login(client, email))["__typename"] == "LoginPayload"

    proxy.cut()
    requests: list[tuple[str, dict[str, Any] | None, dict[str, str]]] = [
        ('mutation ($i: String!) { login(identity: $i, password: "correct horse") { __typename } }', {"i": email}, {}),
        (REGISTER, {"email": unique_email(), "password": "pass word"}, {}),
        (CURRENT_MEMBER, None, {"token": session}),
        ("{ members { edges { node { id } } } }", None, {}),
    ]
    for _round in range(3):
        for query, variables, auth in requests:
            response = await client.response(query, variables, **auth)
            assert response.status_code == 200, response.text
            body = response.json()
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
            assert codes == [3208], body
            assert "Unexpected error" not in response.text
    assert httpx.get(f"{server.url}/health").status_code == 200  # the process is up...
    assert httpx.get(f"{server.url}/ready").status_code == 503  # ...and says the database is not
    assert server.alive()

    proxy.restore()
    deadline = time.monotonic() + 30
    while True:
        body = await client.post(CURRENT_MEMBER, token=session)
        if not body.get("errors"):
            break
        assert time.monotonic() < deadline, f"no recovery: {body}"
        await asyncio.sleep(0.2)
    assert body["data"]["currentMember"]["loginEmail"] == email
    assert (await login(client, email))["__typename"] == "LoginPayload"
    assert httpx.get(f"{server.url}/ready").status_code == 200
    proxy.cut()
