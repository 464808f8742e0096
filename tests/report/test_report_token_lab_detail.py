"""token_lab's required check says why the minted token was rejected: with claims that break
it (-p extra_claims '{"aud": "netra-api"}') the report's headline and CI line said only
"REJECTED for local: 1 problem"."""

from __future__ import annotations

from pathlib import Path

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import run_report


def test_a_rejected_token_says_which_problem(tmp_path: Path) -> None:
    params = {"extra_claims": '{"aud": "netra-api"}'}
    result = run_report("token_lab", params, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.CONTRACT
    check = next(c for c in result.checks if c.name == "minted token verifies")
    assert "REJECTED for local: 1 problem: [wrong_audience] aud is 'netra-api'" in check.detail
    assert "[wrong_audience]" in result.headline


def test_a_valid_token_keeps_its_one_line(tmp_path: Path) -> None:
    result = run_report("token_lab", {}, out_dir=tmp_path, html=False)
    check = next(c for c in result.checks if c.name == "minted token verifies")
    assert check.passed and check.detail.endswith("expires in 2h") and "[" not in check.detail
