"""A service that dies partway through one run: real pytest runs, triaged with --history and
--baseline.

Ten tests; in run 3 the service goes down after the sixth, and the last four fail on a refused
connection (not most of the run: no outage run). In run 4 test_call[9] fails an assertion.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.suites import triage

_SOURCE = """
import os

import pytest

RUN = int(os.environ["QA_RUN"])


@pytest.mark.parametrize("n", range(10))
def test_call(n):
    if RUN == 3 and n >= 6:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 8000)")
    assert not (RUN == 4 and n == 9), "reply had no agent_completed"
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return run_history(tmp_path_factory.mktemp("hist"), _SOURCE, range(1, 6))


def test_a_service_dying_partway_marks_no_test_flaky(runs: list[Path]) -> None:
    report = triage(runs[-1], history=runs[0].parent)
    flakiness = report.flakiness
    assert flakiness is not None
    # test_call[6..8] failed only on the refused connection: no flip of theirs; test_call[9]
    # failed on its own in run 4 (one flip there and back: PPPFP, after run 3 is left out)
    assert [(f.test_id, f.history) for f in flakiness.flaky] == [
        ("case_hist::test_call[9]", "PPFP")
    ]
    assert flakiness.outage_runs == () and flakiness.partial_outages == 1
    (reason,) = flakiness.outage_reasons
    assert reason.startswith(f"{runs[2]}: 4 of 10 tests failed with one cause")
    assert reason.endswith("(a partial outage: those failures are left out)")
    assert flakiness.summary() == "1 flaky test over 5 runs; 1 partial outage left out"


def test_a_regression_behind_a_partial_outage_baseline_is_new(runs: list[Path]) -> None:
    # run 3 as the baseline: test_call[9] was refused there, fails an assertion in run 4
    diff = triage(runs[3], baseline=runs[2]).diff
    assert diff is not None
    assert diff.new_failures == ("case_hist::test_call[9]",)
    assert diff.fixed == () and diff.still_failing == ()
    assert main(["triage", str(runs[3]), "--baseline", str(runs[2])]) == 7
