"""jest ``projects`` running one test file each (``tests/fixtures/suites/jest_projects/``, see the
README there): the JSON names no project, so the two runs of the file are told apart by their
order alone, and jest ran the failing project first the second time. Nothing in the document can
tell which is which; a warning says so (and what names the project), where the same code run
again read as a new failure and a fix with no word why."""

from __future__ import annotations

import pytest
from suite_runs import FIXTURES, jest_says

from netra_diag.cli import main
from netra_diag.suites import parse_jest_json

PROJECTS = FIXTURES / "jest_projects"


def test_jest_ran_the_projects_in_another_order() -> None:
    first = (PROJECTS / "proj1.order.txt").read_text(encoding="utf-8").split()
    second = (PROJECTS / "proj2.order.txt").read_text(encoding="utf-8").split()
    assert first[:2] == ["PASS", "prod"] and second[:2] == ["FAIL", "staging"]


def test_a_file_run_by_two_projects_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    _, tests = jest_says(PROJECTS / "proj2.summary.txt")
    run = parse_jest_json(PROJECTS / "proj2.json")
    assert (run.counts.failed, run.counts.passed) == (tests["failed"], tests["passed"])
    [said] = run.warnings
    assert "jest ran 1 test file more than once (/tmp/qajs6/__tests__/env.test.js (2×))" in said
    assert "{displayName}" in said
    main(["triage", str(PROJECTS / "proj2.json"), "--baseline", str(PROJECTS / "proj1.json")])
    out = capsys.readouterr().out
    assert "new failures (1)" in out  # (what the JSON alone can say)
    assert "told apart by their order ('#2')" in out
