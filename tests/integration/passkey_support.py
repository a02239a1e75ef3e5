"""A software WebAuthn authenticator for the passkey tests (python3-cryptography).

It answers the real server's options as a browser plus authenticator would: clientDataJSON,
authenticator data, a "none" attestation object with the COSE key (CBOR encoded here), and
assertion signatures (ES256 in DER, EdDSA raw). Every field can be spoiled on purpose so the tests
can show each refusal.
"""
import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from harness import call

UP, UV, AT = 0x01, 0x04, 0x40


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cbor(value):
    """Just enough CBOR (RFC 8949) for attestation objects and COSE keys."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for add, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | add]) + struct.pack(fmt, n)
        raise ValueError(n)
    if isinstance(value, bool):
        return bytes([0xf5 if value else 0xf4])
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return head(3, len(raw)) + raw
    if isinstance(value, dict):
        return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


class Authenticator:
    """One credential on one authenticator: its key, id and signature counter."""

    def __init__(self, alg="ES256", counter=0):
        self.alg = alg
        self.key = ec.generate_private_key(ec.SECP256R1()) if alg == "ES256" else ed25519.Ed25519PrivateKey.generate()
        self.credential_id = os.urandom(32)
        self.counter = counter
        self.user_handle = None

    def cose_key(self):
        if self.alg == "ES256":
            nums = self.key.public_key().public_numbers()
            return cbor({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")})
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cbor({1: 1, 3: -8, -1: 6, -2: raw})

    def sign(self, data):
        if self.alg == "ES256":
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self.key.sign(data)

    def register(self, options, origin, flags=UP | UV | AT, rp_id=None, ctype="webauthn.create"):
        pk = options["publicKey"]
        self.user_handle = unb64u(pk["user"]["id"])
        client_data = json.dumps({"type": ctype, "challenge": pk["challenge"], "origin": origin,
                                  "crossOrigin": False}).encode()
        auth_data = (hashlib.sha256((rp_id or pk["rp"]["id"]).encode()).digest() + bytes([flags]) +
                     struct.pack(">I", self.counter) + bytes(16) +
                     struct.pack(">H", len(self.credential_id)) + self.credential_id + self.cose_key())
        att = cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(client_data), "attestationObject": b64u(att)}}

    def assert_(self, options, origin, flags=UP | UV, rp_id=None, ctype="webauthn.get", counter=None,
                cross_origin=False, spoil_signature=False, user_handle=True):
        pk = options["publicKey"]
        if counter is None:
            self.counter += 1
            counter = self.counter
        client = {"type": ctype, "challenge": pk["challenge"], "origin": origin}
        if cross_origin:
            client["crossOrigin"] = True
        client_data = json.dumps(client).encode()
        auth_data = (hashlib.sha256((rp_id or pk["rpId"]).encode()).digest() + bytes([flags]) +
                     struct.pack(">I", counter))
        sig = self.sign(auth_data + hashlib.sha256(client_data).digest())
        if spoil_signature:
            sig = sig[:-1] + bytes([sig[-1] ^ 1])
        response = {"clientDataJSON": b64u(client_data), "authenticatorData": b64u(auth_data),
                    "signature": b64u(sig)}
        if user_handle and self.user_handle is not None:
            response["userHandle"] = b64u(self.user_handle)
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": response}


def register(base, token, origin, name="Laptop", alg="ES256"):
    """Registers a new credential for the token's user; returns the authenticator and the view."""
    a = Authenticator(alg)
    s, opts, _ = call(base, "POST", "/api/v1/me/passkeys/options", {}, token=token)
    assert s == 200, opts
    s, view, _ = call(base, "POST", "/api/v1/me/passkeys", {"name": name, "credential": a.register(opts, origin)},
                      token=token)
    assert s == 201, view
    return a, view


def passwordless_options(base):
    s, opts, _ = call(base, "POST", "/api/v1/sessions/passkey/options", {})
    assert s == 200, opts
    return opts


def second_factor_options(base, email, password):
    return call(base, "POST", "/api/v1/sessions/passkey/options", {"email": email, "password": password})


def finish(base, credential, cookie=False):
    return call(base, "POST", "/api/v1/sessions/passkey", {"credential": credential, "cookie": cookie})
