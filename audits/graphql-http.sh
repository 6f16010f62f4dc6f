#!/usr/bin/env bash
# The GraphQL-over-HTTP audits of graphql-http (serverAudits) against a fresh real server:
# 0 errors (MUST) and 0 warnings (SHOULD/MAY) required, see docs/graphql-over-http.md.
# Needs Node >= 18 (global fetch) and npm. Usage: audits/graphql-http.sh [python]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${1:-${PYTHON:-$here/../.venv/bin/python}}"
case "$python" in */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;; *) python="$(command -v "$python")" ;; esac
(cd "$here/graphql-http" && npm ci --no-audit --no-fund --silent)
# The audits query __type: they need introspection, which production turns off by default.
exec "$python" "$here/with_server.py" --env MEMBERS_INTROSPECTION=true -- node "$here/graphql-http/audit.mjs" '{url}'
