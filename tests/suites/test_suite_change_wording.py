"""The suite table's "changed" column counts tests come and gone in words that agree with the
number: "-1 test", "+1 test" (not "-1 tests"). Real pytest runs: run 1 has 2 tests, run 2 has 3."""

from __future__ import annotations

from pathlib import Path

from history_runs import run_history

from netra_diag.suites import triage

_SOURCE = """
import os

RUN = int(os.environ["QA_RUN"])


def test_kept():
    pass


if RUN == 1:
    def test_dropped():
        pass
else:
    def test_new_a():
        pass

    def test_new_b():
        pass
"""


def test_one_test_less_and_one_more_read_as_such(tmp_path: Path) -> None:
    before, after = run_history(tmp_path, _SOURCE, [1, 2])
    (fewer,) = triage(before, baseline=after).suites
    assert fewer.change_text() == "-1 test"
    assert "-1 tests" not in triage(before, baseline=after).to_text()
    (more,) = triage(after, baseline=before).suites
    assert more.change_text() == "+1 test"


_ONE = "def test_only():\n    pass\n"


def test_a_baseline_of_one_test_reads_one_test(tmp_path: Path) -> None:
    before, after = run_history(tmp_path, _ONE, [1, 2])
    text = triage(after, baseline=before).to_text()
    assert "baseline : 1 test: 1 passed" in text
