"""A test "fixed since baseline" whose history goes back and forth is said flaky where the fix
is claimed: passing now proves no fix. Real pytest runs 1-5, run 5 triaged against run 4.

test_flip fails in runs 2 and 4 (PFPFP: it flips every run); test_fix fails in runs 3 and 4
(PPFFP: one break and its fix, which the history calls flaky too, but whose fix stands).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

_SOURCE = """
import os

RUN = int(os.environ["QA_RUN"])


def test_flip():
    assert RUN not in (2, 4)


def test_fix():
    assert RUN not in (3, 4)
"""


def test_a_fix_of_a_test_that_flips_every_run_is_qualified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = run_history(tmp_path, _SOURCE, range(1, 6))
    report = triage(runs[-1], baseline=runs[-2], history=runs[0].parent)
    assert report.diff is not None
    assert sorted(report.diff.fixed) == ["case_hist::test_fix", "case_hist::test_flip"]
    fixed = next(f for f in report.findings if "fixed since baseline" in f.phrase)
    assert fixed.phrase == "2 fixed since baseline (1 flaky in the history: may fail again)"
    assert fixed.detail == "case_hist::test_flip"
    text = report.to_text()
    assert "    of which flaky in the history (1): case_hist::test_flip (PFPFP)" in text
    assert "test_fix (PPFFP)" not in text.split("Since baseline")[1].split("\n\n")[0]
    argv = ["triage", str(runs[-1]), "--baseline", str(runs[-2])]
    assert main([*argv, "--history", str(runs[0].parent), "--json"]) == ExitCode.OK
    doc = json.loads(capsys.readouterr().out)
    assert fixed.phrase in [f["phrase"] for f in doc["findings"]]


def test_without_a_history_a_fix_is_a_fix(tmp_path: Path) -> None:
    runs = run_history(tmp_path, _SOURCE, [4, 5])
    fixed = next(f for f in triage(runs[1], baseline=runs[0]).findings if "fixed" in f.phrase)
    assert fixed.phrase == "2 fixed since baseline"


def test_a_new_failure_of_a_test_that_flips_every_run_is_qualified(tmp_path: Path) -> None:
    # run 4 triaged against run 3: test_flip fails again (PFPF), test_fix still fails (PPFF)
    runs = run_history(tmp_path, _SOURCE, range(1, 5))
    report = triage(runs[-1], baseline=runs[-2], history=runs[0].parent)
    assert report.diff is not None and report.diff.new_failures == ("case_hist::test_flip",)
    new = next(f for f in report.findings if "new failure" in f.phrase)
    assert new.phrase == "1 new failure since baseline (flaky in the history)"
    assert "    of which flaky in the history (1): case_hist::test_flip (PFPF)" in report.to_text()
    # (the exit code still counts it: a history is no excuse to pass a gate)
    argv = ["triage", str(runs[-1]), "--baseline", str(runs[-2]), "--history", str(runs[0].parent)]
    assert main(argv) == ExitCode.NEW_FAILURES
