# mypy: disallow-untyped-calls=False
"""Bad input to the suite_triage notebook, as a reviewer meets it in a shared report: a truncated
JUnit file says what is wrong with which file, in the user's words, without a traceback through
the library; a parameter of the wrong type (papermill run directly) is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import papermill
import pytest

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import UsageError
from netra_diag.report import run_report, text_parameter
from netra_diag.report.execution import raising_line

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "suite_triage.ipynb"

# What IPython prints for a chained exception: the cause first (its frame deep in a library),
# then the exception the cell raised.
CHAINED = [
    "\x1b[31mExpatError\x1b[39m    Traceback (most recent call last)",
    "File \x1b[32m/x/netra_diag/suites/junit.py:308\x1b[39m\n"
    '\x1b[32m--> \x1b[39m308 parser.Parse(b"", True)',
    "The above exception was the direct cause of the following exception:",
    "\x1b[31mReportParseError\x1b[39m    Traceback (most recent call last)",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[3]\x1b[39m, line 11\n"
    "\x1b[32m---> \x1b[39m\x1b[32m11\x1b[39m result = triage(",
    "File /x/netra_diag/suites/triage.py:223\n--> 223     return _triage(results)",
]


def test_the_error_line_is_the_notebooks_own_not_the_librarys() -> None:
    assert raising_line(CHAINED) == "result = triage("
    # No cell frame: the first marked line, as before.
    assert raising_line(["--> 5 boom()"]) == "boom()"


def test_a_truncated_junit_file_is_refused_in_plain_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = (
        '<testsuites><testsuite name="pytest" tests="1">'
        '<testcase classname="t" name="test_a" time="0.1"/></testsuite></testsuites>'
    )
    (tmp_path / "junit.xml").write_text(good[:40], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_report("suite_triage", {"results": "junit.xml"}, out_dir="out")
    assert result.exit_code is ExitCode.USAGE
    assert result.headline.startswith("bad input, nothing checked: junit.xml:1: ")
    assert result.error is not None and "'result = triage('" in result.error
    executed = nbformat.read(str(result.notebook_path), as_version=4)
    (error,) = [o for c in executed.cells for o in c.get("outputs", ()) if o.output_type == "error"]
    assert error.traceback == [f"ReportParseError: {error.evalue}"]
    assert result.html_path is not None
    html = result.html_path.read_text(encoding="utf-8")
    assert "Traceback" not in html and "junit.py" not in html
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    for text in (html, json.dumps(summary), result.notebook_path.read_text(encoding="utf-8")):
        assert str(tmp_path) not in text


def test_text_parameters_of_the_wrong_type() -> None:
    assert text_parameter("results", ["a.xml", Path("b.xml")]) == "a.xml,b.xml"
    assert text_parameter("results", Path("a.xml")) == "a.xml"
    with pytest.raises(UsageError, match=r"parameter results: expected text .*got int 5"):
        text_parameter("results", 5)
    with pytest.raises(UsageError, match=r"parameter history: .*got NoneType None"):
        text_parameter("history", None)


def test_papermill_run_directly_with_an_int_names_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(NOTEBOOK),
            str(tmp_path / "out.ipynb"),
            parameters={"results": 5},
            progress_bar=False,
            cwd=str(tmp_path),
        )
    assert caught.value.ename == "UsageError"
    assert "parameter results: expected text" in caught.value.evalue
