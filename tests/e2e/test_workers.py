"""Several worker processes on one fresh SQLite file: one migrates, the others wait for it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import BACKEND, REPO_ROOT, e2e_env
from tests.processes import free_port


@pytest.mark.skipif(BACKEND != "sqlite", reason="start-up migration is the embedded SQLite default's")
def test_uvicorn_workers_share_a_fresh_sqlite_database(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "workers.log"
    env = e2e_env(f"sqlite://{tmp_path / 'members.sqlite3'}")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "gql.app:app",
                "--port",
                str(port),
                "--workers",
                "3",
                "--no-proxy-headers",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and log.read_text().count("Application startup complete") < 3:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        output = log.read_text()
        assert output.count("Application startup complete") == 3, output
        assert "startup failed" not in output.lower() and "already exists" not in output
        for i in range(6):  # spread over the workers by the kernel
            body = httpx.post(
                f"http://127.0.0.1:{port}/graphql",
                json={
                    "query": f'mutation {{ register(email: "w{i}@example.com", password: "wonderland") {{ __typename }} }}'
                },
                timeout=10,
            ).json()
            assert body["data"]["register"]["__typename"] == "RegisterPayload", body
    finally:
        process.terminate()
        process.wait(timeout=30)
