"""``netra-diag probe`` options whose empty value meant something else without a word."""

from __future__ import annotations

import pytest

from netra_diag.cli import main


def test_an_empty_sub_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # '--sub ""' minted a token for probe-user, the default, without a word.
    assert main(["probe", "--sub", ""]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == (
        "netra-diag probe: error: --sub is empty: give the user id to mint the token for"
    )
    assert out == ""
