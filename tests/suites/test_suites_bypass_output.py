"""PROTOCOL.md §9.9: a passing test whose captured output names the synthetic user of DEMO-mode
auth passed against a service that validated nothing, recordings or not.

JUNIT is pytest's output with ``-o junit_logging=all`` for two tests that print
"connected as demo-user-001, thread t1" and "connected as user-7f3a9c21"."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.suites import VacuousKind, triage

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" errors="0" failures="0" skipped="0" tests="2" time="0.1" hostname="vm"><testcase \
classname="test_demo_out" name="test_golden_path_connects" time="0.012"><system-out>--------------\
------------------- Captured Log ---------------------------------

--------------------------------- Captured Out ---------------------------------
connected as demo-user-001, thread t1

</system-out></testcase><testcase classname="test_demo_out" name="test_other" time="0.011">\
<system-out>--------------------------------- Captured Out ---------------------------------
connected as user-7f3a9c21

</system-out></testcase></testsuite></testsuites>
"""


def test_a_pass_whose_output_names_the_demo_user_proves_little(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    report = triage(path)
    bypass = [s for s in report.vacuous if s.kind is VacuousKind.AUTH_BYPASS]
    assert [s.subject for s in bypass] == ["test_demo_out::test_golden_path_connects"]
    assert report.headline == (
        "all 2 tests pass, but the pass proves little; "
        "auth bypassed in 1 passing test's output (demo-user-001)"
    )
    assert main(["triage", str(path), "--strict"]) == 3
    assert main(["triage", str(path)]) == 0


def test_a_pass_that_proves_little_is_a_github_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    assert main(["triage", str(path), "--format", "github"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("::warning title=netra-diag triage::all 2 tests pass, but the pass")
