"""Passkey rules that need no server: where the relying party and the accepted origins come from
(gql/config.py), and the software authenticator the integration tests use against py_webauthn."""

from __future__ import annotations

import json
import os

from webauthn import generate_registration_options, options_to_json, verify_registration_response

from gql.config import load_config
from tests.authenticator import Authenticator


def test_the_relying_party_defaults_from_the_public_url_else_localhost() -> None:
    bare = load_config({"MEMBERS_PORT": "8123"})
    assert bare.passkey_rp_id == "localhost"
    assert bare.passkey_origins == ("http://localhost:8123",)
    assert bare.passkey_rp_name == bare.site_name
    public = load_config({"MEMBERS_PUBLIC_URL": "https://members.example.org:8443/app"})
    assert public.passkey_rp_id == "members.example.org"
    assert public.passkey_origins == ("https://members.example.org:8443",)
    chosen = load_config(
        {
            "MEMBERS_PUBLIC_URL": "https://members.example.org",
            "MEMBERS_WEBAUTHN_RP_ID": "example.org",
            "MEMBERS_WEBAUTHN_RP_NAME": "Example",
            "MEMBERS_WEBAUTHN_ORIGINS": "https://example.org,https://members.example.org",
        }
    )
    assert chosen.passkey_rp_id == "example.org" and chosen.passkey_rp_name == "Example"
    assert chosen.passkey_origins == ("https://example.org", "https://members.example.org")


def test_the_software_authenticator_makes_what_py_webauthn_verifies() -> None:
    challenge = os.urandom(32)
    options = generate_registration_options(
        rp_id="localhost", rp_name="Members", user_name="ada", user_id=b"ada", challenge=challenge
    )
    app = Authenticator(origin="http://localhost:8000")
    made = app.create(options_to_json(options))
    verified = verify_registration_response(
        credential=json.loads(made),
        expected_challenge=challenge,
        expected_rp_id="localhost",
        expected_origin="http://localhost:8000",
        require_user_verification=True,
    )
    assert verified.sign_count == 0 and verified.credential_backed_up and verified.user_verified
