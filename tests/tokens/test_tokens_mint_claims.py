"""A claim JSON cannot hold (NaN, infinity, an object) is named in mint's error; it said
'claims cannot be encoded as JSON: Out of range float values are not JSON compliant'."""

from __future__ import annotations

import math
import re

import pytest
from token_testkit import NOW, SECRET

from netra_diag.errors import UsageError
from netra_diag.tokens import mint_token


@pytest.mark.parametrize(
    ("claims", "named"),
    [({"iat": math.nan}, "claim 'iat' (float)"), ({"ctx": object()}, "claim 'ctx' (object)")],
)
def test_the_claim_json_refuses_is_named(claims: dict[str, object], named: str) -> None:
    with pytest.raises(UsageError, match=rf"^{re.escape(named)} cannot be encoded as JSON"):
        mint_token("u1", key=SECRET, now=NOW, claims=claims)
