"""An algorithm mismatch's hint fits the token: an HS256 token checked with a PEM key was told
to 'mint with the algorithm the service expects (HS256)', which it was; 'only RS256, ES256 is
accepted' is 'are'."""

from __future__ import annotations

from token_testkit import NOW, SECRET, KeyPair

from netra_diag.tokens import FailureCode, mint_token, verify_token


def test_an_hmac_token_checked_with_a_pem_key(rsa_keys: KeyPair) -> None:
    token = mint_token("u1", key=SECRET, now=NOW)
    result = verify_token(token, rsa_keys.public_pem, now=NOW, algorithms=("RS256", "ES256"))
    (failure,) = result.failures
    assert failure.code == FailureCode.ALG_MISMATCH
    assert "only RS256, ES256 are accepted" in failure.message
    assert "signed with a shared secret" in failure.hint and "not a PEM key" in failure.hint


def test_an_rsa_token_checked_with_a_secret(rsa_keys: KeyPair) -> None:
    token = mint_token("u1", key=rsa_keys.private_pem, now=NOW, algorithm="RS256")
    (failure,) = verify_token(token, SECRET, now=NOW).failures
    assert "only HS256 is accepted" in failure.message
    assert "signed with a private key" in failure.hint and "--key-file" in failure.hint


def test_another_hmac_size_is_not_sent_to_verify_alone() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, algorithm="HS512")
    (failure,) = verify_token(token, SECRET, now=NOW).failures
    assert "mint the token with HS256" in failure.hint
