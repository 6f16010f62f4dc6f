"""Schemathesis hooks: a check that fails on masked unexpected errors (bugs), not only on 5xx.

Loaded with ``SCHEMATHESIS_HOOKS=audits.schemathesis_hooks`` (see audits/schemathesis.sh).
"""

from __future__ import annotations

import json

import schemathesis


@schemathesis.check
def no_unexpected_errors(ctx, response, case):  # type: ignore[no-untyped-def]
    """No 5xx, and no GraphQL error masked as "Unexpected error." (an exception nobody foresaw)."""
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}")
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None
    for error in (body or {}).get("errors") or [] if isinstance(body, dict) else []:
        message = error.get("message") if isinstance(error, dict) else None
        if message == "Unexpected error.":
            raise AssertionError(f"masked unexpected error, requestId {error.get('extensions', {}).get('requestId')}")
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if code == 3208:
            raise AssertionError("database reported unavailable during the fuzz run")
    return None
