"""A suite_triage report shared in a pull request: re-running it on the same input gives the same
files (no clock readings, random cell or widget ids), and it names the paths the user gave, not
the folders of the machine that ran it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.report import run_report
from netra_diag.report.shown_paths import shorten_paths, shown_path_prefixes

JUNIT = (
    '<testsuites><testsuite name="pytest" tests="2">'
    '<testcase classname="tests.test_a" name="test_ok" time="0.1"/>'
    '<testcase classname="tests.test_a" name="test_bad" time="0.2">'
    '<failure message="assert 1 == 2">AssertionError: assert 1 == 2</failure></testcase>'
    "</testsuite></testsuites>"
)


def test_a_rerun_on_the_same_input_gives_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "ci-checkout"
    (work / "reports").mkdir(parents=True)
    (work / "reports" / "junit.xml").write_text(JUNIT, encoding="utf-8")
    monkeypatch.chdir(work)
    texts = []
    for _ in range(2):
        result = run_report("suite_triage", {"results": "reports/junit.xml"}, out_dir="out")
        assert result.error is None, result.error
        assert result.html_path is not None
        texts.append(
            (
                result.notebook_path.read_text(encoding="utf-8"),
                result.html_path.read_text(encoding="utf-8"),
            )
        )
    (notebook, html), again = texts
    assert (notebook, html) == again
    for noise in ("iopub.", "start_time", "end_time", "widget-view+json", "model_id"):
        assert noise not in notebook, noise
    summary = json.loads((work / "out" / "suite_triage.json").read_text(encoding="utf-8"))
    # As the user gave it, as `netra-diag triage reports/junit.xml` prints it.
    assert 'results = \\"reports/junit.xml\\"' in notebook
    assert "2 tests from reports/junit.xml" in notebook
    assert summary["parameters"]["results"] == "reports/junit.xml"
    for text in (notebook, html, json.dumps(summary)):
        assert str(tmp_path) not in text
    # the notebook run, from this checkout, by its place in it
    assert summary["source"] == "notebooks/suite_triage.ipynb"
    assert '"input_path": "notebooks/suite_triage.ipynb"' in notebook


def test_the_bundled_example_is_named_by_its_place_in_the_package(tmp_path: Path) -> None:
    import netra_diag

    package = Path(netra_diag.__file__).resolve().parent
    shown = shown_path_prefixes(tmp_path)
    text = f"40 tests from {package / 'data' / 'suites' / 'current.xml'}"
    assert shorten_paths(text, shown) == "40 tests from netra_diag/data/suites/current.xml"
    assert shorten_paths(f"see {tmp_path / 'a.xml'}", shown) == "see a.xml"
    # From /, every absolute path would lose its leading slash: nothing is taken off.
    assert shorten_paths("/etc/x", shown_path_prefixes("/")) == "/etc/x"
