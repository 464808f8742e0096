"""A flaky test renamed since is said as possibly renamed in the history too, when the runs
place their tests (real pytest runs with pytest-json-report, which gives each test's line).

test_checkout flips in runs 1-4 and is renamed test_pay at the same line in run 5 (the one
triaged); test_legacy flips and is gone in run 5, nothing new at its place.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.suites import triage

_BEFORE = """
import os

RUN = int(os.environ["QA_RUN"])


def test_checkout():
    assert RUN != 2


def test_steady():
    pass


def test_legacy():
    assert RUN != 3
"""

_AFTER = _BEFORE.replace("def test_checkout", "def test_pay").replace(
    "\n\ndef test_legacy():\n    assert RUN != 3\n", ""
)


def _history(where: Path, fmt: str) -> Path:
    out = where / fmt
    run_history(where, _BEFORE, range(1, 5), fmt=fmt, out=out)
    (last,) = run_history(where, _AFTER, [5], fmt=fmt, out=out)
    return last


def test_a_flaky_test_renamed_in_place_is_named_with_its_new_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = _history(tmp_path, "json")
    report = triage(last, history=last.parent)
    flakiness = report.flakiness
    assert flakiness is not None
    gone = sorted(f.test_id for f in flakiness.no_longer_run)
    assert gone == ["case_hist::test_checkout", "case_hist::test_legacy"]
    assert flakiness.renamed == (("case_hist::test_checkout", "case_hist::test_pay"),)
    assert hash(flakiness)  # (a frozen report, hashable as before)
    assert (
        "flaky before, no longer run: case_hist::test_checkout (possibly renamed "
        "case_hist::test_pay), case_hist::test_legacy"
    ) in report.to_text()
    assert main(["triage", str(last), "--history", str(last.parent), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["flakiness"]["no_longer_run"]
    assert {f["test_id"]: f["possibly_renamed"] for f in out} == {
        "case_hist::test_checkout": "case_hist::test_pay",
        "case_hist::test_legacy": None,
    }


def test_runs_without_lines_pair_nothing(tmp_path: Path) -> None:
    last = _history(tmp_path, "xml")  # (pytest's default JUnit: no file, no line)
    report = triage(last, history=last.parent)
    assert report.flakiness is not None and len(report.flakiness.no_longer_run) == 2
    assert report.flakiness.renamed == ()
    assert "possibly renamed" not in report.to_text()
