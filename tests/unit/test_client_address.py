"""gql/http.client_address: the counted address is cached by the strings it depends on, except a
long X-Forwarded-For chain, which a client writes and could vary to fill the cache."""

from __future__ import annotations

from starlette.requests import Request

from gql.http import _counted_address, client_address

PROXY = ("10.0.0.0/8",)


def _request(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 4000)})


def test_a_short_chain_is_cached_and_a_long_one_is_not() -> None:
    _counted_address.cache_clear()
    assert client_address(_request("10.0.0.2", "203.0.113.9"), PROXY) == "203.0.113.9"
    assert client_address(_request("10.0.0.2", "203.0.113.9"), PROXY) == "203.0.113.9"
    assert _counted_address.cache_info().hits == 1
    long_chain = ", ".join(["198.51.100.1"] * 40 + ["203.0.113.7"])
    for _ in range(3):
        assert client_address(_request("10.0.0.2", long_chain), PROXY) == "203.0.113.7"
    assert _counted_address.cache_info().currsize == 1


def test_without_trusted_proxies_the_header_is_not_believed() -> None:
    assert client_address(_request("192.0.2.5", "203.0.113.9"), ()) == "192.0.2.5"
    assert client_address(_request("2001:db8::1"), ()) == "2001:db8::/64"
