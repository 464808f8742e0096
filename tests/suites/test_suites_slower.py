"""A test much slower than in the baseline is said in the suite table and the findings, after
the pass it does not undo."""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import triage


def _run(path: Path, times: list[float]) -> Path:
    cases = "".join(
        f'<testcase classname="test_perf" name="t{i}" time="{t}"/>' for i, t in enumerate(times)
    )
    path.write_text(
        f'<testsuites name="pytest tests"><testsuite name="pytest" tests="{len(times)}">'
        f"{cases}</testsuite></testsuites>"
    )
    return path


def test_a_slower_test_shows_in_the_table_and_the_headline(tmp_path: Path) -> None:
    base = _run(tmp_path / "base.xml", [0.1, 1.0, 5.0])
    current = _run(tmp_path / "current.xml", [0.1, 1.05, 60.0])
    report = triage(current, baseline=base)
    (suite,) = report.suites
    assert suite.slower == 1
    assert suite.change_text() == "1 slower"  # was "no change"
    assert report.headline == "all 3 tests pass; 1 test slower than in the baseline"
    assert report.to_dict()["suites"][0]["slower"] == 1
    same = triage(current, baseline=current)
    assert same.suites[0].change_text() == "no change"
    assert same.headline == "all 3 tests pass"


def test_failing_tests_gone_since_the_baseline_are_said_first(tmp_path: Path) -> None:
    fail = '<failure message="AssertionError: boom">E   AssertionError: boom</failure>'
    base = tmp_path / "base.xml"
    base.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" tests="3">'
        '<testcase classname="test_a" name="t1" time="0.1"/>'
        f'<testcase classname="test_a" name="t2" time="0.1">{fail}</testcase>'
        f'<testcase classname="test_a" name="t3" time="0.1">{fail}</testcase>'
        "</testsuite></testsuites>"
    )
    current = _run(tmp_path / "current.xml", [0.1])
    current.write_text(current.read_text().replace("test_perf", "test_a").replace("t0", "t1"))
    report = triage(current, baseline=base)
    # (not "the one test passes" on its own: the two failures were not fixed, they are gone)
    assert report.headline == (
        "the one test passes, but the pass proves little; 2 tests failing in the baseline are gone"
    )
    assert "2 tests failing in the baseline are gone" in report.weak_signals  # --strict: exit 3
    assert report.diff is not None and report.diff.removed == ("test_a::t2", "test_a::t3")


def test_failing_tests_that_now_skip_are_no_fix(tmp_path: Path) -> None:
    fail = '<failure message="AssertionError: boom">E   AssertionError: boom</failure>'
    skip = '<skipped type="pytest.skip" message="flaky, skipping">x</skipped>'

    def run(path: Path, second: str) -> Path:
        path.write_text(
            '<testsuites name="pytest tests"><testsuite name="pytest">'
            '<testcase classname="test_a" name="t1" time="0.1"/>'
            f'<testcase classname="test_a" name="t2" time="0.1">{second}</testcase>'
            "</testsuite></testsuites>"
        )
        return path

    report = triage(run(tmp_path / "cur.xml", skip), baseline=run(tmp_path / "base.xml", fail))
    assert report.headline == (
        "the one test that ran passes, but the pass proves little; "
        "1 test failing in the baseline now skips"
    )
    assert report.suites[0].change_text() == "1 now skipped"  # was "no change"
    assert report.diff is not None and report.diff.changed
    assert "no change" not in report.to_text()
