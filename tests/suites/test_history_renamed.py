"""A flaky test renamed (or removed) since: real pytest runs, triaged with --history.

test_checkout flips in runs 1-4 and is renamed test_pay from run 5 on; test_legacy flips too
and is removed from run 5 on; test_flip flips throughout. Run 5 is the one triaged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.suites import triage

_SOURCE = """
import os

RUN = int(os.environ["QA_RUN"])


def test_flip():
    assert RUN not in (2, 4)


if RUN < 5:
    def test_checkout():
        assert RUN != 2

    def test_legacy():
        assert RUN != 3
else:
    def test_pay():
        pass
"""


def test_a_test_gone_from_this_run_is_not_counted_flaky(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = run_history(tmp_path, _SOURCE, range(1, 6))
    report = triage(runs[-1], history=runs[0].parent, baseline=runs[-2])
    flakiness = report.flakiness
    assert flakiness is not None and flakiness.runs == 5
    # only test_flip is flaky among this run's tests; the renamed and removed ones were
    assert [(f.test_id, f.history) for f in flakiness.flaky] == [("case_hist::test_flip", "PFPFP")]
    assert sorted(f.test_id for f in flakiness.no_longer_run) == [
        "case_hist::test_checkout",
        "case_hist::test_legacy",
    ]
    assert flakiness.summary() == "1 flaky test over 5 runs"
    assert report.diff is not None
    assert report.diff.removed == ("case_hist::test_checkout", "case_hist::test_legacy")
    assert report.diff.added == ("case_hist::test_pay",)
    assert report.diff.fixed == ("case_hist::test_flip",)
    assert main(["triage", str(runs[-1]), "--history", str(runs[0].parent), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["flakiness"]
    assert [f["test_id"] for f in out["flaky"]] == ["case_hist::test_flip"]
