"""GraphQL and HTTP limits against the real server: each refused before execution."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.attack.conftest import ADMIN_KEY, Server, fresh_database

PRODUCTION = {"MEMBERS_ENV": "production"}  # introspection off by default


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server configured as in production, for the whole module."""
    workdir = tmp_path_factory.mktemp("production")
    with fresh_database(workdir) as url:
        server = Server(workdir, url, PRODUCTION).start()
        yield server
        server.stop()


@pytest.fixture
def start(tmp_path: Path, attack_database: str) -> Iterator[Callable[[dict[str, str]], Server]]:
    servers: list[Server] = []

    def started(env: dict[str, str]) -> Server:
        servers.append(Server(tmp_path, attack_database, env).start())
        return servers[-1]

    yield started
    for server in servers:
        server.stop()


def post(server: Server, body: object, **headers: str) -> httpx.Response:
    return httpx.post(server.graphql_url, json=body, headers=headers, timeout=30)


def errors(response: httpx.Response) -> list[str]:
    return [e["message"] for e in response.json().get("errors", [])]


def codes(response: httpx.Response) -> list[int]:
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


def test_depth_limit_refuses_before_execution(start: Callable[[dict[str, str]], Server]) -> None:
    # This schema has no cycles, so no document reaches the default depth of 10: lower it.
    server = start({**PRODUCTION, "MEMBERS_MAX_QUERY_DEPTH": "3"})
    response = post(server, {"query": "{ members { edges { node { ... on Member { contact { firstName } } } } } }"})
    assert response.json()["data"] is None
    assert any("exceeds maximum operation depth" in m for m in errors(response)), errors(response)
    assert set(codes(response)) == {3253}
    assert post(server, {"query": "{ members { edges { cursor } } }"}).json()["data"]


def test_alias_limit(production: Server) -> None:
    fields = " ".join(f"a{i}: __typename" for i in range(16))
    response = post(production, {"query": f"{{ {fields} }}"})
    assert response.json()["data"] is None
    assert any("aliases" in m for m in errors(response))
    assert codes(response) == [3254]


def test_token_limit(production: Server) -> None:
    query = "{ " + " ".join("__typename" for _ in range(1200)) + " }"
    response = post(production, {"query": query})
    assert response.json()["data"] is None
    assert any("more than 1000 tokens" in m for m in errors(response)), errors(response)
    assert codes(response) == [3255]


def test_body_size_limit(production: Server) -> None:
    big = {"query": "{ __typename }", "variables": {"padding": "x" * 150_000}}
    response = post(production, big)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json" and codes(response) == [3256]
    # Streamed in chunks without a Content-Length: refused all the same.
    payload = json.dumps(big).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 16_384):
            yield payload[start : start + 16_384]

    streamed = httpx.post(
        production.graphql_url, content=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert streamed.status_code == 413 and codes(streamed) == [3256]
    assert post(production, {"query": "{ __typename }", "variables": {"padding": "x" * 50_000}}).status_code == 200


def test_list_argument_limit(production: Server) -> None:
    register = 'mutation ($o: RegistrationOptions) { register(email: "l@example.com", password: "pass word", options: $o) { __typename } }'
    as_variable = post(
        production, {"query": register, "variables": {"o": {"contactInfo": {"phones": [{"phone": "1"}] * 101}}}}
    )
    assert as_variable.json()["data"] is None
    assert errors(as_variable) == ["A list argument may hold at most 100 items."]
    assert as_variable.json()["errors"][0]["extensions"]["code"] == 3209
    phones = ", ".join('{phone: "1"}' for _ in range(101))
    literal = f'mutation {{ register(email: "l@example.com", password: "pass word", options: {{contactInfo: {{phones: [{phones}]}}}}) {{ __typename }} }}'
    as_literal = post(production, {"query": literal})
    assert as_literal.json()["data"] is None
    assert errors(as_literal) == ["A list argument may hold at most 100 items."]


def test_introspection_and_suggestions_are_off_in_production(production: Server) -> None:
    response = post(production, {"query": "{ __schema { types { name } } }"})
    assert response.json()["data"] is None
    assert any("introspection has been disabled" in m for m in errors(response))
    typo = post(production, {"query": "{ currentMembr { id } }"})
    assert errors(typo) == ["Cannot query field 'currentMembr' on type 'Query'."]
    enum_typo = post(production, {"query": "{ members(filter: {status: APROVED}) { edges { cursor } } }"})
    assert enum_typo.json()["data"] is None and not any("Did you mean" in m for m in errors(enum_typo))
    # Nor does GET /graphql serve GraphiQL (it needs introspection).
    assert "graphiql" not in httpx.get(production.graphql_url, headers={"Accept": "text/html"}).text.lower()


def test_introspection_and_suggestions_are_on_in_development(start: Callable[[dict[str, str]], Server]) -> None:
    server = start({"MEMBERS_ENV": "development"})
    assert post(server, {"query": "{ __schema { queryType { name } } }"}).json()["data"]["__schema"]
    assert any("Did you mean 'currentMember'" in m for m in errors(post(server, {"query": "{ currentMembr { id } }"})))


def test_csrf_mutations_over_get_and_non_json_bodies_are_refused(production: Server) -> None:
    mutation = 'mutation { login(identity: "a@example.com", password: "secret") { __typename } }'
    over_get = httpx.get(production.graphql_url, params={"query": mutation})
    assert over_get.status_code in (400, 405) and "login" not in over_get.text.lower().replace("mutation", "")
    assert over_get.status_code == 405 and over_get.headers["allow"] == "POST" and codes(over_get) == [3259]
    # Bodies a cross-site form or a no-preflight fetch can send:
    for content_type, content in (
        ("text/plain", json.dumps({"query": mutation})),
        ("application/x-www-form-urlencoded", "query=" + mutation),
        (
            "multipart/form-data; boundary=x",
            f'--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{mutation}\r\n--x--',
        ),
    ):
        refused = httpx.post(production.graphql_url, content=content, headers={"Content-Type": content_type})
        assert refused.status_code == 415, (content_type, refused.status_code, refused.text)
        assert codes(refused) == [3259], refused.text
    # Queries over GET still work (cacheable reads).
    assert httpx.get(production.graphql_url, params={"query": "{ __typename }"}).json() == {
        "data": {"__typename": "Query"}
    }


def test_no_cors_by_default(production: Server) -> None:
    preflight = httpx.options(
        production.graphql_url,
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = httpx.post(
        production.graphql_url, json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allow_list(start: Callable[[dict[str, str]], Server]) -> None:
    server = start({**PRODUCTION, "MEMBERS_CORS_ORIGINS": "https://app.example"})

    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            server.graphql_url,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,authorization",
            },
        )

    allowed = preflight("https://app.example")
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://app.example"
    refused = preflight("https://evil.example")
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    assert refused.headers["content-type"] == "application/json" and codes(refused) == [3259]
    assert errors(refused) == ["Disallowed CORS origin"]


def test_responses_are_not_cached_or_sniffed(production: Server) -> None:
    response = post(production, {"query": "{ __typename }"})
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_malformed_requests_never_500(production: Server) -> None:
    bodies = [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"query": 5}',
        b'{"query": "{", "variables": []}',
        b'{"query": "{ __typename }", "variables": "x"}',
        b'{"query": "query A { __typename } query B { __typename }"}',
        b'{"query": "{ __typename }", "operationName": 7}',
        b"\xff\xfe",
        b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 40_000 + b"]" * 40_000 + b"}}",
        b'{"query": "' + b"{" * 3000 + b"}" * 3000 + b'"}',
    ]
    for body in bodies:
        response = httpx.post(production.graphql_url, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code < 500, (body, response.status_code, response.text)
        # Never plain text: every answer is JSON, and every refused request has a code.
        assert response.headers["content-type"] == "application/json", (body, response.text)
        if response.status_code != 200 or response.json().get("data") is None:
            assert codes(response) and all(codes(response)), (body, response.text)
    deep = json.dumps({"a": 1})
    for _ in range(1500):
        deep = "[" + deep + "]"
    over_get = httpx.get(production.graphql_url, params={"query": "{ __typename }", "variables": deep})
    assert over_get.status_code < 500, over_get.text
    response = httpx.post(production.graphql_url, json={"query": "{ __typename }"}, headers={"X-Api-Key": "wrong"})
    assert response.json()["errors"][0]["extensions"]["code"] == 2002
    assert httpx.post(
        production.graphql_url, json={"query": "{ registrationSettings { enabled } }"}, headers={"X-Api-Key": ADMIN_KEY}
    ).json()["data"]
