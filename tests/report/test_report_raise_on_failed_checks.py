"""A CI job that runs a notebook with papermill itself (not ``netra-diag report``) can make a
failed required check fail the job: ``-p raise_on_failed_checks True`` makes the last cell raise
one line naming the failed checks, so papermill exits non-zero. Before, papermill exited 0 on a
report whose checks failed, and a CI job went green on a failing suite."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from raw_papermill import papermill

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import run_report
from netra_diag.tokens import mint_token

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
ONE_FAILURE = (
    '<testsuites><testsuite name="pytest" tests="2" failures="1">'
    '<testcase classname="tests.test_a" name="test_ok" time="0.1"/>'
    '<testcase classname="tests.test_a" name="test_bad" time="0.2">'
    '<failure message="assert 1 == 2">AssertionError</failure></testcase>'
    "</testsuite></testsuites>"
)


@pytest.fixture
def failing_results(tmp_path: Path) -> Path:
    path = tmp_path / "onefail.xml"
    path.write_text(ONE_FAILURE, encoding="utf-8")
    return path


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


def test_a_raw_papermill_run_fails_on_a_failed_check_when_asked(
    tmp_path: Path, failing_results: Path
) -> None:
    run = papermill(tmp_path, "suite_triage", "results", str(failing_results))
    assert run.returncode == 0, run.stderr  # interactive and default runs are unchanged
    asked = papermill(
        tmp_path, "suite_triage", "results", str(failing_results), "raise_on_failed_checks", "True"
    )
    assert asked.returncode != 0
    assert last_line(asked.stderr) == (
        "ChecksFailed: suite_triage: 1 required check failed (netra-diag report exits 1, "
        "FAILURE): failing_tests: 1 failing test, and no baseline to tell new failures from "
        "old ones (netra-diag triage exits 1 too)"
    )


def test_false_as_papermill_passes_it_is_false(tmp_path: Path, failing_results: Path) -> None:
    # papermill turns only "True"/"False" into bools: "false" and "0" arrive as a text and an int
    for value in ("false", "0", "no"):
        run = papermill(
            tmp_path,
            "suite_triage",
            "results",
            str(failing_results),
            "raise_on_failed_checks",
            value,
        )
        assert run.returncode == 0, (value, last_line(run.stderr))
    typo = papermill(tmp_path, "suite_triage", "raise_on_failed_checks", "ture")
    assert typo.returncode != 0
    assert last_line(typo.stderr) == (
        "UsageError: parameter raise_on_failed_checks: expected true or false, got str 'ture'"
    )


def test_a_passing_run_does_not_raise(tmp_path: Path) -> None:
    run = papermill(tmp_path, "token_lab", "raise_on_failed_checks", "True")
    assert run.returncode == 0, last_line(run.stderr)


def test_the_raised_line_holds_no_secret(tmp_path: Path) -> None:
    # A rejected token (no transport): auth fails, and its detail is the one raised.
    secret = "s3cret-" + "k" * 40
    env = {**os.environ, "JWT_SECRET_KEY": secret, "QA2_RAISE_SECRET": secret}
    run = papermill(
        tmp_path,
        "live_session",
        "transport",
        "none",
        "time_scale",
        "0.1",
        "raise_on_failed_checks",
        "True",
        env=env,
    )
    assert run.returncode != 0
    line = last_line(run.stderr)
    assert line.startswith("ChecksFailed: live_session: 1 required check failed")
    assert "auth: token rejected" in line
    assert secret not in run.stdout + run.stderr and "eyJ" not in run.stdout + run.stderr
    executed = (tmp_path / "out.ipynb").read_text(encoding="utf-8")
    assert secret not in executed


def test_the_error_scrubs_a_token_a_detail_carries() -> None:
    from netra_diag.report import ChecksFailed, Summary

    token = mint_token("u1", key="k" * 40, now=time.time())
    summary = Summary(None, notebook="live_session")
    summary.check("auth", kind="auth", passed=True, detail="fine")
    summary.raise_for_failed_checks()  # nothing failed: nothing raised
    summary.check("sla", kind="sla", passed=False, detail="p95 over\nthe limit")
    summary.check("contracts", kind="contract", passed=False, detail="x")
    # (set after recording, as a notebook could: scrubbed again when raised)
    summary.checks[-1] = summary.checks[-1].__class__(
        "contracts", summary.checks[-1].kind, False, f"sent {token}"
    )
    with pytest.raises(ChecksFailed) as raised:
        summary.raise_for_failed_checks()
    text = str(raised.value)
    assert token not in text and "eyJ…#" in text
    # Worst class first, as the report's exit code: contract (3) before SLA (6); one line.
    assert text.startswith("live_session: 2 required checks failed (netra-diag report exits 3")
    assert text.index("contracts:") < text.index("sla:") and "\n" not in text
    assert raised.value.exit_code is ExitCode.CONTRACT


def test_netra_diag_report_exits_by_class_when_asked_to_raise(
    tmp_path: Path, failing_results: Path
) -> None:
    params = {"results": str(failing_results), "raise_on_failed_checks": "true"}
    result = run_report("suite_triage", params, out_dir=tmp_path / "out", html=False)
    # The raise it asked for is no broken notebook (exit 8): the failed check's class decides.
    assert result.error is None and result.exit_code is ExitCode.FAILURE
    executed = nbformat.read(str(result.notebook_path), as_version=4)
    tags = [t for c in executed.cells for t in c.metadata.get("tags", ())]
    assert "papermill-error-cell-tag" not in tags
    errors = [o for c in executed.cells for o in c.get("outputs", ()) if o.output_type == "error"]
    assert [len(o.traceback) for o in errors] == [1]
    assert errors[0].traceback[0].startswith("ChecksFailed: suite_triage: 1 required check")
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    assert summary["status"] == "ok" and summary["exit_code"] == 1


def test_a_raw_run_given_summary_path_keeps_the_exit_code_it_would_have(
    tmp_path: Path, failing_results: Path
) -> None:
    # papermill exits 0 or 1 only: the JSON names the class netra-diag report would exit with.
    run = papermill(
        tmp_path, "suite_triage", "results", str(failing_results), "summary_path", "s.json"
    )
    assert run.returncode == 0, last_line(run.stderr)
    summary = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert (summary["exit_code"], summary["exit_class"]) == (1, "FAILURE")


def test_report_help_tells_a_papermill_user_how_to_fail_on_checks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from netra_diag.cli import main
    from netra_diag.report import find_notebook, notebook_parameters

    with pytest.raises(SystemExit):
        main(["report", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "with -p raise_on_failed_checks True its last cell raises" in help_text
    for name in ("live_session", "token_lab", "suite_triage", "latency_sla"):
        assert "raise_on_failed_checks" in notebook_parameters(find_notebook(name))
