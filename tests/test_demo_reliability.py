"""The demo's "N of M injected faults diagnosed" claims only what the diagnosis saw, and never
counts (or fails on) a fault whose effect no recording can show."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from netra_diag import investigation
from netra_diag.investigation.analyse import _injected_frame

_NO_METRICS = pd.DataFrame({"phase": [], "run": [], "value_ms": []})


def _fault(fault: str, event_type: str, run_id: str = "r1") -> dict[str, Any]:
    return {"fault": fault, "run_id": run_id, "event_type": event_type, "detail": fault}


def _frame(rows: list[dict[str, Any]], findings: Mapping[str, list[str]]) -> pd.DataFrame:
    collection = {"injected": rows, "config": {"faults": "drop_event,duplicate_event"}}
    frame: pd.DataFrame = _injected_frame(None, collection, pd.DataFrame(findings), _NO_METRICS)
    return frame


def test_a_finding_of_another_rule_in_the_same_run_diagnoses_nothing() -> None:
    # The duplicate's finding once counted as the diagnosis of a drop in the same run.
    rows = [_fault("duplicate_event", "agent_thinking"), _fault("drop_event", "agent_thinking")]
    frame = _frame(rows, {"run_id": ["r1"], "rule": ["duplicate_event"]})
    assert list(frame["detected"]) == [True, False]
    assert list(frame["detected_by"]) == ["contract: duplicate_event", ""]


@pytest.mark.parametrize(
    ("event_type", "rule"),
    [
        ("agent_started", "missing_event"),
        ("agent_thinking", "missing_event"),
        ("tool_executing", "orphan_tool_completed"),
        ("tool_completed", "unfinished_tool"),
        ("agent_completed", "no_terminal"),
    ],
)
def test_a_drop_is_diagnosed_by_what_its_absence_breaks(event_type: str, rule: str) -> None:
    frame = _frame([_fault("drop_event", event_type)], {"run_id": ["r1"], "rule": [rule]})
    assert frame["detected_by"].iloc[0] == f"contract: {rule}"


def _thinking_steps(record_dir: Path, run_id: str) -> list[int]:
    from netra_diag.events.sources import load_cassette_stream

    steps = []
    for cassette in sorted(record_dir.glob("*.jsonl")):
        for te in load_cassette_stream(cassette).events:
            if te.event.run_id == run_id and te.type == "agent_thinking":
                steps.append(int(te.event.get("step_number")))
    return sorted(steps)


async def test_a_dropped_last_thinking_step_is_named_and_not_counted(tmp_path: Path) -> None:
    # Every run drops one event; with this seed at least one run drops the last of its several
    # thinking steps, which leaves a run the contract allows.
    config = investigation.CollectConfig(
        users=4, runs=3, faults="drop_event", time_scale=0.1, run_timeout=1.0, seed=7
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    summary = inv.to_summary()
    hidden = inv.injected[~inv.injected["observable"]]
    assert len(hidden) >= 1
    assert summary["injected_unobservable"] == {"drop_event (agent_thinking)": len(hidden)}
    assert summary["injected_faults"] + len(hidden) == len(collection.injected)
    assert summary["injected_detected"] == summary["injected_faults"]
    for row in hidden.itertuples():
        # Judged from the recording itself: the steps that arrived are 1..n, none skipped.
        steps = _thinking_steps(collection.record_dir, str(row.run_id))
        assert steps == list(range(1, len(steps) + 1)) and steps
        assert not row.detected and str(row.detected_by).startswith("not observable: ")


def test_the_demo_names_unobservable_faults_instead_of_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netra_diag.cli import main

    argv = ["demo", "--users", "4", "--runs", "3", "--faults", "drop_event", "--no-report"]
    code = main([*argv, "--time-scale", "0.1", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0, out
    diagnosis = next(line.strip() for line in out.splitlines() if "diagnosis:" in line)
    detected, _, injected = diagnosis.split(" injected")[0].split(": ")[1].partition(" of ")
    assert detected == injected
    assert "not counted: " in out and "drop_event (agent_thinking) ×" in out


def _section(stdout: str, header: str) -> list[str]:
    lines = stdout.split(f"\n{header}\n", 1)[1].split("\n\n", 1)[0]
    return lines.splitlines()


def test_the_report_section_says_what_ran_when_progress_goes_elsewhere(tmp_path: Path) -> None:
    # stderr is a pipe, not a terminal: the report's progress lines go there, and the section
    # on stdout was once a bare "== report" header.
    import subprocess
    import sys

    from timeouts import scaled

    argv = ["--users", "2", "--runs", "1", "--faults", "", "--time-scale", "0.1"]
    proc = subprocess.run(
        [sys.executable, "-m", "netra_diag", "demo", *argv, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=scaled(240),
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    section = _section(proc.stdout, "== report")
    assert section[0].startswith("  running the investigation_report notebook on ")
    assert section[-1].startswith("  the notebook ran in ")
    assert "netra-diag report: running" in proc.stderr


async def test_frames_that_are_no_event_are_diagnosed_in_the_session_they_hit(
    tmp_path: Path,
) -> None:
    # Their findings carry no run id: matched by run alone, every one went undiagnosed.
    config = investigation.CollectConfig(
        users=3, runs=2, faults="malformed_frame@0.5,unknown_event_type@0.5", time_scale=0.1
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    assert len(inv.injected) >= 2
    assert inv.injected["detected"].all(), inv.injected[["fault", "user_id", "detected_by"]]
    assert inv.injected["detected_by"].str.endswith("(in the session, outside any run)").all()


def test_a_fault_without_a_run_is_not_diagnosed_by_another_session() -> None:
    # Both ids missing once matched every finding outside a run, in whichever session.
    from types import SimpleNamespace

    from netra_diag.investigation.injected import injected_frame

    rows = [{"fault": "stop_heartbeats", "run_id": None, "user_id": "u1", "detail": "x"}]
    findings = pd.DataFrame(
        {"cassette": ["b.jsonl"], "run_id": [None], "rule": ["heartbeat_missing"]}
    )
    streams = [
        SimpleNamespace(label="a.jsonl", user="u1", events=()),
        SimpleNamespace(label="b.jsonl", user="u2", events=()),
    ]
    args = (rows, findings, _NO_METRICS)
    frame = injected_frame(*args, stall_ms=2000.0, streams=streams)
    assert not frame["detected"].iloc[0]
    own = [SimpleNamespace(label="b.jsonl", user="u1", events=())]  # now u1's session
    frame = injected_frame(*args, stall_ms=2000.0, streams=own)
    assert frame["detected_by"].iloc[0] == (
        "contract: heartbeat_missing (in the session, outside any run)"
    )


def test_a_stall_longer_than_the_client_waited_is_seen_in_the_recorded_gap() -> None:
    # The client stopped counting the run's late events (its timeout came first), so the
    # latency metrics hold no gap; the events themselves, by run id, still show it.
    from types import SimpleNamespace

    from netra_diag.investigation.injected import injected_frame

    def event(t: float) -> SimpleNamespace:
        return SimpleNamespace(t=t, type="tool_completed", event=SimpleNamespace(run_id="r1"))

    session = SimpleNamespace(label="a.jsonl", user="u1", events=[event(0.1), event(2.25)])
    rows = [{"fault": "stall", "run_id": "r1", "user_id": "u1", "detail": "stalled 2 s"}]
    findings = pd.DataFrame({"cassette": [], "run_id": [], "rule": []})
    frame = injected_frame(rows, findings, _NO_METRICS, stall_ms=2000.0, streams=[session])
    assert frame["detected_by"].iloc[0] == "latency: 2150 ms event gap"
