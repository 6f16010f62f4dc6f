"""GraphQL over HTTP against a real server: media types, status codes, coded request
errors, JSON bodies for every refusal, and which responses are compressed."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from tests.attack.conftest import ADMIN_KEY, REGISTER, Server, SharedServers, unique_email

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
TEST_ENV = {"MEMBERS_MAX_QUERY_DEPTH": "3"}  # this schema has no cycles: no document reaches 10


@pytest.fixture
def server(shared_servers: SharedServers) -> Server:
    (started,) = shared_servers("graphql-over-http", 1, **TEST_ENV)
    return started


@pytest.fixture
def production(shared_servers: SharedServers) -> Server:
    (started,) = shared_servers("graphql-over-http-production", 1, MEMBERS_ENV="production")
    return started


def post(server: Server, body: Any, accept: str | None = None, **headers: str) -> httpx.Response:
    if accept is not None:
        headers["Accept"] = accept
    return httpx.post(server.graphql_url, json=body, headers=headers, timeout=30)


def only_code(response: httpx.Response) -> int:
    (error,) = response.json()["errors"]
    return error["extensions"]["code"]


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),  # Apollo Client 4, urql
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),  # a tie goes to the type the client named
        (f"{JSON}, {GRAPHQL_RESPONSE};q=0.5", JSON),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        ("text/html;q=0.9, */*;q=0.8", JSON),
        ("image/png", JSON),  # nothing we serve: answered as application/json, not 406
    ],
)
def test_the_media_type_follows_accept(server: Server, accept: str | None, media_type: str) -> None:
    response = post(server, {"query": "{ __typename }"}, accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert response.json() == {"data": {"__typename": "Query"}}


ALIASES = " ".join(f"a{i}: __typename" for i in range(16))
TOKENS = " ".join("__typename" for _ in range(1200))
PHONES = ", ".join('{phone: "1"}' for _ in range(101))
REQUEST_ERRORS = [
    pytest.param({"query": "{"}, {}, 400, 3250, id="parse"),
    pytest.param({"query": "{ noSuchField }"}, {}, 400, 3251, id="validation"),
    pytest.param({"query": "query ($id: ID!) { member(id: $id) { id } }", "variables": {"id": None}}, {}, 400, 3252, id="variable-null"),
    pytest.param({"query": "query ($n: Int) { members(first: $n) { totalCount } }", "variables": {"n": "x"}}, {}, 400, 3252, id="variable-type"),
    pytest.param({"query": "{ members { edges { node { ... on Member { contact { firstName } } } } } }"}, {}, 400, 3253, id="too-deep"),
    pytest.param({"query": f"{{ {ALIASES} }}"}, {}, 400, 3254, id="aliases"),
    pytest.param({"query": f"{{ {TOKENS} }}"}, {}, 400, 3255, id="tokens"),
    pytest.param({"query": f'mutation {{ register(email: "l@example.com", password: "pass word", options: {{contactInfo: {{phones: [{PHONES}]}}}}) {{ __typename }} }}'}, {}, 400, 3209, id="list-literal"),
    pytest.param({"query": "{ __typename }"}, {"X-Api-Key": "wrong"}, 403, 2002, id="wrong-api-key"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "headers", "status", "code"), REQUEST_ERRORS)
def test_request_errors_under_graphql_response_json_are_4xx_without_data(
    server: Server, body: dict[str, Any], headers: dict[str, str], status: int, code: int
) -> None:
    response = post(server, body, GRAPHQL_RESPONSE, **headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    payload = response.json()
    assert "data" not in payload, payload
    assert payload["errors"] and all(error["extensions"]["code"] == code for error in payload["errors"]), payload
    assert all("path" not in error for error in payload["errors"]), payload


@pytest.mark.parametrize(("body", "headers", "status", "code"), REQUEST_ERRORS)
def test_request_errors_under_application_json_keep_200_and_null_data(
    server: Server, body: dict[str, Any], headers: dict[str, str], status: int, code: int
) -> None:
    response = post(server, body, JSON, **headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON
    payload = response.json()
    assert payload["data"] is None
    assert payload["errors"] and all(error["extensions"]["code"] == code for error in payload["errors"]), payload


def test_a_field_error_is_an_executed_request_200_with_data(server: Server) -> None:
    response = post(server, {"query": "{ members(first: 1000) { totalCount } }"}, GRAPHQL_RESPONSE)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["data"] == {"members": None}  # the nullable listing alone is null
    (error,) = payload["errors"]
    assert error["path"] == ["members"] and error["extensions"]["code"] == 3209


MALFORMED = [
    pytest.param(b"{ not json", id="not-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b'{"query": 5}', id="query-not-a-string"),
    pytest.param(b'{"query": "{ __typename }", "variables": "x"}', id="variables-not-an-object"),
    pytest.param(b'{"query": "{ __typename }", "extensions": []}', id="extensions-not-an-object"),
    pytest.param(b'{"notquery": "{ __typename }"}', id="no-query"),
    pytest.param(b"[]", id="batch"),
    pytest.param(b'"a string"', id="json-string"),
    pytest.param(b'{"query": "query A { __typename }", "operationName": "B"}', id="no-such-operation"),
    pytest.param(b'{"query": "{ __typename }", "variables": {"n": NaN}}', id="not-finite"),
]


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_requests_are_400_with_a_json_body_and_3259(server: Server, body: bytes, accept: str) -> None:
    response = httpx.post(server.graphql_url, content=body, headers={"Content-Type": JSON, "Accept": accept})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == accept
    assert only_code(response) == 3259
    assert "data" not in response.json()


@pytest.mark.parametrize("accept", [JSON, GRAPHQL_RESPONSE])
def test_a_mutation_over_get_is_405_allow_post(server: Server, accept: str) -> None:
    response = httpx.get(
        server.graphql_url, params={"query": "mutation { logout { __typename } }"}, headers={"Accept": accept}
    )
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"
    assert only_code(response) == 3259


def test_refusals_of_the_http_layer_are_json_with_a_code(server: Server) -> None:
    cases = {
        "no such path": (httpx.get(f"{server.url}/nothing-here"), 404),
        "trailing slash": (httpx.post(f"{server.graphql_url}/", json={"query": "{ __typename }"}), 404),
        "method": (httpx.put(server.graphql_url, json={"query": "{ __typename }"}), 405),
        "media type": (httpx.post(server.graphql_url, content=b"{}", headers={"Content-Type": "text/plain"}), 415),
        "too large": (post(server, {"query": "{ __typename }", "variables": {"pad": "x" * 150_000}}), 413),
    }
    for name, (response, status) in cases.items():
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"] == JSON, name
        (error,) = response.json()["errors"]
        assert error["message"] and error["extensions"]["code"] == (3256 if status == 413 else 3259), (name, error)


def test_an_unreadable_content_length_is_400_json(server: Server) -> None:
    # httpx will not send a malformed Content-Length: speak HTTP/1.1 directly.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 12abc\r\nConnection: close\r\n\r\n{}"
        )
        raw = b""
        while chunk := connection.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0]
    # uvicorn's parser may refuse the header itself (a bare 400); when it lets it through, we answer.
    assert status_line.split()[1] == b"400", raw
    if b"application/json" in head.lower():
        assert json.loads(body)["errors"][0]["extensions"]["code"] == 3259


def test_graphiql_off_is_a_json_404(production: Server) -> None:
    response = httpx.get(production.graphql_url, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()
    assert only_code(response) == 3259


# --- compression (docs/SECURITY.md, "Compression and BREACH") ---------------------------------

BIG_FIELDS = {f"note{i}": "lorem ipsum dolor sit amet " * 15 for i in range(6)}  # ~2.5 kB of JSON
REGISTER_BIG = """mutation ($email: String, $password: String!, $options: RegistrationOptions) {
  register(email: $email, password: $password, options: $options) {
    __typename ... on RegisterPayload { sessionToken member { id contact { customFields } } } } }"""
MEMBER = "query ($id: ID!) { member(id: $id) { id ... on Member { contact { customFields } } } }"


def test_query_results_are_gzipped_and_mutation_results_never(server: Server) -> None:
    gzip = {"Accept-Encoding": "gzip"}
    variables = {
        "email": unique_email("big"),
        "password": "correct horse",
        "options": {"contactInfo": {"customFields": BIG_FIELDS}},
    }
    registered = httpx.post(server.graphql_url, json={"query": REGISTER_BIG, "variables": variables}, headers=gzip)
    assert registered.status_code == 200, registered.text
    result = registered.json()["data"]["register"]
    assert result["sessionToken"] and result["member"]["contact"]["customFields"] == BIG_FIELDS
    # The mutation's answer holds a session token next to the registrant's own input: not compressed.
    assert len(registered.content) > 2048 and "content-encoding" not in registered.headers

    # The same fields, read by a query: compressed (httpx decompresses; the header tells).
    read = httpx.post(
        server.graphql_url,
        json={"query": MEMBER, "variables": {"id": result["member"]["id"]}},
        headers={**gzip, "X-Api-Key": ADMIN_KEY},
    )
    assert read.status_code == 200, read.text
    assert read.json()["data"]["member"]["contact"]["customFields"] == BIG_FIELDS
    assert read.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in read.headers["vary"].lower()
    assert int(read.headers["content-length"]) < len(read.content) / 2

    # Without gzip in Accept-Encoding, or below the threshold, nothing is compressed.
    plain = httpx.post(
        server.graphql_url,
        json={"query": MEMBER, "variables": {"id": result["member"]["id"]}},
        headers={"Accept-Encoding": "identity", "X-Api-Key": ADMIN_KEY},
    )
    assert "content-encoding" not in plain.headers and plain.json() == read.json()
    small = httpx.post(server.graphql_url, json={"query": "{ __typename }"}, headers=gzip)
    assert "content-encoding" not in small.headers
    for accept_encoding, compressed in (("gzip;q=0, deflate", False), ("*", True), ("br, gzip;q=0.1", True)):
        response = httpx.post(
            server.graphql_url,
            json={"query": MEMBER, "variables": {"id": result["member"]["id"]}},
            headers={"Accept-Encoding": accept_encoding, "X-Api-Key": ADMIN_KEY},
        )
        assert (response.headers.get("content-encoding") == "gzip") is compressed, accept_encoding


def test_pages_and_refusals_are_never_compressed(server: Server) -> None:
    gzip = {"Accept-Encoding": "gzip"}
    page = httpx.get(f"{server.url}/reset-password", params={"token": "x" * 3000}, headers=gzip)
    assert page.headers["content-type"].startswith("text/html")
    assert "content-encoding" not in page.headers
    refused = httpx.post(server.graphql_url, content=b"{" + b" " * 5000, headers={**gzip, "Content-Type": JSON})
    assert refused.status_code == 400 and "content-encoding" not in refused.headers


def test_a_mutation_without_a_token_is_not_compressed_either(server: Server) -> None:
    # The rule is by operation, not by looking for secrets: no mutation answer is ever compressed.
    registered = httpx.post(
        server.graphql_url,
        json={"query": REGISTER, "variables": {"email": unique_email("u"), "password": "correct horse"}},
    ).json()["data"]["register"]
    update = """mutation ($id: ID!, $fields: JSON) { updateMember(id: $id, input: {customFields: $fields}) {
      __typename ... on MemberPayload { member { contact { customFields } } } } }"""
    response = httpx.post(
        server.graphql_url,
        json={"query": update, "variables": {"id": registered["member"]["id"], "fields": BIG_FIELDS}},
        headers={"Accept-Encoding": "gzip", "X-Api-Key": ADMIN_KEY},
    )
    assert response.json()["data"]["updateMember"]["member"]["contact"]["customFields"] == BIG_FIELDS, response.text
    assert len(response.content) > 2048 and "content-encoding" not in response.headers
