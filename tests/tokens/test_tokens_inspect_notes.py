"""``token inspect`` of a token the service refuses whatever key signed it (the old helper's
iss and aud, no jti, a refresh token, older than 24 h) showed 'expires in 2h' and nothing else,
which reads as fine. Each such rule is now a note; what the status or another note says already
(expired, alg none, type without token_type) is not said twice."""

from __future__ import annotations

from typing import Any

import pytest
from token_testkit import NOW, SECRET

from netra_diag.tokens import inspect_token, mint_token

REFUSES = "the service refuses it whatever the key: "


def notes(**kwargs: Any) -> list[str]:
    now = kwargs.pop("now", NOW)
    token = mint_token("u1", key=SECRET, now=now, **kwargs)
    return list(inspect_token(token, now=NOW).notes)


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"claims": {"iss": "netra-test"}}, "iss is 'netra-test', expected 'netra-auth-service'"),
        ({"claims": {"aud": "netra-api"}}, "aud is 'netra-api'"),
        ({"claims": {"jti": None}}, "required claim 'jti' is missing"),
        ({"token_type": "refresh"}, "token_type is 'refresh', expected 'access'"),
        ({"now": NOW - 90000, "ttl": "48h"}, "issued 1d 1h ago, more than the 1d"),
    ],
)
def test_a_rule_the_service_enforces_whatever_the_key_is_noted(
    kwargs: dict[str, Any], said: str
) -> None:
    found = [n for n in notes(**kwargs) if n.startswith(REFUSES)]
    assert len(found) == 1 and said in found[0], found


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"ttl": "-5m"}, {"algorithm": "none"}, {"claims": {"token_type": None}}],
)
def test_nothing_is_said_twice(kwargs: dict[str, Any]) -> None:
    assert not [n for n in notes(**kwargs) if n.startswith(REFUSES)]
