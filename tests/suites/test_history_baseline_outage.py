"""A baseline diff against real pytest runs: a baseline taken during an outage, and a test that
passes only on a retry.

Run 1 is an outage (an autouse fixture raises ConnectionRefusedError for every test); in run 2
test_flip fails with an assertion and test_retry passes on its second attempt; in run 3 test_flip
fails again and the service is down once more.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import STEADY_FLIP_OUTAGE, run_history

from netra_diag.cli import main
from netra_diag.suites import triage

_ENV = {"QA_OUTAGE": "1", "QA_FLIP_FAILS": "2,3", "QA_RETRY": "2"}
_SLOW = """
import os
import time

import pytest

RUN = int(os.environ["QA_RUN"])


@pytest.fixture(autouse=True)
def service():
    if RUN == 1:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 8000)")
    yield


def test_steady():
    pass


def test_connects():
    time.sleep(1.2)
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return run_history(tmp_path_factory.mktemp("hist"), STEADY_FLIP_OUTAGE, [1, 2], env=_ENV)


def test_a_regression_behind_an_outage_baseline_is_a_new_failure(
    runs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    outage, current = runs
    report = triage(current, baseline=outage)
    diff = report.diff
    assert diff is not None
    # test_flip errored on the refused connection in the baseline: that said nothing of it, and
    # its assertion now is a regression, not "still failing for a new cause" (exit 0)
    assert diff.new_failures == ("case_hist::test_flip",)
    assert diff.still_failing == () and diff.cause_changed == ()
    # nor did the others pass "fixed": they were never known broken
    assert diff.fixed == ()
    assert diff.baseline_outage.startswith("3 of 3 tests failed with one cause")
    assert main(["triage", str(current), "--baseline", str(outage), "--json"]) == 7
    assert json.loads(capsys.readouterr().out)["diff"]["new_failures"] == ["case_hist::test_flip"]


def test_an_outage_in_both_runs_is_still_failing(tmp_path: Path) -> None:
    (first,) = run_history(tmp_path, STEADY_FLIP_OUTAGE, [1], env=_ENV, name="first")
    (second,) = run_history(tmp_path, STEADY_FLIP_OUTAGE, [1], env=_ENV, name="second")
    diff = triage(second, baseline=first).diff
    assert diff is not None
    assert len(diff.still_failing) == 3 and not diff.new_failures and not diff.fixed


def test_a_failure_that_passes_only_on_retry_is_not_fixed(tmp_path: Path) -> None:
    # run 3: test_flip fails (and test_retry passes); run 2: test_retry passes on its retry
    env = {**_ENV, "QA_OUTAGE": "0", "QA_FLIP_FAILS": "3", "QA_RETRY": "2"}
    src = STEADY_FLIP_OUTAGE.replace(
        'assert not (RUN == RETRY and n == 0), "first attempt failed"',
        'assert RUN != 3 and not (RUN == RETRY and n == 0), "first attempt failed"',
    )
    baseline, current = run_history(tmp_path, src, [3, 2], env=env)
    diff = triage(current, baseline=baseline).diff
    assert diff is not None
    assert diff.fixed == ("case_hist::test_flip",)
    assert diff.newly_flaky == ("case_hist::test_retry",)  # failed there, flaky here: no fix


def test_no_slower_test_against_an_outage_baseline(tmp_path: Path) -> None:
    outage, current = run_history(tmp_path, _SLOW, [1, 2])
    diff = triage(current, baseline=outage).diff
    assert diff is not None
    # the baseline's errors at set-up took 0.000 s: no measure of the test
    assert diff.duration_regressions == ()
