"""The pure rules of GraphQL over HTTP, without a server: media type negotiation, the status
of a result, the persisted-query cache bound, the manifest and the settings."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from gql.api.persisted_queries import LruStore, Mode, PersistedQueries, PersistedQueryError, load_manifest
from gql.api.responses import GRAPHQL_RESPONSE, JSON, is_request_error, negotiate, status_for
from gql.compression import accepts_gzip
from gql.config import ConfigError, load_config
from gql.domain.errors import ErrorCode

BASE = {"MEMBERS_ADMIN_API_KEY": "k" * 32, "MEMBERS_SECRET_KEY": "s" * 40, "MEMBERS_DATABASE_URL": "sqlite:///tmp/x.db"}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE),
        ("application/json;q=0.9, application/graphql-response+json;q=0.8", JSON),
        ("application/graphql-response+json;q=0.9, */*;q=1", JSON),
        ("application/graphql-response+json;q=0.9, application/json;q=0.1, */*", GRAPHQL_RESPONSE),  # exact beats *
        ("application/graphql-response+json;q=oops", JSON),  # unreadable quality: not acceptable
        ("text/html", JSON),
    ],
)
def test_negotiate(accept: str, expected: str) -> None:
    assert negotiate(accept) == expected


def error(code: int | None = None, path: list[str] | None = None) -> GraphQLError:
    return GraphQLError("x", path=path, extensions={"code": code} if code is not None else {"requestId": "abc"})


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (ExecutionResult(data={"a": 1}, errors=None), 200),
        (ExecutionResult(data=None, errors=[error(3209, ["members"])]), 200),  # executed: a field error
        (ExecutionResult(data=None, errors=[error(3250)]), 400),
        (ExecutionResult(data=None, errors=[error(2002)]), 403),
        (ExecutionResult(data=None, errors=[error(3207)]), 429),
        (ExecutionResult(data=None, errors=[error(3208)]), 503),
        (ExecutionResult(data=None, errors=[error(3257)]), 404),
        (ExecutionResult(data=None, errors=[error(3258)]), 403),
        (ExecutionResult(data=None, errors=[error()]), 500),  # masked unexpected error
    ],
)
def test_status_for(result: ExecutionResult, status: int) -> None:
    assert status_for(result, GRAPHQL_RESPONSE) == status
    assert status_for(result, JSON) == 200
    assert is_request_error(result) == (status != 200)


def test_the_lru_keeps_the_most_recently_used_documents() -> None:
    async def scenario() -> None:
        store = LruStore(capacity=3)
        for name in "abcd":
            await store.put(name, f"doc {name}")
        assert await store.get("a") is None  # evicted: the oldest
        assert await store.get("b") == "doc b"  # b is now the most recently used
        await store.put("e", "doc e")
        assert await store.get("c") is None and await store.get("b") == "doc b"
        assert len(store.documents) == 3

    asyncio.run(scenario())


def test_apq_refuses_before_looking_up_and_stores_only_fitting_documents() -> None:
    async def scenario() -> None:
        apq = PersistedQueries(Mode.APQ)
        document = "{ __typename }"
        digest = hashlib.sha256(document.encode()).hexdigest()
        with pytest.raises(PersistedQueryError) as missing:
            await apq.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": digest}})
        assert (
            missing.value.code is ErrorCode.PERSISTED_QUERY_NOT_FOUND
            and missing.value.message == "PersistedQueryNotFound"
        )
        resolved = await apq.resolve(document, {"persistedQuery": {"version": 1, "sha256Hash": digest.upper()}})
        assert resolved.store_as == digest
        await apq.store_valid(resolved)
        assert (await apq.resolve(None, {"persistedQuery": {"version": 1, "sha256Hash": digest}})).query == document
        big = "{" + " " * 40_000 + "__typename }"
        big_hash = hashlib.sha256(big.encode()).hexdigest()
        assert (await apq.resolve(big, {"persistedQuery": {"version": 1, "sha256Hash": big_hash}})).store_as is None

    asyncio.run(scenario())


def test_the_manifest_must_map_sha256_hashes_to_documents(tmp_path: Path) -> None:
    path = tmp_path / "persisted-documents.json"
    document = "query A { __typename }"
    path.write_text(json.dumps({hashlib.sha256(document.encode()).hexdigest(): document}))
    assert load_manifest(path) == {hashlib.sha256(document.encode()).hexdigest(): document}
    for bad in ({}, {"abc": document}, {hashlib.sha256(b"x").hexdigest(): 5}):
        path.write_text(json.dumps(bad))
        with pytest.raises(ConfigError):
            load_manifest(path)


def test_persisted_query_settings() -> None:
    assert load_config(BASE).persisted_queries == "apq"
    assert load_config({**BASE, "MEMBERS_PERSISTED_QUERIES": "OFF"}).persisted_queries == "off"
    with pytest.raises(ConfigError, match="apq, safelist or off"):
        load_config({**BASE, "MEMBERS_PERSISTED_QUERIES": "sometimes"})
    with pytest.raises(ConfigError, match="MEMBERS_PERSISTED_QUERIES_MANIFEST"):
        load_config({**BASE, "MEMBERS_PERSISTED_QUERIES": "safelist"})
    safelist = load_config(
        {**BASE, "MEMBERS_PERSISTED_QUERIES": "safelist", "MEMBERS_PERSISTED_QUERIES_MANIFEST": "/srv/pd.json"}
    )
    assert (safelist.persisted_queries, safelist.persisted_queries_manifest) == ("safelist", "/srv/pd.json")


@pytest.mark.parametrize(
    ("accept_encoding", "gzip"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("*", True),
        ("*, gzip;q=0", False),  # its own entry decides
        ("identity", False),
        ("", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accepts_gzip(accept_encoding: str, gzip: bool) -> None:
    assert accepts_gzip(accept_encoding) is gzip
