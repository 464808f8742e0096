"""``token inspect``'s status line, read alone: a token not valid yet (nbf ahead) or issued in
the future (iat ahead: clock skew) said only 'expires in 2h', which reads as usable; the service
refuses it until then."""

from __future__ import annotations

from token_testkit import NOW, SECRET

from netra_diag.tokens import inspect_token, mint_token


def test_a_token_not_valid_yet_says_so() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, ttl="2h", claims={"nbf": int(NOW) + 40})
    status = inspect_token(token, now=NOW).status
    assert status == "not valid yet: nbf 40s in the future; expires in 2h"


def test_a_token_issued_in_the_future_says_so() -> None:
    token = mint_token("u1", key=SECRET, now=NOW + 300, ttl="2h")
    assert inspect_token(token, now=NOW).status == "issued (iat) 5m in the future; expires in 2h 5m"


def test_a_plain_token_is_unchanged() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, ttl="15m")
    assert inspect_token(token, now=NOW + 0.5).status == "expires in 15m"
