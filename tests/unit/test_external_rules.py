"""External providers' pure rules: the sealed client secret, the input checks, PKCE, the authorization URL."""

from __future__ import annotations

import base64
import hashlib
from types import SimpleNamespace

import pytest

from gql.domain.errors import DomainError, ErrorCode
from gql.domain.external_providers import (
    Endpoints,
    ProviderInput,
    SecretBox,
    authorization_url,
    checked,
    pkce_challenge,
)
from gql.domain.statuses import ClientAuthMethod, ProviderKind

KEY = "a-secret-key-long-enough-for-the-tests-0123456789"


def test_a_sealed_secret_opens_only_for_its_provider_and_key() -> None:
    box = SecretBox(KEY)
    sealed = box.seal("google", "s3cret")
    assert "s3cret" not in sealed
    assert box.open("google", sealed) == "s3cret"
    assert box.seal("google", "s3cret") != sealed  # a fresh nonce each time
    for opener, name in ((box, "github"), (SecretBox(KEY + "x"), "google")):
        with pytest.raises(DomainError) as refused:
            opener.open(name, sealed)
        assert refused.value.code is ErrorCode.EXTERNAL_ANSWER_INVALID


def test_pkce_s256_is_rfc_7636s_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert pkce_challenge(verifier) == digest


def _input(**changes: object) -> ProviderInput:
    values: dict[str, object] = {
        "name": "op",
        "display_name": "OP",
        "kind": ProviderKind.OIDC,
        "client_id": "id",
        "client_secret": "secret",
        "issuer": "https://op.example/",
    }
    values.update(changes)
    return ProviderInput(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "property"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"display_name": " "}, "displayName"),
        ({"client_id": ""}, "clientId"),
        ({"client_secret": None}, "clientSecret"),
        ({"issuer": None}, "issuer"),
        ({"issuer": "ftp://op.example"}, "issuer"),
        ({"kind": ProviderKind.OAUTH2, "issuer": None}, "authorizationUrl"),
        ({"claim_mapping": {"phone": "phone_number"}}, "claimMapping"),
    ],
)
def test_a_provider_input_is_refused_naming_what_is_wrong(changes: dict[str, object], property: str) -> None:
    with pytest.raises(DomainError) as refused:
        checked(_input(**changes), None)
    assert refused.value.code is ErrorCode.INVALID_ARGUMENT
    assert refused.value.details["property"] == property


def test_an_oidc_provider_always_asks_for_openid_and_keeps_its_issuer_without_a_slash() -> None:
    data = checked(_input(scopes=("email",)), None)
    assert data.scopes == ("openid", "email")
    assert data.issuer == "https://op.example"
    # An update without a secret keeps the stored one (None: nothing to store).
    stored = SimpleNamespace(client_secret="sealed")
    assert checked(_input(client_secret=None), existing=stored).client_secret is None  # type: ignore[arg-type]


def test_a_secret_is_needed_unless_the_client_signs_its_assertions() -> None:
    with pytest.raises(DomainError) as raised:
        checked(_input(client_secret=None), None)
    assert raised.value.details["property"] == "clientSecret"
    # Switching an existing secretless provider to a secret method needs one too.
    secretless = SimpleNamespace(client_secret=None)
    with pytest.raises(DomainError):
        checked(_input(client_secret=None, token_auth_method=ClientAuthMethod.CLIENT_SECRET_POST), secretless)  # type: ignore[arg-type]
    jwt_client = checked(_input(client_secret=None, token_auth_method=ClientAuthMethod.PRIVATE_KEY_JWT), None)
    assert jwt_client.client_secret is None
    with pytest.raises(DomainError):
        checked(_input(client_secret=""), None)


def test_custom_field_claims_follow_the_property_name_rules() -> None:
    assert checked(_input(custom_field_claims={"employer": " org "}), None).custom_field_claims == {"employer": "org"}
    for mapping in ({"Employer": "a", "employer": "b"}, {"email": "a"}, {"objectId": "a"}, {"x": " "}):
        with pytest.raises(DomainError) as raised:
            checked(_input(custom_field_claims=mapping), None)
        assert raised.value.details["property"] == "customFieldClaims", mapping


def test_the_authorization_url_carries_pkce_state_and_nonce() -> None:
    provider = SimpleNamespace(client_id="id", scopes=["openid", "email"], kind="OIDC")
    url = authorization_url(
        provider,  # type: ignore[arg-type]
        Endpoints("https://op.example/auth?x=1", "https://op.example/token", None),
        "https://site.example/cb",
        "the-state",
        "the-nonce",
        "the-verifier",
    )
    assert url.startswith("https://op.example/auth?x=1&response_type=code&client_id=id&")
    for part in ("state=the-state", "nonce=the-nonce", "code_challenge_method=S256", "scope=openid+email"):
        assert part in url
    assert f"code_challenge={pkce_challenge('the-verifier')}" in url
