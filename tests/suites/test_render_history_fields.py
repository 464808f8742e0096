"""What the text and JSON renderings say of a history and a baseline: the outage and flakiness
fields a CI script reads, and a slowdown from a baseline that took 0.000 s."""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import triage

_CASE = '<testcase classname="tests.e2e.test_ws" name="{name}" time="{time}">{body}</testcase>'
_FAIL = '<failure message="AssertionError: expected agent_started">E   AssertionError</failure>'
_REFUSED = (
    '<failure message="ConnectionRefusedError: [Errno 111] Connect call failed '
    "('127.0.0.1', 8000)\">E   ConnectionRefusedError</failure>"
)


def _run(path: Path, cases: dict[str, tuple[str, str]], stamp: str) -> Path:
    body = "".join(_CASE.format(name=n, time=t, body=b) for n, (t, b) in cases.items())
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" tests="{len(cases)}" timestamp="{stamp}">{body}'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    return path


def test_json_has_the_history_and_baseline_fields(tmp_path: Path) -> None:
    history = tmp_path / "runs"
    history.mkdir()
    for n, flips in enumerate(["", _FAIL, "", _FAIL, ""], 1):
        # test_gone flips too, then is removed from the run triaged
        _run(
            history / f"run-{n}.xml",
            {"test_flips": ("0.1", flips), "test_gone": ("0.1", flips), "test_ok": ("0.1", "")},
            f"2026-12-0{n}T10:00:00",
        )
    outage = {k: ("0.1", _REFUSED) for k in ("test_flips", "test_gone", "test_ok")}
    _run(history / "run-6.xml", outage, "2026-12-06T10:00:00")
    current = _run(
        tmp_path / "current.xml",
        {"test_flips": ("0.1", _FAIL), "test_ok": ("0.1", "")},
        "2026-12-07T10:00:00",
    )
    doc = triage(current, baseline=history / "run-6.xml", history=history).to_dict()
    flakiness = doc["flakiness"]
    assert [f["test_id"] for f in flakiness["flaky"]] == ["tests.e2e.test_ws::test_flips"]
    assert [f["test_id"] for f in flakiness["no_longer_run"]] == ["tests.e2e.test_ws::test_gone"]
    assert flakiness["outage_run_numbers"] == [i + 1 for i in flakiness["outage_runs"]]
    assert len(flakiness["outage_run_numbers"]) == 1
    assert flakiness["partial_outages"] == 0
    report = triage(current, baseline=history / "run-6.xml", history=history)
    text = report.to_text()
    assert "flaky before, no longer run: tests.e2e.test_ws::test_gone" in text
    assert "letters: one per run that ran the test (not skipped, no outage), oldest" in text
    # The failing test's cause says that the test flips in the history (P pass, F fail).
    assert "      flaky in the history: tests.e2e.test_ws::test_flips (PFPFPF)" in text
    assert "Failing tests flaky in the history: " in report.to_markdown()
    assert "Flaky in the history: tests.e2e.test_ws::test_flips (PFPFPF)" in report.to_github()
    assert doc["diff"]["baseline_outage"].startswith(
        "3 of 3 tests failed with one cause (timeout or infrastructure)"
    )


def test_a_slowdown_from_a_zero_time_baseline_reads_in_words(tmp_path: Path) -> None:
    base = _run(tmp_path / "base.xml", {"test_ok": ("0.000", "")}, "2026-12-06T10:00:00")
    current = _run(tmp_path / "current.xml", {"test_ok": ("1.500", "")}, "2026-12-07T10:00:00")
    text = triage(current, baseline=base).to_text()
    assert "0.00 s -> 1.50 s (from under 1 ms)" in text
    assert "infx" not in text


def test_an_unreadable_run_in_a_history_list_is_left_out_and_named(tmp_path: Path) -> None:
    # As in a history folder: a truncated artifact of one old build must not stop the triage.
    good = _run(tmp_path / "run-1.xml", {"test_ok": ("0.1", "")}, "2026-12-01T10:00:00")
    cut = tmp_path / "run-2.xml"
    cut.write_text(good.read_text(encoding="utf-8")[:80], encoding="utf-8")
    current = _run(tmp_path / "current.xml", {"test_ok": ("0.1", "")}, "2026-12-07T10:00:00")
    report = triage(current, history=[good, cut])
    assert report.flakiness is not None and report.flakiness.runs == 2
    note = next(w for w in report.warnings if str(cut) in w)
    assert "not well-formed XML" in note and "that run is left out" in note


def test_warnings_cut_to_max_tests_say_how_many_more(tmp_path: Path) -> None:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    _run(folder / "junit.xml", {"test_ok": ("0.1", "")}, "2026-12-07T10:00:00")
    for n in range(7):
        (folder / f"meta-{n}.json").write_text('{"name": "not results"}', encoding="utf-8")
    report = triage(folder)
    assert len(report.warnings) == 7
    text = report.to_text(max_tests=5)
    assert "… (+2 more: --max-tests N shows more)" in text
    assert "meta-6.json" in report.to_text(max_tests=7)
