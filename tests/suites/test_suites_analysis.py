"""Baseline diff, flakiness with outage suppression, vacuous passes, recordings."""

from __future__ import annotations

import json
from pathlib import Path

from netra_diag.suites import (
    Category,
    Outcome,
    Problem,
    ProblemKind,
    SuiteRun,
    TestCase,
    assess_flakiness,
    diff_runs,
    find_recordings,
    find_vacuous,
    triage,
)
from netra_diag.suites.model import row_of
from netra_diag.suites.remediation import tally_suites


def _run(*cases: TestCase) -> SuiteRun:
    return SuiteRun(
        rows=tuple(row_of(c) for c in cases),
        details={c.test_id: c for c in cases if c.problems or c.reruns},
    )


def _t(
    name: str,
    outcome: Outcome = Outcome.PASSED,
    message: str = "",
    duration: float = 0.5,
    suite: str = "s",
) -> TestCase:
    problems: tuple[Problem, ...] = ()
    if outcome is Outcome.FAILED:
        problems = (Problem(ProblemKind.FAILURE, message=message or "AssertionError: boom"),)
    elif outcome is Outcome.ERROR:
        problems = (Problem(ProblemKind.ERROR, message=message or 'failed on setup with "X"'),)
    elif outcome is Outcome.SKIPPED:
        problems = (Problem(ProblemKind.SKIPPED, message=message or "skip"),)
    return TestCase(
        test_id=f"m.T::{name}",
        name=name,
        classname="m.T",
        suite=suite,
        outcome=outcome,
        duration=duration,
        problems=problems,
    )


def test_diff_classifies_every_change() -> None:
    base = _run(
        _t("fixed", Outcome.FAILED),
        _t("regress"),
        _t("still", Outcome.FAILED, "TypeError: a"),
        _t("gone"),
        _t("slow", duration=1.0),
    )
    cur = _run(
        _t("fixed"),
        _t("regress", Outcome.FAILED),
        _t("still", Outcome.FAILED, "KeyError: b"),
        _t("new", Outcome.FAILED),
        _t("slow", duration=5.0),
    )
    d = diff_runs(base, cur)
    assert d.new_failures == ("m.T::regress",)
    assert d.failing_added == ("m.T::new",)
    assert d.fixed == ("m.T::fixed",)
    assert d.still_failing == ("m.T::still",)
    assert d.cause_changed == ("m.T::still",)
    assert d.removed == ("m.T::gone",)
    assert [r.test_id for r in d.duration_regressions] == ["m.T::slow"]
    assert d.any_new_failures


def test_flakiness_transition_score_and_outage_suppression() -> None:
    refused = "ConnectionRefusedError: [Errno 111] Connection refused"
    ok = _run(_t("a"), _t("b"), _t("c"), _t("d"))
    flip = _run(_t("a", Outcome.FAILED), _t("b"), _t("c"), _t("d"))
    outage = _run(*(_t(n, Outcome.FAILED, refused) for n in "abcd"))
    report = assess_flakiness([ok, flip, ok, outage, ok])
    assert report.outage_runs == (3,)
    assert "infrastructure" in report.outage_reasons[0]
    assert [f.test_id for f in report.flaky] == [
        "m.T::a"
    ]  # b, c, d are not flaky: run 3 was an outage
    assert report.flaky[0].history == "PFPP"
    assert report.flaky[0].transitions == 2


def test_passed_on_retry_is_flaky_in_one_run() -> None:
    retried = TestCase(
        test_id="m.T::r",
        name="r",
        classname="m.T",
        outcome=Outcome.PASSED,
        reruns=(Problem(ProblemKind.FLAKY_FAILURE, message="x"),),
    )
    report = assess_flakiness([_run(retried)])
    assert report.flaky[0].passed_on_retry == 1 and report.flaky[0].history == "R"


def test_vacuous_signals() -> None:
    run = _run(
        _t("test_websocket_connects", duration=0.0001),
        _t("test_pure_math", duration=0.0001),
        _t("test_live_a", Outcome.SKIPPED, "staging unreachable", suite="live"),
        _t("test_live_b", Outcome.SKIPPED, "staging unreachable", suite="live"),
    )
    kinds = {(s.kind, s.subject) for s in find_vacuous(run)}
    assert ("zero_ms_network_pass", "m.T::test_websocket_connects") in kinds
    assert ("zero_ms_network_pass", "m.T::test_pure_math") not in kinds
    assert ("only_skips", "live") in kinds
    assert any(k == "skipped_unreachable" for k, _ in kinds)


def test_all_skipped_run_is_never_called_a_pass() -> None:
    report = triage(_run(_t("a", Outcome.SKIPPED, "staging unreachable"), _t("b", Outcome.SKIPPED)))
    assert report.headline.startswith("all 2 tests skipped: nothing was tested")


def test_all_pass_with_weak_passes_says_it_proves_little() -> None:
    report = triage(_run(_t("test_websocket_ok", duration=0.0), _t("test_agent_ok", duration=2.0)))
    assert report.headline.startswith("all 2 tests pass, but the pass proves little")


def test_clean_pass_is_said_plainly() -> None:
    report = triage(_run(_t("test_math", duration=0.2)))
    assert report.headline == "the one test passes"


def _cassette(path: Path, nodeid: str, outcome: str, frames: list[dict[str, object]]) -> None:
    header = {
        "kind": "header",
        "format": "netra-cassette",
        "version": 1,
        "labels": {"nodeid": nodeid, "outcome": outcome},
    }
    with path.open("w", encoding="utf-8") as fh:
        for obj in [header, *frames]:
            fh.write(json.dumps(obj) + "\n")
        fh.write('{"kind": "frame", "dir": "in", "trunc')  # a killed writer's last line


def test_recordings_link_to_failing_tests(tmp_path: Path) -> None:
    _cassette(
        tmp_path / "a.jsonl",
        "tests/test_e2e.py::test_run",
        "failed",
        [
            {"kind": "mark", "name": "upgrade_done", "t_ns": 1, "data": {}},
            {
                "kind": "mark",
                "name": "connection_established",
                "t_ns": 2,
                "data": {"user_id": "demo-user-001"},
            },
            {
                "kind": "frame",
                "dir": "in",
                "t_ns": 3,
                "type": "connection_established",
                "text": '{"type": "connection_established"}',
            },
            {
                "kind": "frame",
                "dir": "in",
                "t_ns": 4,
                "type": "agent_started",
                "text": '{"type": "agent_started", "run_id": "r1", "thread_id": "t1"}',
            },
            {
                "kind": "mark",
                "name": "close",
                "t_ns": 5,
                "data": {"code": 1011, "reason": "Internal error"},
            },
        ],
    )
    _cassette(tmp_path / "b.jsonl", "tests/test_e2e.py::test_empty", "passed", [])
    recs = find_recordings(tmp_path)
    run_rec = recs["tests.test_e2e::test_run"][0]
    assert run_rec.frames_in == 2 and run_rec.auth_bypass and run_rec.close_code == 1011
    assert run_rec.phase_reached() == "completion"
    assert any("truncated" in w for w in run_rec.warnings)
    assert recs["tests.test_e2e::test_empty"][0].zero_frames

    failing = TestCase(
        test_id="tests.test_e2e::test_run",
        name="test_run",
        classname="tests.test_e2e",
        outcome=Outcome.FAILED,
        problems=(
            Problem(
                ProblemKind.FAILURE,
                message="ConnectionClosedError: received 1011 (internal error) Internal error",
            ),
        ),
    )
    passing = TestCase(
        test_id="tests.test_e2e::test_empty",
        name="test_empty",
        classname="tests.test_e2e",
        duration=1.0,
    )
    report = triage(_run(failing, passing), recordings=tmp_path)
    assert report.clusters[0].category is Category.INTERNAL_1011
    assert str(report.clusters[0].phase) == "completion"
    text = report.to_text()
    assert "AUTH BYPASS (server user demo-user-001)" in text
    assert "a.jsonl" in text
    kinds = {s.kind for s in report.vacuous}
    assert {"auth_bypass", "zero_frame_recording"} <= kinds
    assert report.critical_observed == ("agent_started",)  # the five critical events only


def test_suite_tallies_pick_each_suites_tests_in_report_order() -> None:
    cases = [
        _t("a", suite="one"),
        _t("b", Outcome.FAILED, suite="two", duration=1.0),
        _t("c", Outcome.SKIPPED, suite="one"),
        _t("d", suite="three", duration=2.0),
        _t("e", Outcome.ERROR, suite="one"),
    ]
    tallies = tally_suites(_run(*cases))
    assert list(tallies) == ["one", "two", "three"]
    for name, tally in tallies.items():
        mine = [c for c in cases if c.suite == name]
        assert tuple(tally.tids) == tuple(c.test_id for c in mine)
        assert tuple(tally.outcomes) == tuple(c.outcome for c in mine)
        assert tally.duration == sum(c.duration or 0.0 for c in mine)
