"""What engineers paste into ``netra-diag token inspect/verify``: a whole header line
copied from the browser's devtools is a token like 'Bearer <jwt>' is; two tokens piped together
are said to be two, not 'an encrypted JWE' (5 dot-separated parts)."""

from __future__ import annotations

import pytest

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def token() -> str:
    import time

    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


@pytest.mark.parametrize("shape", ["Authorization: Bearer {t}", "authorization:Bearer {t}"])
def test_a_pasted_header_line_is_unwrapped(shape: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "verify", shape.format(t=token())]) == 0
    out, err = capsys.readouterr()
    assert "is valid for local" in out, out
    assert "Authorization:" in err


def test_two_tokens_together_are_said_to_be_two(capsys: pytest.CaptureFixture[str]) -> None:
    text = f"{token()}\n{token()}"
    assert main(["token", "inspect", text]) == 1
    out = capsys.readouterr().out
    assert "2 lines" in out and "whitespace" in out, out
    assert "JWE" not in out
