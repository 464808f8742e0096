"""A pytest ``-x`` (or ``--maxfail``) run in JUnit, triaged against its baseline: the tests it
never ran read as "removed" and the run exited 0, as if a third of the suite had been checked
and passed. Now the run is said to have stopped at a failure (the headline leads with it) and
exits 1, as a pytest-json report of the same run does. Real pytest runs, real JUnit files."""

from __future__ import annotations

from pathlib import Path

import pytest
from suites.suite_runs import run_case_module

from netra_diag.cli import main

SOURCE = """
def test_first():
    assert 1 == 2


def test_second():
    pass


def test_third():
    pass
"""

MIDDLE_REMOVED = """
def test_first():
    assert 1 == 2


def test_third():
    assert 1 == 2
"""


def _junit(src: Path, name: str, source: str, *args: str) -> Path:
    out = src / f"{name}.xml"
    run_case_module(src, "stop", source, f"--junitxml={out}", *args)
    return out


def test_a_run_cut_short_by_x_is_said_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = _junit(tmp_path, "full", SOURCE)
    cut = _junit(tmp_path, "cut", SOURCE, "-x")
    code = main(["triage", str(cut), "--baseline", str(full)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert out.startswith(
        "TRIAGE: the run seems to have stopped at a failure (-x or --maxfail): the 2 tests the "
        "baseline ran after case_stop::test_first have no result (unless this change removed "
        "them)"
    ), out


def test_a_whole_run_and_one_missing_tests_before_its_end_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = _junit(tmp_path, "full", SOURCE)
    assert main(["triage", str(full), "--baseline", str(full)]) == 0
    # a test removed from the middle, the last one failing: the baseline ran nothing after it
    middle = _junit(tmp_path, "middle", MIDDLE_REMOVED)
    capsys.readouterr()
    main(["triage", str(middle), "--baseline", str(full)])
    out = capsys.readouterr().out
    assert "stopped at a failure" not in out, out
    assert "removed (1): case_stop::test_second" in out, out
