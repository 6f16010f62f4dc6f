"""A software WebAuthn authenticator for the tests: an ES256 key per credential, "none"
attestation, and what a browser would send back (``PublicKeyCredential.toJSON()``), so that the
server's ceremonies (gql/domain/passkeys.py) run against real signatures.

Knobs a test turns: the origin the "browser" reports, whether the user was verified, the
signature counter (to replay an old one), and the backup flags.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_UP, _UV, _BE, _BS, _AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})


@dataclass
class Authenticator:
    """A platform authenticator holding discoverable credentials."""

    origin: str = "http://localhost:8000"
    user_verified: bool = True
    backup_eligible: bool = True
    backed_up: bool = True
    aaguid: bytes = bytes(16)
    credentials: list[Credential] = field(default_factory=list)

    def _flags(self, *extra: int) -> int:
        flags = _UP | (_UV if self.user_verified else 0)
        flags |= (_BE if self.backup_eligible else 0) | (_BS if self.backed_up else 0)
        for bit in extra:
            flags |= bit
        return flags

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: str | dict[str, Any], *, origin: str | None = None) -> str:
        """``navigator.credentials.create`` for the server's options (JSON): the credential as JSON."""
        opts = json.loads(options) if isinstance(options, str) else options
        rp_id = opts["rp"]["id"]
        credential = Credential(
            id=os.urandom(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=unb64url(opts["user"]["id"]),
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(_AT)])
            + struct.pack(">I", credential.sign_count)
            + self.aaguid
            + struct.pack(">H", len(credential.id))
            + credential.id
            + credential.cose_public_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", opts["challenge"], origin)
        self.credentials.append(credential)
        return json.dumps(
            {
                "id": b64url(credential.id),
                "rawId": b64url(credential.id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["internal", "hybrid"],
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )

    def get(
        self,
        options: str | dict[str, Any],
        *,
        origin: str | None = None,
        credential: Credential | None = None,
        sign_count: int | None = None,
        challenge: str | None = None,
    ) -> str:
        """``navigator.credentials.get``: an assertion by ``credential`` (else the first allowed one,
        else the first held for the relying party). The counter goes up by one unless ``sign_count``."""
        opts = json.loads(options) if isinstance(options, str) else options
        rp_id = opts["rpId"]
        if credential is None:
            allowed = {item["id"] for item in opts.get("allowCredentials", [])}
            credential = next(
                c for c in self.credentials if c.rp_id == rp_id and (not allowed or b64url(c.id) in allowed)
            )
        credential.sign_count = credential.sign_count + 1 if sign_count is None else sign_count
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([self._flags()]) + struct.pack(">I", credential.sign_count)
        )
        client_data = self._client_data("webauthn.get", challenge or opts["challenge"], origin)
        signature = credential.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(credential.id),
                "rawId": b64url(credential.id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(credential.user_handle),
                },
                "clientExtensionResults": {},
                "authenticatorAttachment": "platform",
            }
        )
