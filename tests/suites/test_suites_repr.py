"""What a notebook shows for a run or a triage report: one short, scrubbed line (``repr``), and the
report's Markdown (``_repr_markdown_``), never the rows, failure texts or the tokens they quote."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from netra_diag.investigation import bundled_suite
from netra_diag.redaction import JWT_PATTERN, fingerprint
from netra_diag.suites.junit import parse_junit
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.triage import triage
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

TOKEN = mint_token("leaky-user", key=LOCAL_DEV_SECRET, now=1_764_028_800.0)


def _leaky_junit(path: Path, tests: int, failing: int) -> Path:
    cases = []
    for i in range(tests):
        body = (
            f'<failure message="rejected {TOKEN}">Traceback\nAssertionError: rejected {TOKEN}'
            "</failure>"
            if i < failing
            else ""
        )
        cases.append(f'<testcase classname="tests.test_auth" name="test_{i}" time="0.1">{body}')
        cases.append("</testcase>")
    path.write_text(
        f'<testsuite name="auth" tests="{tests}" failures="{failing}">{"".join(cases)}</testsuite>',
        encoding="utf-8",
    )
    return path


def test_a_run_shows_one_scrubbed_line(tmp_path: Path) -> None:
    run = parse_junit(_leaky_junit(tmp_path / "junit.xml", tests=2000, failing=300))
    assert repr(run) == f"SuiteRun(2000 tests from junit.xml [{run.fmt}]: 300 failed, 1700 passed)"
    assert TOKEN in str(run.failing()[0].primary)  # the text is kept; the repr leaves it out
    # A file name can quote a token too (a run's artifacts named after the session).
    named = dataclasses.replace(run, sources=(f"/ci/{TOKEN}/junit.xml", f"junit-{TOKEN}.xml"))
    shown = repr(named)
    assert f"from junit.xml, junit-{fingerprint(TOKEN)}.xml [" in shown
    assert not JWT_PATTERN.search(shown) and len(shown) < 200
    # Equality is still the dataclass's: field by field.
    assert run == dataclasses.replace(run) and run != named


def test_a_run_of_several_files_names_the_first_two() -> None:
    run = SuiteRun(rows=(), sources=("a/x.xml", "b\\y.xml", "z.xml"), fmt="junit")
    assert repr(run) == "SuiteRun(0 tests from x.xml, y.xml and 1 more [junit]: no tests ran)"
    warned = dataclasses.replace(run, sources=(), fmt="", warnings=("odd",))
    assert repr(warned) == "SuiteRun(0 tests: no tests ran; 1 warning)"


def test_a_triage_report_shows_its_headline_and_counts(tmp_path: Path) -> None:
    report = triage([_leaky_junit(tmp_path / "junit.xml", tests=2000, failing=300)])
    shown = repr(report)
    assert shown.startswith("TriageReport(headline='")
    assert shown.endswith(", 300 failing tests in 1 cause, 2000 tests in all)")
    assert TOKEN not in shown and len(shown) < 400
    markdown = report._repr_markdown_()
    assert markdown == report.to_markdown() and "300 failures are one cause" in markdown
    assert TOKEN not in markdown and not JWT_PATTERN.search(markdown)


def test_the_bundled_report_in_one_line() -> None:
    report = triage([bundled_suite("current")], baseline=[bundled_suite("baseline")])
    assert repr(report) == (
        f"TriageReport(headline={report.headline!r}, 24 failing tests in "
        f"{len(report.clusters)} causes, 40 tests in all)"
    )
    assert repr(report.current) == (
        "SuiteRun(40 tests from current.xml [junit-pytest]: 20 failed, 16 passed, 4 errors)"
    )
    assert report == dataclasses.replace(report)
