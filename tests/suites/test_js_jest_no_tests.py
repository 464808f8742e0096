"""``jest --json`` of a run that found no test file (``jest_qa/no_tests.json`` under
``tests/fixtures/suites/``, see the README there): jest said "No tests found, exiting with
code 1", yet the document says ``success: true`` and holds nothing else. Triage says what it
may mean, as it does for the jest-junit report with no suite."""

from __future__ import annotations

import json

import pytest
from suite_runs import FIXTURES

from netra_diag.cli import main
from netra_diag.suites import parse_jest_json
from netra_diag.suites.jest_json import parse_jest_json_data

QA = FIXTURES / "jest_qa"


def test_a_run_with_no_test_file_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    said = (QA / "no_tests.summary.txt").read_text(encoding="utf-8")
    assert said.startswith("No tests found, exiting with code 1")
    data = json.loads((QA / "no_tests.json").read_text(encoding="utf-8"))
    assert data["testResults"] == [] and data["success"] is True
    run = parse_jest_json(QA / "no_tests.json")
    [warning] = run.warnings
    assert "jest ran no test file" in warning and "--passWithNoTests" in warning
    main(["triage", str(QA / "no_tests.json")])
    assert "jest exits 1 then, unless --passWithNoTests" in capsys.readouterr().out


def test_an_interrupted_run_is_not_said_to_have_found_no_test() -> None:
    data = json.loads((QA / "no_tests.json").read_text(encoding="utf-8"))
    data["wasInterrupted"] = True  # (jest stopped before a file finished: another story)
    run = parse_jest_json_data(data, path="x.json")
    assert not [w for w in run.warnings if "no test file" in w]
    assert run.interrupted
