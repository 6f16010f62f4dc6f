#!/usr/bin/env bash
# Bounded GraphQL fuzzing with schemathesis against a fresh real server, fixed seed:
# no 5xx and no masked "Unexpected error." (audits/schemathesis_hooks.py), once as an
# anonymous caller and once as the backend (X-Api-Key). At most 2 x 60 s of fuzzing.
# Usage: audits/schemathesis.sh [python]   (installs schemathesis into that environment)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
python="${1:-${PYTHON:-$root/.venv/bin/python}}"
case "$python" in */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;; *) python="$(command -v "$python")" ;; esac
"$python" -m pip install --quiet "schemathesis>=4.32,<5"
bin="$(dirname "$python")"
examples="${SCHEMATHESIS_EXAMPLES:-40}"
seed="${SCHEMATHESIS_SEED:-20261122}"
export SCHEMATHESIS_HOOKS=audits.schemathesis_hooks
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
cd "$root"
for caller in anonymous backend; do
  headers=()
  if [ "$caller" = backend ]; then headers=(-H "X-Api-Key: audit-admin-key-0123456789abcdefghijklmn"); fi
  echo "== schemathesis as $caller: $examples examples per operation, seed $seed"
  # Introspection on (schemathesis reads the schema with it); rate limits off (one address).
  "$python" "$here/with_server.py" --env MEMBERS_INTROSPECTION=true --env MEMBERS_RATE_LIMITS=off -- \
    "$bin/schemathesis" run '{url}' --checks no_unexpected_errors --max-examples "$examples" --seed "$seed" \
    --generation-deterministic --max-time "${SCHEMATHESIS_SECONDS:-60}" --no-color --report-dir "${TMPDIR:-/tmp}/schemathesis-report" "${headers[@]}"
done
