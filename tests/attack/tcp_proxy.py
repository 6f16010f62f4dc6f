"""A TCP proxy between a server and PostgreSQL that a test can cut: the database "goes away"."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.attack.conftest import Server, StartServer
from tests.databases import POSTGRES_URL


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


@contextmanager
def server_behind_a_proxy(start_server: StartServer, database_url: str) -> Iterator[tuple[TcpProxy, Server]]:
    """A server on ``database_url`` whose PostgreSQL connections all go through a ``TcpProxy``;
    the line is cut when the block ends."""
    host_port = POSTGRES_URL.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    proxy = TcpProxy((host, int(port or 5432))).start()
    name = database_url.rpartition("/")[2]
    user = POSTGRES_URL.split("//", 1)[1].split("@", 1)[0]
    try:
        yield proxy, start_server(database=f"postgres://{user}@127.0.0.1:{proxy.port}/{name}")
    finally:
        proxy.cut()
