"""Lists cut at --max-tests say so and how to see the rest: the flaky tests of a history and
the tests slower than the baseline were cut without a word. Real pytest runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_runs import STEADY_FLIP_OUTAGE, run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

_MORE = "… (+1 more: --max-tests N shows more)"

_SLOWER = """
import os
import time

RUN = int(os.environ["QA_RUN"])


def test_a():
    time.sleep(1.1 if RUN == 2 else 0)


def test_b():
    time.sleep(1.1 if RUN == 2 else 0)
"""


def test_a_cut_flaky_list_says_how_many_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"QA_FLIP_FAILS": "2,4", "QA_RETRY": "3"}  # (test_flip and test_retry are flaky)
    runs = run_history(tmp_path, STEADY_FLIP_OUTAGE, range(1, 6), env=env)
    report = triage(runs[-1], history=runs[0].parent)
    assert report.flakiness is not None and len(report.flakiness.flaky) == 2
    flaky = report.to_text(max_tests=1).split("Flakiness: 2 flaky tests over 5 runs")[1]
    assert _MORE in flaky
    assert _MORE not in report.to_text(max_tests=2)
    argv = ["triage", str(runs[-1]), "--history", str(runs[0].parent), "--format", "markdown"]
    assert main([*argv, "--max-tests", "1"]) == ExitCode.OK
    assert _MORE in capsys.readouterr().out


def test_a_cut_list_of_slower_tests_says_how_many_more(tmp_path: Path) -> None:
    before, after = run_history(tmp_path, _SLOWER, [1, 2])
    report = triage(after, baseline=before)
    assert report.diff is not None and len(report.diff.duration_regressions) == 2
    text = report.to_text(max_tests=1)
    assert f"slower: {_MORE}" in text
    assert "more: --max-tests" not in report.to_text(max_tests=2)
