"""A token minted to live longer than the service's 24 h age limit (PROTOCOL.md §3) is refused
a day in whatever its exp: mint and inspect say so while it is still valid, and verify shows the
refusal once it comes."""

from __future__ import annotations

import time

import pytest

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def test_mint_warns_of_a_lifetime_beyond_the_age_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["token", "mint", "--sub", "u1", "--ttl", "3d"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert "warning: it lives 3d, but the service refuses a token issued more than 1d ago" in err
    assert "on it is rejected as too_old" in err
    assert main(["token", "inspect", token]) == 0
    assert "note    it lives 3d, but the service refuses" in capsys.readouterr().out
    assert main(["token", "mint", "--sub", "u1", "--ttl", "1d"]) == 0
    assert "too_old" not in capsys.readouterr().err


def test_no_warning_once_refused_or_for_a_refresh_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = time.time()
    old = mint_token("u1", key=LOCAL_DEV_SECRET, now=now - 2 * 86400, ttl="7d")
    assert main(["token", "inspect", old]) == 0
    out = capsys.readouterr().out
    assert "more than the 1d the service accepts" in out and "it lives" not in out
    refresh = mint_token("u1", key=LOCAL_DEV_SECRET, now=now, ttl="7d", token_type="refresh")
    assert main(["token", "inspect", refresh]) == 0
    assert "it lives" not in capsys.readouterr().out
