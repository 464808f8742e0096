"""token_lab run headless with the production profile: the confirmation a user ticks in the
panel is a parameter of the report (there is no box to tick in papermill)."""

from __future__ import annotations

from pathlib import Path

from netra_diag.report import run_report

# A production-length secret (PROTOCOL.md §3), only in the report's environment.
SECRET = "p" * 48


def test_production_needs_allow_production_and_works_with_it(tmp_path: Path) -> None:
    env = {"JWT_SECRET_KEY": SECRET, "PATH": "/usr/bin:/bin"}
    params = {"profile": "production", "sub": "u1"}
    refused = run_report("token_lab", params, out_dir=tmp_path / "a", html=False, environ=env)
    assert refused.error is not None and "-p allow_production true" in refused.error
    allowed = run_report(
        "token_lab",
        {**params, "allow_production": "true"},
        out_dir=tmp_path / "b",
        html=False,
        environ=env,
    )
    assert allowed.error is None, allowed.error
    notebook = (tmp_path / "b" / "token_lab.ipynb").read_text(encoding="utf-8")
    assert SECRET not in notebook
