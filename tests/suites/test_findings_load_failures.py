"""A test file that failed to load is said as such, first: "0 of 1 broken.test.js tests pass"
read as a test that ran and failed, where nothing in the file ran."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from netra_diag.suites import triage

FIXTURES = Path(__file__).parents[1] / "fixtures" / "suites"


def test_jest_json_names_the_file_that_failed_to_load_first() -> None:
    report = triage(FIXTURES / "jest_json" / "mixed.json")
    assert report.headline.startswith("1 test file failed to load: __tests__/broken.test.js; ")
    assert "broken.test.js tests pass" not in report.headline


def test_jest_junit_with_suite_errors_names_it_too() -> None:
    report = triage(FIXTURES / "jest" / "jest-junit.xml")
    assert report.headline.startswith("1 test file failed to load: __tests__/broken.test.js; ")


def test_a_jest_run_where_nothing_loaded_speaks_of_test_files() -> None:
    assert triage(FIXTURES / "jest_json" / "all_broken.json").headline == (
        "no test ran: 1 test file failed at collection"
    )


def test_a_pytest_module_that_failed_to_import_beside_others(tmp_path: Path) -> None:
    (tmp_path / "test_broken.py").write_text(
        "from nowhere import StagingConfig\n\n\ndef test_a():\n    pass\n"
    )
    (tmp_path / "test_fine.py").write_text(
        "def test_ok():\n    pass\n\n\ndef test_bad():\n    assert 0\n"
    )
    junit = tmp_path / "junit.xml"
    subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("--continue-on-collection-errors", f"--junitxml={junit}", "--rootdir", str(tmp_path)),
        ],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    report = triage(junit)
    assert report.headline.startswith("1 module failed to load: test_broken; 1 of 2 test_fine")
    (finding,) = [f for f in report.findings if f.kind == "collection"]
    assert "§9.6" in finding.detail
