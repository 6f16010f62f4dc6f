"""``python -m gql serve`` in development as a newcomer runs it (issue 16): one API key across
restarts, a busy port refused before any key is printed, timestamped INFO lines, mail printed."""

from __future__ import annotations

import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

from tests.processes import ServerProcess, clean_env
from tests.waiting import eventually

KEY_LINE = re.compile(r"Backend API key \(kept in (\S+); .*\): (\S+)")


def dev_env(workdir: Path, **extra: str) -> dict[str, str]:
    """No MEMBERS_ADMIN_API_KEY: the server makes one up, as `make run` does."""
    env = clean_env()
    env.update(
        MEMBERS_DATABASE_URL=f"sqlite://{workdir / 'members.sqlite3'}",
        MEMBERS_BCRYPT_COST="4",
        MEMBERS_RATE_LIMITS="off",
        **extra,
    )
    return env


def test_the_generated_key_is_kept_and_printed_at_every_start(tmp_path: Path) -> None:
    keys = []
    for _ in range(2):
        server = ServerProcess(tmp_path, dev_env(tmp_path))
        server.launch()
        try:
            found = eventually(lambda s=server: KEY_LINE.search(s.output()), lambda s=server: s.output())
        finally:
            server.stop()
        server.log_path.unlink()
        keys.append(found.group(2))
        key_file = Path(found.group(1))
        assert key_file.name == "members.sqlite3.api-key"
    assert keys[0] == keys[1]
    stored = tmp_path / "members.sqlite3.api-key"
    assert stored.read_text() == keys[0] and stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_a_busy_port_is_refused_before_any_key_is_printed(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gql", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=dev_env(tmp_path),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    printed = result.stdout + result.stderr
    assert result.returncode == 1, printed
    assert f"cannot listen on 127.0.0.1:{port}" in printed and "already in use" in printed.lower()
    assert "API key" not in printed and "GraphiQL at" not in printed


def test_development_mail_is_printed_with_its_link_in_timestamped_info_lines(tmp_path: Path) -> None:
    import httpx

    server = ServerProcess(tmp_path, dev_env(tmp_path, MEMBERS_EMAIL_CONFIRMATION="true"))
    server.launch()
    try:
        response = httpx.post(
            server.graphql_url,
            json={"query": 'mutation { register(email: "ada@example.com", password: "wonderland") { __typename } }'},
        )
        assert response.status_code == 200, response.text
        eventually(lambda: "link: " in server.output(), lambda: server.output())
    finally:
        output = server.stop()
    line = next(line for line in output.splitlines() if "mail to ada@example.com" in line)
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO: +gql\.worker: mail to ada@example\.com: Confirm", line), line
    assert re.search(rf"    link: {re.escape(server.url)}/confirm-email\?token=\S+", output)
    assert f"{server.url}/dev/mailbox" in output
