"""One pytest run given as its JUnit and its pytest-json-report together (a CI step that uploads
both into one folder): each test once, counted as pytest counted it."""

from __future__ import annotations

import pytest
from suite_runs import PytestRun

from netra_diag.suites import triage


@pytest.mark.parametrize("json_first", [True, False])
def test_junit_and_json_of_one_run_count_as_pytest_said(pyrun: PytestRun, json_first: bool) -> None:
    if pyrun.json is None:
        pytest.skip("needs pytest-json-report")
    files = [pyrun.json, pyrun.xunit1] if json_first else [pyrun.xunit1, pyrun.json]
    counts = triage(files).current.counts.as_dict()
    del counts["flaky"]
    # JUnit cannot tell a non-strict xpass from a pass; the JSON can, whichever comes first
    assert counts == pyrun.summary
