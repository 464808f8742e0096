"""The pytest plugin: outcome sidecars, labelled cassettes, and triage linking them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from suite_runs import PytestRun

from netra_diag.pytest_plugin import label_cassette
from netra_diag.suites import Category, find_recordings, sanitise_nodeid, triage

LIVE = "case_live_session.py::test_golden_path_user_is_the_token_subject"


def _sidecar(pyrun: PytestRun, nodeid: str) -> dict[str, object]:
    path = pyrun.recordings / f"{sanitise_nodeid(nodeid)}.outcome.json"
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_every_test_gets_an_outcome_sidecar_in_pytest_words(pyrun: PytestRun) -> None:
    expected = {
        "case_outcomes.py::test_websocket_connect_ok": "passed",
        "case_outcomes.py::test_known_failure": "xfailed",
        "case_outcomes.py::test_unexpected_pass": "xpassed",
        "case_outcomes.py::test_strict_unexpected_pass": "failed",
        "case_outcomes.py::test_passes_then_teardown_fails": "error",
        "case_infra.py::test_runs_with_service": "error",
        "case_all_skipped.py::test_golden_path_live": "skipped",
        "case_token_drift.py::test_token_refresh_flow": "failed",
        LIVE: "failed",
    }
    for nodeid, outcome in expected.items():
        data = _sidecar(pyrun, nodeid)
        assert (data["nodeid"], data["outcome"]) == (nodeid, outcome)


def test_cassette_is_labelled_with_node_id_and_final_outcome(pyrun: PytestRun) -> None:
    cassette = pyrun.recordings / f"{sanitise_nodeid(LIVE)}.jsonl"
    header = json.loads(cassette.read_text(encoding="utf-8").splitlines()[0])
    run = header["labels"].pop("run")
    assert header["labels"] == {"nodeid": LIVE, "outcome": "failed"}
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", run)
    recs = find_recordings(pyrun.recordings)[
        "case_live_session::test_golden_path_user_is_the_token_subject"
    ]
    assert recs[0].frames_in > 0 and recs[0].auth_bypass  # DEMO mode: demo-user-001


def test_triage_links_the_failing_test_to_its_recording(pyrun: PytestRun) -> None:
    report = triage(pyrun.xunit1, recordings=pyrun.recordings)
    cluster = next(c for c in report.clusters if c.representative.startswith("case_live_session"))
    assert cluster.category is Category.VACUOUS_PASS
    assert "auth bypass (server user demo-user-001)" in cluster.category_reason
    text = report.to_text()
    assert f"recording {cassette_path(pyrun)}" in text
    assert "AUTH BYPASS" in text
    data = report.to_dict()
    linked = next(c for c in data["clusters"] if c["representative"] == cluster.representative)
    assert linked["recordings"] == {cluster.representative: [str(cassette_path(pyrun))]}


def cassette_path(pyrun: PytestRun) -> Path:
    return pyrun.recordings / f"{sanitise_nodeid(LIVE)}.jsonl"


def test_events_seen_by_the_session_become_a_junit_property(pyrun: PytestRun) -> None:
    xml = pyrun.xunit1.read_text(encoding="utf-8")
    assert 'name="netra_events" value="connection_established,agent_started' in xml


def test_label_cassette_rewrites_only_the_header(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    frame = '{"kind": "frame", "dir": "in", "t_ns": 1, "type": "pong", "text": "{}"}\n'
    path.write_text(
        json.dumps({"kind": "header", "labels": {"nodeid": "a", "outcome": "pending"}})
        + "\n"
        + frame
    )
    assert label_cassette(path, outcome="passed", run="7")
    lines = path.read_text().splitlines(keepends=True)
    assert json.loads(lines[0])["labels"] == {"nodeid": "a", "outcome": "passed", "run": "7"}
    assert lines[1] == frame
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    assert not label_cassette(bad, outcome="x")
    assert not label_cassette(tmp_path / "missing.jsonl", outcome="x")


def test_recordings_of_another_suite_are_left_out_and_said_so(pyrun: PytestRun) -> None:
    # The bundled §10 results with this run's cassettes: none of them is about those tests, so
    # their events are no evidence for the §10 run's critical events.
    from netra_diag.investigation import bundled_suite

    alone = triage(bundled_suite("current"))
    report = triage(bundled_suite("current"), recordings=pyrun.recordings)
    assert report.headline == alone.headline  # "4 of 5 critical events never observed" stays
    assert report.recordings == {}
    (note,) = report.notes
    assert note.startswith(f"{pyrun.recordings}: ") and "match no test of this run" in note
    assert note in report.to_text() and note in report.to_dict()["run"]["warnings"]


def test_recordings_from_another_run_are_flagged(pyrun: PytestRun, tmp_path: Path) -> None:
    # The live test failed in this run; say its recording comes from a run where it passed.
    copied = tmp_path / "rec"
    copied.mkdir()
    header, *rest = cassette_path(pyrun).read_text(encoding="utf-8").splitlines(keepends=True)
    data = json.loads(header)
    data["labels"]["outcome"] = "passed"
    (copied / cassette_path(pyrun).name).write_text(json.dumps(data) + "\n" + "".join(rest))
    report = triage(pyrun.xunit1, recordings=copied)
    assert any(
        "1 recording disagrees" in n and "recorded 'passed', the results say 'failed'" in n
        for n in report.notes
    )


def test_a_test_that_talked_to_the_service_is_never_too_fast(
    pyrun: PytestRun, tmp_path: Path
) -> None:
    # pytest's call time leaves out the fixture that connected: a test the plugin saw receive
    # events (its netra_events property, or a linked recording with frames) is not "~0 ms
    # against a network service", however short its call; a 4 ms loopback session was flagged
    # or not from run to run. A test that talked to nothing still is.
    from netra_diag.suites import VacuousKind

    results = tmp_path / "junit.xml"
    results.write_text(
        '<testsuite name="s">'
        '<testcase classname="test_agent" name="test_session" time="0.004"><properties>'
        '<property name="netra_events" value="connection_established,agent_started"/>'
        "</properties></testcase>"
        '<testcase classname="test_agent" name="test_no_session" time="0.0"/>'
        "</testsuite>"
    )
    fast = {
        s.subject for s in triage(results).vacuous if s.kind is VacuousKind.ZERO_MS_NETWORK_PASS
    }
    assert fast == {"test_agent::test_no_session"}


def test_every_rendering_carries_the_recordings_of_failing_tests(pyrun: PytestRun) -> None:
    report = triage(pyrun.xunit1, recordings=pyrun.recordings)
    (rec,) = report.recordings["case_live_session::test_golden_path_user_is_the_token_subject"]
    verdict = rec.contract_findings[0]
    assert verdict.split(":")[0] in {
        "PASS",
        "PASS with caveats",
        "NOT PROVEN",
        "FAIL",
        "INCONCLUSIVE",
    }
    assert len(set(rec.contract_findings)) == len(rec.contract_findings)  # each finding once
    markdown = report.to_markdown()
    assert "Recordings of failing tests:" in markdown
    assert f"- {rec.test_id}: " in markdown and "token_subject.jsonl: " in markdown
    data = report.to_dict()
    recorded = [c["recorded"] for c in data["clusters"] if c["recorded"]]
    assert recorded and recorded[0][rec.test_id][0]["contract"][0] == verdict


def test_the_plugin_can_be_named_with_p_though_its_entry_point_loaded_it(tmp_path: Path) -> None:
    # "-p netra_diag.pytest_plugin" as its docstring says: pytest refused a module registered
    # under another name ("Plugin already registered under a different name").
    import subprocess
    import sys

    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "netra_diag.pytest_plugin", "--co", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 test collected" in done.stdout


def test_damaged_recordings_are_named_with_file_and_line(pyrun: PytestRun, tmp_path: Path) -> None:
    recs = tmp_path / "rec"
    recs.mkdir()
    whole = cassette_path(pyrun).read_bytes()
    (recs / "cut.jsonl").write_bytes(whole[: whole.index(b"\n", 400) + 30])  # cut mid-line
    report = triage(pyrun.xunit1, recordings=recs)
    (damaged,) = [n for n in report.notes if "damaged recordings" in n]
    assert f"{recs / 'cut.jsonl'}:" in damaged and "not JSON (truncated line?)" in damaged
