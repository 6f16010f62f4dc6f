"""Input the edge must refuse before it is stored or reaches the code: non-finite numbers,
lone UTF-16 surrogates, and URLs built from the ``Host`` header.

- ``NaN``, ``Infinity``, ``-Infinity`` and ``1e309`` are not JSON, but Python's json.loads
  accepts them in a request body, and a GraphQL float literal such as ``1e309`` parses to
  ``inf``. Stored in customFields, they made every later response that shows them invalid
  JSON: one anonymous registrant broke the backend's ``members`` listing.
- ``"\\ud800"`` is a valid JSON escape but no Unicode character: in a string variable it
  answered "Unexpected error." with a traceback in the log; in a custom field it was stored.
- Starlette's router redirected ``/reset-password/`` to ``/reset-password`` with a
  ``Location`` built from the request's ``Host``: ``Host: evil.example`` sent the browser
  to evil.example.

Every request goes over HTTP to a real server; the database is read directly.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.attack.conftest import (
    ADMIN_KEY,
    REGISTER,
    Client,
    Server,
    SharedServers,
    new_address,
    query_database,
    register,
    unique_email,
)

LISTING = "{ members(first: 100) { edges { node { id ... on Member { contact { customFields } } } } } }"
NOT_FINITE = "JSON numbers must be finite"
NOT_UNICODE = "not valid Unicode"


@pytest.fixture
def server(shared_servers: SharedServers) -> Server:
    (started,) = shared_servers("edge")
    return started


def strict_json(text: str) -> Any:
    """Parse as JSON is specified (RFC 8259): no NaN or Infinity, every string valid Unicode."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    value = json.loads(text, parse_constant=refuse)
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError on a lone surrogate
    return value


def stored_rows(server: Server) -> tuple[int, int]:
    """How many members and contacts the database holds (this module's tests run one at a time)."""
    members = query_database(server.database_url, "SELECT COUNT(*) AS n FROM member")[0]["n"]
    contacts = query_database(server.database_url, "SELECT COUNT(*) AS n FROM contact")[0]["n"]
    return members, contacts


async def post_text(http: httpx.AsyncClient, server: Server, body: str, **headers: str) -> httpx.Response:
    """POST a body exactly as written (httpx's json= would refuse NaN and escape nothing)."""
    return await http.post(
        server.graphql_url,
        content=body.encode("ascii"),
        headers={"Content-Type": "application/json", "X-Forwarded-For": new_address(), **headers},
    )


def registration_body(email: str, custom_field: str) -> str:
    """A register request whose customFields {"x": …} holds ``custom_field`` as raw JSON text."""
    variables = {
        "email": email,
        "password": "correct horse",
        "options": {"contactInfo": {"customFields": {"x": "@VALUE@"}}},
    }
    return json.dumps({"query": REGISTER, "variables": variables}).replace('"@VALUE@"', custom_field)


async def assert_listing_is_valid_json(http: httpx.AsyncClient, server: Server) -> list[dict[str, Any]]:
    response = await http.post(server.graphql_url, json={"query": LISTING}, headers={"X-Api-Key": ADMIN_KEY})
    assert response.status_code == 200, response.text
    body = strict_json(response.text)
    assert not body.get("errors"), body
    return [edge["node"] for edge in body["data"]["members"]["edges"]]


# --- 1. non-finite numbers -------------------------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1E400"])
async def test_non_finite_numbers_in_the_body_are_refused_with_400(
    server: Server, http: httpx.AsyncClient, number: str
) -> None:
    before = stored_rows(server)
    response = await post_text(http, server, registration_body(unique_email("nan"), number))
    assert response.status_code == 400, response.text
    assert NOT_FINITE in response.text
    assert stored_rows(server) == before
    await assert_listing_is_valid_json(http, server)


async def test_non_finite_numbers_anywhere_in_the_body_are_refused(server: Server, http: httpx.AsyncClient) -> None:
    for body in (
        '{"query": "{ __typename }", "extensions": {"x": NaN}}',
        '{"query": "{ __typename }", "variables": {"deep": [[{"x": [Infinity]}]]}}',
        '[{"query": "{ __typename }", "variables": {"x": -Infinity}}]',
    ):
        response = await post_text(http, server, body)
        assert response.status_code == 400, (body, response.text)
        assert NOT_FINITE in response.text, body


async def test_non_finite_numbers_in_get_variables_are_refused(server: Server, http: httpx.AsyncClient) -> None:
    query = "query ($n: Int) { members(first: $n) { edges { cursor } } }"
    for variables in ('{"n": 1, "x": NaN}', '{"n": 1, "x": {"y": 1e309}}'):
        response = await http.get(server.graphql_url, params={"query": query, "variables": variables})
        assert response.status_code == 400, (variables, response.text)
        assert NOT_FINITE in response.text
    response = await http.get(server.graphql_url, params={"query": query, "extensions": '{"x": Infinity}'})
    assert response.status_code == 400 and NOT_FINITE in response.text, response.text
    fine = await http.get(server.graphql_url, params={"query": query, "variables": '{"n": 1, "x": 1.5e308}'})
    assert fine.status_code == 200 and "errors" not in strict_json(fine.text), fine.text


@pytest.mark.parametrize("literal", ["1e309", "-1e309", "{x: 1e309}", "{x: [1, {y: -1E999}]}"])
async def test_non_finite_json_literals_in_the_document_are_refused_with_3209(
    server: Server, http: httpx.AsyncClient, literal: str
) -> None:
    email = unique_email("literal")
    custom_fields = literal if literal.startswith("{") else f"{{x: {literal}}}"
    document = f"""mutation {{ register(email: "{email}", password: "correct horse",
      options: {{contactInfo: {{customFields: {custom_fields}}}}}) {{ __typename }} }}"""
    before = stored_rows(server)
    client = Client(http, server.graphql_url)
    response = await client.response(document)
    assert response.status_code == 200, response.text
    body = strict_json(response.text)
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == 3209, error
    assert NOT_FINITE in error["message"], error
    assert error["locations"], error  # points at the literal
    assert stored_rows(server) == before
    await assert_listing_is_valid_json(http, server)


async def test_non_finite_json_in_a_variable_default_and_in_update_member_are_refused(
    server: Server, http: httpx.AsyncClient
) -> None:
    client = Client(http, server.graphql_url)
    member = await register(client, unique_email("update"))
    update = """mutation ($id: ID!, $fields: JSON = {x: 1e309}) {
      updateMember(id: $id, input: {customFields: $fields}) { __typename } }"""
    body = strict_json((await client.response(update, {"id": member["member"]["id"]}, api_key=ADMIN_KEY)).text)
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == 3209, body
    as_variable = json.dumps(
        {"query": update, "variables": {"id": member["member"]["id"], "fields": {"x": "@"}}}
    ).replace('"@"', "NaN")
    refused = await post_text(http, server, as_variable, **{"X-Api-Key": ADMIN_KEY})
    assert refused.status_code == 400 and NOT_FINITE in refused.text, refused.text
    (row,) = query_database(
        server.database_url,
        f"SELECT c.custom_fields FROM contact c JOIN member m ON m.contact_id = c.id WHERE m.id = '{member['member']['id']}'",
    )
    fields = row["custom_fields"]
    assert (json.loads(fields) if isinstance(fields, str) else fields) == {}


async def test_finite_numbers_are_still_stored(server: Server, http: httpx.AsyncClient) -> None:
    email = unique_email("finite")
    body = registration_body(email, "1.7976931348623157e308").replace('"x": 1.7', '"n": -0.5, "i": 12, "x": 1.7')
    response = await post_text(http, server, body)
    assert response.json()["data"]["register"]["__typename"] == "RegisterPayload", response.text
    nodes = await assert_listing_is_valid_json(http, server)
    (stored,) = [n["contact"]["customFields"] for n in nodes if n["contact"]["customFields"].get("n") == -0.5]
    # PostgreSQL's jsonb gives the largest double back as its 309 decimal digits: the same number.
    assert stored["i"] == 12 and float(stored["x"]) == 1.7976931348623157e308, stored


# --- 2. lone UTF-16 surrogates ---------------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    ["email", "password", "custom field value", "custom field name", "query", "operationName", "extensions"],
)
async def test_lone_surrogates_in_the_body_are_refused_with_400(
    server: Server, http: httpx.AsyncClient, where: str
) -> None:
    lone = "\ud800" if where != "password" else "\udfff"
    email = unique_email("surrogate")
    variables: dict[str, Any] = {"email": email, "password": "correct horse", "options": {"contactInfo": {}}}
    request: dict[str, Any] = {"query": REGISTER, "variables": variables}
    if where == "email":
        variables["email"] = email.replace("@", lone + "@")
    elif where == "password":
        variables["password"] = "correct " + lone
    elif where == "custom field value":
        variables["options"]["contactInfo"]["customFields"] = {"hobby": "chess " + lone}
    elif where == "custom field name":
        variables["options"]["contactInfo"]["customFields"] = {"hob" + lone: "chess"}
    elif where == "query":
        request["query"] = REGISTER + " # " + lone
    elif where == "operationName":
        request["operationName"] = lone
    else:
        request["extensions"] = {lone: 1}
    before, log_start = stored_rows(server), len(server.output())
    response = await post_text(http, server, json.dumps(request))  # json.dumps writes "\ud800" as an escape
    assert response.status_code == 400, response.text
    assert NOT_UNICODE in response.text and "surrogate" in response.text
    assert stored_rows(server) == before
    assert "Traceback" not in server.output()[log_start:]
    await assert_listing_is_valid_json(http, server)


async def test_surrogates_sent_as_utf8_bytes_are_refused_too(server: Server, http: httpx.AsyncClient) -> None:
    # ED A0 80 is not UTF-8, but json.loads decodes a bytes body with "surrogatepass".
    before, log_start = stored_rows(server), len(server.output())
    body = (
        registration_body(unique_email("bytes"), '"chess \\ud800"').encode("ascii").replace(b"\\ud800", b"\xed\xa0\x80")
    )
    response = await http.post(
        server.graphql_url, content=body, headers={"Content-Type": "application/json", "X-Forwarded-For": new_address()}
    )
    assert response.status_code == 400, response.text
    assert NOT_UNICODE in response.text
    assert stored_rows(server) == before
    assert "Traceback" not in server.output()[log_start:]


async def test_surrogate_pairs_are_characters_and_accepted(server: Server, http: httpx.AsyncClient) -> None:
    email = unique_email("emoji")
    request = {
        "query": REGISTER,
        "variables": {"email": email, "password": "correct horse", "options": {"contactInfo": {"customFields": {}}}},
    }
    body = json.dumps(request).replace('"customFields": {}', '"customFields": {"mood": "\\ud83d\\ude00"}')
    response = await post_text(http, server, body)
    assert response.json()["data"]["register"]["__typename"] == "RegisterPayload", response.text
    nodes = await assert_listing_is_valid_json(http, server)
    assert {"mood": "\N{GRINNING FACE}"} in [n["contact"]["customFields"] for n in nodes]


async def test_lone_surrogates_over_get_never_500(server: Server, http: httpx.AsyncClient) -> None:
    log_start = len(server.output())
    query = "query ($id: ID!) { member(id: $id) { id } }"
    in_variables = await http.get(server.graphql_url, params={"query": query, "variables": '{"id": "\\ud800"}'})
    assert in_variables.status_code == 400, in_variables.text
    assert NOT_UNICODE in in_variables.text
    # Percent-encoded UTF-8 of a surrogate (ED A0 80) is not UTF-8: the query string decodes
    # it to replacement characters, and the document is then a plain syntax error.
    encoded = await http.get(server.graphql_url + "?query=%7B%20__typename%20%7D%20%23%ED%A0%80")
    assert encoded.status_code < 500, encoded.text
    assert strict_json(encoded.text) == {"data": {"__typename": "Query"}}
    in_a_name = await http.get(server.graphql_url + "?query=%7B%20__typename%ED%A0%80%20%7D")
    assert in_a_name.status_code < 500, in_a_name.text
    assert strict_json(in_a_name.text)["errors"][0]["message"].startswith("Syntax Error")
    assert "Traceback" not in server.output()[log_start:]


async def test_a_surrogate_escape_in_a_document_string_is_a_clean_syntax_error(
    server: Server, http: httpx.AsyncClient
) -> None:
    # In the document "\ud800" is GraphQL's own escape (the JSON body holds "\\ud800"): graphql-core refuses it.
    log_start = len(server.output())
    document = 'mutation { login(identity: "a\\ud800@example.com", password: "correct horse") { __typename } }'
    response = await Client(http, server.graphql_url).response(document)
    assert response.status_code == 200, response.text
    body = strict_json(response.text)
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["message"].startswith("Syntax Error: Invalid Unicode escape sequence"), error
    assert "requestId" not in error.get("extensions", {})
    assert "Traceback" not in server.output()[log_start:]


# --- 3. no URL from the Host header ----------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
async def test_no_response_builds_a_url_from_the_host_header(
    server: Server, http: httpx.AsyncClient, method: str
) -> None:
    for path in (
        "/reset-password/?token=x",
        "/confirm-email/?token=x",
        "/graphql/?query=%7B__typename%7D",
        "/health/",
        "/ready/",
        "/reset-password?token=x",
        "/graphql?query=%7B__typename%7D",
    ):
        response = await http.request(
            method,
            server.url + path,
            headers={"Host": "evil.example", "Content-Type": "application/json", "Accept": "text/html"},
            content=b'{"query": "{ __typename }"}' if method == "POST" else None,
        )
        assert "location" not in response.headers, (method, path, response.status_code, response.headers)
        assert response.status_code < 300 or response.status_code >= 400, (method, path, response.status_code)
        assert "evil.example" not in json.dumps(list(response.headers.multi_items())), (method, path)
        assert "evil.example" not in response.text, (method, path)
