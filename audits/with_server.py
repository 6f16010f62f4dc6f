"""Run a command against a fresh server: ``python audits/with_server.py [--env K=V ...] -- cmd {url}``.

Starts ``python -m gql serve`` on a free port with a temporary SQLite database (or
``MEMBERS_DATABASE_URL`` when set, e.g. a PostgreSQL database migrated beforehand),
waits for /health, runs the command with ``{url}`` replaced by the GraphQL URL, stops the
server and exits with the command's status. A server that died meanwhile, or that printed a
traceback, fails the run too.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", action="append", default=[], help="MEMBERS_X=value for the server")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [c for c in args.command if c != "--"]
    if not command:
        parser.error("no command")

    with tempfile.TemporaryDirectory() as directory:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMBERS_") or k == "MEMBERS_DATABASE_URL"}
        env.setdefault("MEMBERS_DATABASE_URL", f"sqlite://{directory}/audit.sqlite3")
        env.update(
            PYTHONPATH=str(ROOT),
            MEMBERS_ENV="production",
            MEMBERS_ADMIN_API_KEY="audit-admin-key-0123456789abcdefghijklmn",
            MEMBERS_SECRET_KEY="audit-secret-key-that-is-long-enough-0123456789",
            MEMBERS_BCRYPT_COST="4",
        )
        env.update(dict(item.split("=", 1) for item in args.env))
        log_path = Path(directory) / "server.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gql", "serve", "--port", str(port)],
                cwd=directory,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        print(log_path.read_text(errors="replace"), file=sys.stderr)
                        return 1
                    time.sleep(0.1)
            url = f"http://127.0.0.1:{port}/graphql"
            # In the temporary directory: tools leave caches where they run.
            status = subprocess.call([part.replace("{url}", url) for part in command], cwd=directory)
        finally:
            alive = server.poll() is None
            server.terminate()
            server.wait(timeout=30)
        output = log_path.read_text(errors="replace")
        if not alive:
            print("the server died during the run:\n" + output, file=sys.stderr)
            return 1
        if "Traceback" in output:
            print("the server logged a traceback:\n" + output, file=sys.stderr)
            return 1
        return status


if __name__ == "__main__":
    sys.exit(main())
