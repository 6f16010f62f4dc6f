"""Persisted queries against real servers: Apollo's APQ protocol over POST and GET, the hash
check, the bounds of the cache, sharing through Redis, the safelist mode and ``off``."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.attack.conftest import ADMIN_KEY, REDIS_URL, Server, SharedServers, StartServer
from tests.attack.test_ratelimit import backend_env

GRAPHQL_RESPONSE = "application/graphql-response+json"
SETTINGS = "query Config { registrationSettings { enabled approval } }"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def extensions(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}


def unique_query() -> str:
    """A document no other test (or earlier run against a shared Redis) has sent."""
    return f"query Q{uuid.uuid4().hex} {{ __typename }}"


def by_hash(server: Server, document: str, accept: str | None = None, **headers: str) -> httpx.Response:
    if accept:
        headers["Accept"] = accept
    return httpx.post(server.graphql_url, json={"extensions": extensions(document)}, headers=headers, timeout=30)


def with_document(server: Server, document: str, **headers: str) -> httpx.Response:
    body = {"query": document, "extensions": extensions(document)}
    return httpx.post(server.graphql_url, json=body, headers=headers, timeout=30)


def by_hash_over_get(server: Server, document: str, **headers: str) -> httpx.Response:
    params = {"extensions": json.dumps(extensions(document))}
    return httpx.get(server.graphql_url, params=params, headers=headers, timeout=30)


def code_of(response: httpx.Response) -> int:
    (error,) = response.json()["errors"]
    return error["extensions"]["code"]


@pytest.fixture
def server(shared_servers: SharedServers) -> Server:
    (started,) = shared_servers("apq")
    return started


def test_apollo_flow_hash_not_found_then_registered_then_by_hash(server: Server) -> None:
    document = unique_query()
    missing = by_hash(server, document)
    assert missing.status_code == 200  # application/json: a request error is still a 200
    assert missing.json() == {
        "data": None,
        "errors": [
            {"message": "PersistedQueryNotFound", "extensions": {"code": 3257, "reason": "PERSISTED_QUERY_NOT_FOUND"}}
        ],
    }
    # Apollo Client 4 asks for graphql-response+json: a 404 without data, same body otherwise.
    missing_spec = by_hash(server, document, GRAPHQL_RESPONSE)
    assert missing_spec.status_code == 404 and "data" not in missing_spec.json()
    assert missing_spec.json()["errors"][0]["message"] == "PersistedQueryNotFound"

    registered = with_document(server, document)
    assert registered.json() == {"data": {"__typename": "Query"}}, registered.text
    assert by_hash(server, document).json() == {"data": {"__typename": "Query"}}
    over_get = by_hash_over_get(server, document, Accept="*/*")  # */*: GraphiQL is not served for it
    assert over_get.status_code == 200 and over_get.json() == {"data": {"__typename": "Query"}}, over_get.text


def test_a_persisted_mutation_does_not_run_over_get(server: Server) -> None:
    document = f"mutation M{uuid.uuid4().hex} {{ logout {{ __typename }} }}"
    assert with_document(server, document).status_code == 200  # stored (POST runs mutations)
    refused = by_hash_over_get(server, document)
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert code_of(refused) == 3259


@pytest.mark.parametrize(
    "persisted",
    [
        {"version": 1, "sha256Hash": "0" * 63},
        {"version": 1, "sha256Hash": "z" * 64},
        {"version": 2, "sha256Hash": "0" * 64},
        {"sha256Hash": "0" * 64},
        "a string",
    ],
)
def test_a_malformed_persisted_query_extension_is_400(server: Server, persisted: Any) -> None:
    response = httpx.post(server.graphql_url, json={"extensions": {"persistedQuery": persisted}})
    assert response.status_code == 400, response.text
    assert code_of(response) == 3259


def test_a_hash_that_is_not_the_documents_is_refused_and_nothing_is_stored(server: Server) -> None:
    document, other = unique_query(), unique_query()
    body = {"query": document, "extensions": extensions(other)}
    for accept in ("application/json", GRAPHQL_RESPONSE):
        refused = httpx.post(server.graphql_url, json=body, headers={"Accept": accept})
        assert refused.status_code == 400 and code_of(refused) == 3259, refused.text
    # Neither the claimed hash nor the document's own now names anything.
    assert code_of(by_hash(server, other)) == 3257
    assert code_of(by_hash(server, document)) == 3257


def test_persisted_documents_go_through_every_limit(server: Server) -> None:
    aliases = f"query A{uuid.uuid4().hex} {{ " + " ".join(f"a{i}: __typename" for i in range(16)) + " }"
    refused = with_document(server, aliases)
    assert code_of(refused) == 3254
    assert code_of(by_hash(server, aliases)) == 3257  # a document that did not validate is not stored

    # The API-key guard: a wrong key refuses the run of a stored document as of any other.
    document = f"query S{uuid.uuid4().hex} {{ registrationSettings {{ enabled }} }}"
    assert with_document(server, document, **{"X-Api-Key": ADMIN_KEY}).json()["data"]["registrationSettings"]
    assert code_of(by_hash(server, document, **{"X-Api-Key": "wrong"})) == 2002
    assert by_hash(server, document, **{"X-Api-Key": ADMIN_KEY}).json()["data"]["registrationSettings"]["enabled"]


def test_a_document_over_the_size_bound_runs_but_is_not_stored(server: Server) -> None:
    # Whitespace costs no token: a valid document of 40 kB (the bound is 32 kB).
    document = f"query Big{uuid.uuid4().hex} {{" + " " * 40_000 + "__typename }"
    assert with_document(server, document).json() == {"data": {"__typename": "Query"}}
    assert code_of(by_hash(server, document)) == 3257


def test_without_redis_each_process_keeps_its_own_documents(shared_servers: SharedServers) -> None:
    first, second = shared_servers("apq-local-pair", 2)
    document = unique_query()
    assert with_document(first, document).json() == {"data": {"__typename": "Query"}}
    assert by_hash(first, document).json() == {"data": {"__typename": "Query"}}
    assert code_of(by_hash(second, document)) == 3257


def test_with_redis_every_process_shares_the_documents_which_expire(start_server: StartServer) -> None:
    env = backend_env("redis")  # skips without Redis (fails with MEMBERS_REQUIRE_REDIS=1)
    first, second = start_server(**env), start_server(**env)
    document = unique_query()
    assert code_of(by_hash(second, document)) == 3257
    assert with_document(first, document).json() == {"data": {"__typename": "Query"}}
    assert by_hash(second, document).json() == {"data": {"__typename": "Query"}}

    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        key = f"{env['redis_prefix']}apq:{sha256(document)}"
        assert client.get(key) == document.encode()
        ttl = client.ttl(key)
        assert 0 < ttl <= 3600, ttl  # bounded in time: every key expires
        client.expire(key, 5)
        assert by_hash(first, document).status_code == 200
        assert client.ttl(key) > 5  # a hit renews it: documents in use stay
        client.delete(key)
        assert code_of(by_hash(first, document)) == 3257  # no copy left in the process either
    finally:
        client.close()


def test_unreachable_redis_means_clients_send_their_documents(start_server: StartServer) -> None:
    server = start_server(redis_url="redis://127.0.0.1:1/0")
    document = unique_query()
    assert code_of(by_hash(server, document)) == 3257
    assert with_document(server, document).json() == {"data": {"__typename": "Query"}}
    output = server.stop()
    assert "persisted queries not shared: Redis unreachable" in output


# --- safelist -------------------------------------------------------------------------------------

ALLOWED = "query Allowed { __typename }"
ALLOWED_MUTATION = "mutation Out { logout { __typename } }"


def manifest(tmp_path: Path, documents: list[str], *, key: Any = sha256) -> Path:
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({key(document): document for document in documents}))
    return path


def test_safelist_runs_only_the_manifests_documents(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(
        persisted_queries="safelist", persisted_queries_manifest=str(manifest(tmp_path, [ALLOWED, ALLOWED_MUTATION]))
    )
    assert by_hash(server, ALLOWED).json() == {"data": {"__typename": "Query"}}
    assert by_hash_over_get(server, ALLOWED).json() == {"data": {"__typename": "Query"}}
    assert by_hash(server, ALLOWED_MUTATION).json()["data"]["logout"]["__typename"]
    # A registered document sent in full runs too (it is the same text).
    assert httpx.post(server.graphql_url, json={"query": ALLOWED}).json() == {"data": {"__typename": "Query"}}

    other = "query Other { __typename }"
    free_form = httpx.post(server.graphql_url, json={"query": other})
    assert code_of(free_form) == 3258 and free_form.status_code == 200
    spec = httpx.post(server.graphql_url, json={"query": other}, headers={"Accept": GRAPHQL_RESPONSE})
    assert spec.status_code == 403 and code_of(spec) == 3258 and "data" not in spec.json()
    # Apollo's link: unknown hash → not found; then the document with its hash → not allowed, never stored.
    assert code_of(by_hash(server, other)) == 3257
    assert code_of(with_document(server, other)) == 3258
    assert code_of(by_hash(server, other)) == 3257
    # A registered hash with another document is a lie, not a registration.
    lie = httpx.post(server.graphql_url, json={"query": other, "extensions": extensions(ALLOWED)})
    assert lie.status_code == 400 and code_of(lie) == 3259


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            lambda tmp: manifest(tmp, [ALLOWED], key=lambda d: hashlib.sha1(d.encode()).hexdigest()),
            "is not the SHA-256",
        ),
        (lambda tmp: (tmp / "m.json").write_text("[]") and tmp / "m.json", "must be a JSON object"),
        (lambda tmp: (tmp / "m.json").write_text("{not json") and tmp / "m.json", "is not JSON"),
        (lambda tmp: tmp / "missing.json", "cannot be read"),
    ],
)
def test_safelist_refuses_to_start_with_a_bad_manifest(
    start_server: StartServer, tmp_path: Path, content: Any, message: str
) -> None:
    path = content(tmp_path)
    with pytest.raises(RuntimeError) as failed:
        start_server(persisted_queries="safelist", persisted_queries_manifest=str(path))
    assert "MEMBERS_PERSISTED_QUERIES_MANIFEST" in str(failed.value) and message in str(failed.value)


def test_off_ignores_hashes_and_says_not_supported(start_server: StartServer) -> None:
    server = start_server(persisted_queries="off")
    document = unique_query()
    refused = by_hash(server, document)
    assert refused.status_code == 400  # Apollo's link reads this body and stops sending hashes
    assert refused.json()["errors"][0]["message"] == "PersistedQueryNotSupported"
    assert code_of(refused) == 3259
    assert with_document(server, document).json() == {"data": {"__typename": "Query"}}
    assert code_of(by_hash(server, document)) == 3259  # nothing was stored
