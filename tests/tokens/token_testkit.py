"""Constants and key helpers shared by the token tests (imported by module name)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["NOW", "SECRET", "KeyPair", "make_pems"]

# 2026-11-24T10:00:00Z: every test judges time against this, never the machine's clock.
NOW = 1795514400.0
SECRET = "unit-test-secret-0123456789-abcdefghij"  # 38 chars: long enough for staging


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str


def make_pems(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> KeyPair:
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private, public)
