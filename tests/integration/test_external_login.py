"""External sign-in against a real OpenID Provider (node-oidc-provider, tests/oidc/): the browser's
redirect dance over HTTP, then completeExternalLogin over the server's GraphQL endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.external_harness import (
    MEMBER_IDENTITIES,
    MY_IDENTITIES,
    PROVIDERS,
    Start,
    external,  # noqa: F401  (the fixture)
    first,
)
from tests.oidc.harness import openid_provider  # noqa: F401  (the session fixture)

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def roles(payload: dict[str, Any]) -> set[str]:
    return {role["name"] for role in payload["member"]["roles"]}


async def test_a_new_member_signs_up_through_the_provider(external: Start) -> None:
    h = await external()
    result = await h.sign_in("alice")
    assert result["__typename"] == "CompleteExternalLoginPayload", result
    assert result["created"] is True and result["linked"] is True
    assert result["session"] == {"method": "EXTERNAL", "current": True}
    member = result["member"]
    assert member["loginEmail"] == "alice@example.com"
    assert member["loginEmailVerified"] is True
    assert member["status"] == "APPROVED"
    assert roles(result) == {"AuthenticatedUser", "SocialUser"}
    me = first(await h.client.member(result["sessionToken"], MY_IDENTITIES))
    assert me["id"] == member["id"]
    [identity] = me["identities"]
    assert identity["provider"] == "op" and identity["subject"] == "alice"
    assert identity["email"] == "alice@example.com"
    assert {role["name"] for role in me["roles"]} == {"AuthenticatedUser", "SocialUser"}
