"""Keys for the token tests, generated once per session, in memory."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from token_testkit import KeyPair, make_pems


@pytest.fixture(scope="session")
def rsa_keys() -> KeyPair:
    return make_pems(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def other_rsa_keys() -> KeyPair:
    return make_pems(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def ec_keys() -> KeyPair:
    return make_pems(ec.generate_private_key(ec.SECP256R1()))
