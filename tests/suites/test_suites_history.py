"""A history of runs: the outage run left out is named, so that a reader can open its log."""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import triage

_REFUSED = (
    '<failure message="ConnectionRefusedError: [Errno 111] Connect call failed '
    "('127.0.0.1', 8000)\">E   ConnectionRefusedError: [Errno 111] Connect call failed "
    "('127.0.0.1', 8000)</failure>"
)


def _run(outcomes: dict[str, str]) -> str:
    cases = "".join(
        f'<testcase classname="test_f" name="{name}" time="0.01">'
        + (_REFUSED if outcome == "refused" else "")
        + ('<failure message="AssertionError: flip">E   AssertionError: flip</failure>')
        * (outcome == "F")
        + "</testcase>"
        for name, outcome in outcomes.items()
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" tests="{len(outcomes)}">{cases}</testsuite></testsuites>'
    )


def test_the_outage_run_left_out_is_named(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    names = ("test_a", "test_b", "test_c")
    (history / "run1.xml").write_text(_run(dict.fromkeys(names, "P")))
    (history / "run2.xml").write_text(_run(dict.fromkeys(names, "refused")))
    shards = history / "run3"
    shards.mkdir()
    (shards / "s1.xml").write_text(_run(dict.fromkeys(names[:2], "refused")))
    (shards / "s2.xml").write_text(_run(dict.fromkeys(names[2:], "refused")))
    current = tmp_path / "current.xml"
    current.write_text(_run(dict.fromkeys(names, "P")))
    report = triage(current, history=history)
    assert report.flakiness is not None
    assert report.flakiness.outage_runs == (1, 2)
    first, second = report.flakiness.outage_reasons
    assert first.startswith(f"{history / 'run2.xml'}: 3 of 3 tests failed with one cause")
    assert second.startswith(f"{shards}: 3 of 3 tests failed")
    assert f"outage: {history / 'run2.xml'}: " in report.to_text()


def test_history_runs_that_share_no_test_with_this_run_are_said(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    names = ("test_a", "test_b")
    (history / "run1.xml").write_text(_run(dict.fromkeys(names, "P")))
    # another suite altogether
    current = tmp_path / "current.xml"
    current.write_text(_run(dict.fromkeys(("test_x", "test_y"), "P")))
    report = triage(current, history=history)
    assert any(
        w.startswith("history: 1 of 1 earlier run shares no test with this run")
        for w in report.warnings
    )
    same = tmp_path / "same.xml"
    same.write_text(_run(dict.fromkeys(names, "P")))
    assert not triage(same, history=history).warnings


def test_history_pytest_ran_from_another_directory_is_compared_test_by_test(
    tmp_path: Path,
) -> None:
    history = tmp_path / "history"
    history.mkdir()
    for n, flip in enumerate("PFPF"):
        (history / f"run{n}.xml").write_text(_run({"test_a": flip, "test_b": "P"}))
    # this run's pytest ran from the folder above: its ids carry the package
    current = tmp_path / "current.xml"
    current.write_text(_run({"test_a": "P", "test_b": "P"}).replace('"test_f"', '"flaky.test_f"'))
    report = triage(current, history=history)
    assert report.flakiness is not None
    assert [t.test_id for t in report.flakiness.flaky] == ["flaky.test_f::test_a"]
    (note,) = [w for w in report.warnings if w.startswith("history: ")]
    assert "from another directory" in note and "(and 3 more earlier runs alike)" in note
