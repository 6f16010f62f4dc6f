"""The real server over HTTP: register → approve → login → block → refused → unblock."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import processes
from tests.documents import (
    APPROVE_BY_EMAIL,
    APPROVE_BY_TOKEN,
    BLOCK_BY_EMAIL,
    CURRENT_MEMBER,
    LOGIN,
    LOGOUT,
    REGISTER,
)
from tests.e2e.conftest import (
    ADMIN_KEY,
    REPO_ROOT,
    SECRET_KEY,
    Server,
    StartServer,
    e2e_env,
    run_cli,
    unique_email,
)

COUNT_BY_EMAIL = "query ($prefix: String!) { members(filter: {emailPrefix: $prefix}) { totalCount } }"


def _data(result: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in result, result
    return result["data"][field]


def _login(server: Server, email: str, password: str) -> dict[str, Any]:
    return _data(server.graphql(LOGIN, {"identity": email, "password": password}), "login")


def test_manual_approval_block_and_unblock_over_http(start_server: StartServer) -> None:
    server = start_server(MEMBERS_APPROVAL="MANUAL")
    email, password = unique_email("grace"), "Hopper 1906 !"
    secrets_seen: list[str] = [password]

    # A backend registration gets the approval token; the member waits.
    registered = _data(server.backend(REGISTER, {"email": email, "password": password}), "register")
    assert registered["__typename"] == "RegisterPayload", registered
    assert registered["status"] == "PENDING"
    assert registered["member"]["status"] == "PENDING"
    assert registered["sessionToken"] is None
    approval_token = registered["approvalToken"]
    assert approval_token
    secrets_seen.append(approval_token)
    member_id = registered["member"]["id"]

    # An anonymous registration is PENDING too, and never sees a token.
    anonymous = _data(server.graphql(REGISTER, {"email": unique_email("anon"), "password": "anon-pass"}), "register")
    assert anonymous["__typename"] == "RegisterPayload", anonymous
    assert anonymous["status"] == "PENDING"
    assert anonymous["approvalToken"] is None
    assert anonymous["sessionToken"] is None

    # Pending members cannot log in yet.
    assert _login(server, email, password)["code"] == 3204

    # Approval by token opens a session.
    approved = _data(server.graphql(APPROVE_BY_TOKEN, {"token": approval_token}), "approveByToken")
    assert approved["__typename"] == "ApproveByTokenPayload", approved
    assert approved["member"] == {"id": member_id, "loginEmail": email, "status": "APPROVED"}
    approval_session = approved["sessionToken"]
    secrets_seen.append(approval_session)
    me = _data(server.graphql(CURRENT_MEMBER, token=approval_session), "currentMember")
    assert me == {"id": member_id, "loginEmail": email, "status": "APPROVED"}

    # The token works once.
    again = _data(server.graphql(APPROVE_BY_TOKEN, {"token": approval_token}), "approveByToken")
    assert again["code"] == 3203, again

    # Login (identity compared case-insensitively) gives another session.
    logged_in = _login(server, email.upper(), password)
    assert logged_in["__typename"] == "LoginPayload", logged_in
    session = logged_in["sessionToken"]
    secrets_seen.append(session)
    assert session != approval_session
    assert _data(server.graphql(CURRENT_MEMBER, token=session), "currentMember")["id"] == member_id

    # Block: the very next request with either old session is anonymous.
    blocked = _data(server.backend(BLOCK_BY_EMAIL, {"email": email}), "blockByEmail")
    assert blocked["__typename"] == "BlockByEmailPayload", blocked
    assert blocked["member"]["status"] == "BLOCKED"
    assert _data(server.graphql(CURRENT_MEMBER, token=session), "currentMember") is None
    assert _data(server.graphql(CURRENT_MEMBER, token=approval_session), "currentMember") is None
    logout = _data(server.graphql(LOGOUT, token=session), "logout")
    assert logout["__typename"] == "NotLoggedInError", logout
    assert logout["code"] == 3028

    # Login is refused while blocked, with the right password.
    refused = _login(server, email, password)
    assert refused["__typename"] == "LoginDisabledError", refused
    assert refused["code"] == 3000

    # approveByEmail unblocks and opens a session; login works again.
    unblocked = _data(server.backend(APPROVE_BY_EMAIL, {"email": email}), "approveByEmail")
    assert unblocked["__typename"] == "ApproveByEmailPayload", unblocked
    assert unblocked["member"]["status"] == "APPROVED"
    secrets_seen.append(unblocked["sessionToken"])
    back = _login(server, email, password)
    assert back["__typename"] == "LoginPayload", back
    secrets_seen.append(back["sessionToken"])
    assert _data(server.graphql(CURRENT_MEMBER, token=back["sessionToken"]), "currentMember")["id"] == member_id

    # Logout ends that session.
    assert _data(server.graphql(LOGOUT, token=back["sessionToken"]), "logout") == {
        "__typename": "LogoutPayload",
        "member": {"id": member_id},
    }
    assert _data(server.graphql(CURRENT_MEMBER, token=back["sessionToken"]), "currentMember") is None

    # Nothing secret reached the server's output, and nothing crashed.
    output = server.stop()
    assert "Application startup complete" in output, output
    for secret in [*secrets_seen, ADMIN_KEY, SECRET_KEY]:
        assert secret not in output, f"the server printed a secret ({secret[:4]}…):\n{output}"
    assert "Traceback" not in output, output


def test_wrong_api_key_is_refused_with_2002_and_nothing_happens(server: Server) -> None:
    email = unique_email("wrongkey")
    refused = server.graphql(REGISTER, {"email": email, "password": "secret-pass"}, api_key="not-the-key")
    assert refused["data"] is None
    assert [error["extensions"]["code"] for error in refused["errors"]] == [2002], refused
    assert _data(server.backend(COUNT_BY_EMAIL, {"prefix": email}), "members")["totalCount"] == 0

    # Nor can a wrong key block an existing member.
    registered = _data(server.backend(REGISTER, {"email": email, "password": "secret-pass"}), "register")
    assert registered["status"] == "PENDING"
    assert (
        _data(server.backend(APPROVE_BY_EMAIL, {"email": email}), "approveByEmail")["__typename"]
        == "ApproveByEmailPayload"
    )
    block = server.graphql(BLOCK_BY_EMAIL, {"email": email}, api_key=ADMIN_KEY + "x")
    assert block["errors"][0]["extensions"]["code"] == 2002, block
    assert _login(server, email, "secret-pass")["__typename"] == "LoginPayload"


def test_backend_only_operations_refuse_other_callers(server: Server) -> None:
    email = unique_email("notbackend")
    result = _data(server.graphql(BLOCK_BY_EMAIL, {"email": email}), "blockByEmail")
    assert result["code"] == 3029, result


def test_graphiql_page_for_browsers(server: Server) -> None:
    assert server.http is not None
    response = server.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


def test_health_and_ready(server: Server) -> None:
    assert server.http is not None
    assert server.http.get("/health").json() == {"status": "ok"}
    assert server.http.get("/ready").json() == {"status": "ok"}


# Requests that must be answered without a 5xx: bad JSON, wrong shapes, invalid documents.
ALIASES = " ".join(f"a{i}: currentMember {{ id }}" for i in range(40))
MALFORMED: list[Any] = [
    pytest.param("POST", b"{not json", "application/json", id="broken-json"),
    pytest.param("POST", b"", "application/json", id="empty-body"),
    pytest.param("POST", b"[]", "application/json", id="empty-batch"),
    pytest.param("POST", b'[{"query": "{ currentMember { id } }"}]', "application/json", id="batch"),
    pytest.param("POST", b'{"query": 5}', "application/json", id="query-not-string"),
    pytest.param("POST", b'{"variables": {}}', "application/json", id="no-query"),
    pytest.param("POST", b'{"query": "{"}', "application/json", id="syntax-error"),
    pytest.param("POST", b'{"query": "{ nope }"}', "application/json", id="unknown-field"),
    pytest.param(
        "POST",
        b'{"query": "{ currentMember { id } }", "variables": "x"}',
        "application/json",
        id="variables-not-object",
    ),
    pytest.param(
        "POST",
        b'{"query": "{ currentMember { id } }", "operationName": "Nope"}',
        "application/json",
        id="unknown-operation",
    ),
    pytest.param(
        "POST",
        json.dumps(
            {"query": "query ($n: Int!) { members(first: $n) { totalCount } }", "variables": {"n": "x"}}
        ).encode(),
        "application/json",
        id="variable-wrong-type",
    ),
    pytest.param(
        "POST",
        json.dumps({"query": "{ members(first: 1000) { totalCount } }"}).encode(),
        "application/json",
        id="page-too-big",
    ),
    pytest.param(
        "POST",
        json.dumps({"query": '{ members(after: "garbage") { totalCount } }'}).encode(),
        "application/json",
        id="bad-cursor",
    ),
    pytest.param(
        "POST", json.dumps({"query": '{ member(id: "not-a-uuid") { id } }'}).encode(), "application/json", id="bad-id"
    ),
    pytest.param(
        "POST", json.dumps({"query": "{ " + ALIASES + " }"}).encode(), "application/json", id="too-many-aliases"
    ),
    pytest.param(
        "POST",
        json.dumps(
            {
                "query": 'mutation { register(password: "pw", options: {contactInfo: {customFields: [1]}}) { __typename } }'
            }
        ).encode(),
        "application/json",
        id="custom-fields-not-object",
    ),
    pytest.param("POST", b"query=x", "application/x-www-form-urlencoded", id="form-body"),
    pytest.param("POST", b"hello", "text/plain", id="text-body"),
    pytest.param("POST", b"garbage", "multipart/form-data; boundary=x", id="broken-multipart"),
    pytest.param("GET", b"", None, id="get-syntax-error"),
    pytest.param("PUT", b"{}", "application/json", id="put"),
    pytest.param("POST", b'"a string"', "application/json", id="json-string"),
    pytest.param("POST", b"null", "application/json", id="json-null"),
    pytest.param("POST", b"5", "application/json", id="json-number"),
    pytest.param("POST", b"\xff\xfe{", "application/json", id="invalid-utf8"),
]


@pytest.mark.parametrize(("method", "body", "content_type"), MALFORMED)
def test_malformed_requests_never_get_a_5xx(server: Server, method: str, body: bytes, content_type: str | None) -> None:
    assert server.http is not None
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    url = "/graphql?query=%7B" if method == "GET" else "/graphql"
    response = server.http.request(method, url, content=body, headers=headers)
    assert response.status_code < 500, f"{response.status_code}: {response.text}"
    if response.status_code == 200:
        payload = response.json()
        assert payload.get("data") is not None or payload.get("errors"), payload


def test_garbage_session_tokens_are_anonymous(server: Server) -> None:
    assert server.http is not None
    for token in ["zzz", "x" * 5000, "Bearer", "a.b.c"]:
        response = server.http.post(
            "/graphql", json={"query": CURRENT_MEMBER}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"currentMember": None}}


def test_uvicorn_app_import_string_serves_too(start_server: StartServer) -> None:
    server = start_server(command="uvicorn")  # default settings: automatic approval
    assert server.backend("{ registrationSettings { approval } }")["data"] == {
        "registrationSettings": {"approval": "AUTOMATIC"}
    }
    registered = _data(
        server.graphql(REGISTER, {"email": unique_email("uvicorn"), "password": "pass-word"}), "register"
    )
    assert registered["status"] == "ACTIVE", registered
    me = _data(server.graphql(CURRENT_MEMBER, token=registered["sessionToken"]), "currentMember")
    assert me["id"] == registered["member"]["id"]


def _serve(cwd, env: dict[str, str]) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return processes.run_cli("serve", "--port", "0", env=env, cwd=cwd, timeout=60)


def test_production_refuses_to_start_without_keys(tmp_path) -> None:
    env = e2e_env(f"sqlite://{tmp_path / 'members.sqlite3'}", MEMBERS_ENV="production")
    del env["MEMBERS_ADMIN_API_KEY"], env["MEMBERS_SECRET_KEY"]
    finished = _serve(tmp_path, env)
    assert finished.returncode == 2, finished
    assert "MEMBERS_ADMIN_API_KEY" in finished.stderr and "MEMBERS_SECRET_KEY" in finished.stderr


def test_production_refuses_to_start_with_a_short_admin_key(tmp_path) -> None:
    env = e2e_env(f"sqlite://{tmp_path / 'members.sqlite3'}", MEMBERS_ENV="production", MEMBERS_ADMIN_API_KEY="k")
    finished = _serve(tmp_path, env)
    assert finished.returncode == 2, finished
    assert "MEMBERS_ADMIN_API_KEY must be at least 32 characters in production" in finished.stderr, finished.stderr
    assert not (tmp_path / "members.sqlite3").exists()  # refused before touching the database


def test_export_schema_cli_writes_the_sdl(tmp_path) -> None:
    from gql.schema import schema_sdl

    written = tmp_path / "schema.graphql"
    exported = run_cli("export-schema", "-o", str(written), database_url="sqlite://unused.sqlite3", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    # Whether the committed schema.graphql is current: tests/unit/test_schema_file.py.
    assert written.read_text() == schema_sdl()


def test_the_project_gql_package_is_imported_not_a_namesake() -> None:
    # The project package is `gql`; PyPI's package of that name must never shadow it.
    import gql

    assert gql.__file__ is not None
    assert Path(gql.__file__).resolve().parent == REPO_ROOT / "gql", gql.__file__


@pytest.mark.parametrize("command", ["serve", "uvicorn"])
def test_emailed_link_tokens_are_not_logged(start_server: StartServer, command: str) -> None:
    server = start_server(command=command)
    assert server.http is not None
    token = "JWS.e2e-link-token-" + unique_email("x").split("@")[0]
    for path in ("/confirm-email", "/reset-password"):
        response = server.http.get(path, params={"token": token})
        assert response.status_code < 500, response.text
    output = server.stop()
    assert token not in output, output
