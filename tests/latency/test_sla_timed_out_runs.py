"""Runs the client gave up on (``run_end`` outcome timeout) took at least as long as it waited,
and the silence after their last event lasted at least until then. A limit those lower bounds
already break is a FAIL the recordings prove ("6 runs timed out after 1 s, so max ≥ 1 s"), not
a pass "only on the attempts that finished"; a limit they do not decide keeps that caveat.
Recorded from the embedded service with a stall longer than the client's timeout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.latency import phase_metrics
from netra_diag.recording import load_frames

LIMITS = """\
[[check]]
id = "run-max"
phase = "run_total"
statistic = "max"
comparison = "<"
threshold = "0.8 s"

[[check]]
id = "run-p50"
phase = "run_total"
statistic = "p50"
comparison = "<"
threshold = "0.8 s"

[[check]]
id = "gap-max"
phase = "event_gap"
statistic = "max"
comparison = "<"
threshold = "0.8 s"
"""

# Limits the 1 s lower bounds cannot decide: above them, or a floor.
UNDECIDED = """\
[[check]]
id = "run-5s"
phase = "run_total"
statistic = "max"
comparison = "<"
threshold = "5 s"

[[check]]
id = "run-floor"
phase = "run_total"
statistic = "p50"
comparison = ">"
threshold = "1 ms"
"""


def _fanout(folder: Path, *extra: str) -> int:
    argv = ["fanout", "--users", "3", "--runs", "2", "--record", str(folder), "--no-progress"]
    return main([*argv, *extra])


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("timed_out")
    # Every run stalls 3 s; the client gives up after 1 s.
    stall = ["--faults", "stall@1.0,stall_s=3", "--timeout", "1"]
    assert _fanout(root / "stalled", *stall) == ExitCode.TIMEOUT
    # Half of them stall: some runs finish, some time out.
    half = ["--faults", "stall@0.5,stall_s=3", "--timeout", "1"]
    assert _fanout(root / "mixed", *half) == ExitCode.TIMEOUT
    assert _fanout(root / "clean") == ExitCode.OK
    (root / "limits.toml").write_text(LIMITS, encoding="utf-8")
    (root / "undecided.toml").write_text(UNDECIDED, encoding="utf-8")
    return root


def _check(
    sla: Path, cassettes: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, dict[str, dict[str, Any]]]:
    """(exit code, the text report, the JSON checks by id)."""
    capsys.readouterr()
    code = main(["sla", "check", str(sla), str(cassettes)])
    text = capsys.readouterr().out
    assert main(["sla", "check", str(sla), str(cassettes), "--json"]) == code
    doc = json.loads(capsys.readouterr().out)
    return code, text, {c["id"]: c for c in doc["checks"]}


def _metrics(folder: Path) -> pd.DataFrame:
    return phase_metrics(load_frames(sorted(folder.glob("*.jsonl"))))


def _timeouts(folder: Path) -> tuple[int, int]:
    """(runs that timed out, runs that timed out after at least one event), from the marks."""
    timed_out = after_events = 0
    for path in folder.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if rec.get("kind") != "mark" or rec.get("name") != "run_end":
                continue
            if rec["data"].get("outcome") == "timeout":
                timed_out += 1
                after_events += rec["data"].get("n_events", 0) > 0
    return timed_out, after_events


def test_timed_out_runs_break_the_limits_they_already_exceed(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = recorded / "stalled"
    timed_out, after_events = _timeouts(folder)
    assert timed_out == 6 and after_events >= 1
    code, text, checks = _check(recorded / "limits.toml", folder, capsys)
    assert code == ExitCode.SLA_BREACH, text
    headline = text.splitlines()[0]
    assert headline.startswith(
        "SLA 'limits': BREACH — 0 of 3 checks pass; 3 fail (run-max: max ≥ 1"
    ), headline
    assert "passed only on the attempts that finished" not in text
    run_max, run_p50, gap_max = checks["run-max"], checks["run-p50"], checks["gap-max"]
    assert [run_max["status"], run_p50["status"], gap_max["status"]] == ["fail"] * 3
    assert run_max["note"].startswith("6 runs timed out after 1"), run_max["note"]
    assert ", so max ≥ 1" in run_max["note"]
    assert run_max["observed_text"].startswith("≥ 1") and run_max["observed"] >= 1000.0
    assert ", so p50 ≥ 1" in run_p50["note"] and run_p50["observed"] >= 1000.0
    # Every run's bound is past the limit: so is the low end of the p50's interval.
    assert run_p50["conclusive"] is True and run_p50["ci_low"] >= 1000.0, run_p50
    assert run_p50["ci_high"] is None  # nothing bounds it above (null in JSON)
    runs = "1 run" if after_events == 1 else f"{after_events} runs"
    assert gap_max["note"].startswith(f"{runs} timed out "), gap_max["note"]
    assert "after their last event" in gap_max["note"] or "after its last event" in gap_max["note"]
    assert ", so max ≥ " in gap_max["note"] and gap_max["observed"] >= 800.0


def test_a_timed_out_run_among_finished_ones_fails_the_max(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = recorded / "mixed"
    timed_out, _ = _timeouts(folder)
    assert 1 <= timed_out < 6
    code, text, checks = _check(recorded / "limits.toml", folder, capsys)
    assert code == ExitCode.SLA_BREACH, text
    run_max = checks["run-max"]
    assert run_max["status"] == "fail" and run_max["left_out"] == timed_out
    runs = "1 run" if timed_out == 1 else f"{timed_out} runs"
    assert run_max["note"].startswith(f"{runs} timed out after 1"), run_max["note"]
    # p50: a FAIL exactly when at least half the runs timed out (their bound is past 0.8 s).
    finished = 6 - timed_out
    assert (checks["run-p50"]["status"] == "fail") == (timed_out > finished), checks["run-p50"]


def test_bounds_that_do_not_decide_keep_the_caveat(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = recorded / "mixed"
    timed_out, _ = _timeouts(folder)
    code, text, checks = _check(recorded / "undecided.toml", folder, capsys)
    assert code == ExitCode.OK, text
    assert f"(run-5s: {timed_out} of 6 never did)" in text.splitlines()[0], text
    for check in checks.values():
        assert check["status"] == "pass" and check["conclusive"] is False, check
        assert "holds only for the" in check["note"] and "timed out" not in check["note"]
    assert main(["sla", "check", str(recorded / "undecided.toml"), str(folder), "--strict"]) == 6


def test_the_metrics_carry_the_bounds_of_timed_out_runs_only(recorded: Path) -> None:
    stalled = _metrics(recorded / "stalled")
    runs = stalled[stalled["phase"] == "run_total"]
    assert (~runs["ok"]).all() and (runs["at_least_ms"] >= 1000.0).all()
    gaps = stalled[(stalled["phase"] == "event_gap") & ~stalled["ok"]]
    assert len(gaps) == _timeouts(recorded / "stalled")[1]
    assert gaps["value_ms"].isna().all() and (gaps["at_least_ms"] > 0).all()
    # A recording whose runs all completed gets no made-up gap and no bound.
    clean = _metrics(recorded / "clean")
    assert clean["ok"].all() and clean["at_least_ms"].isna().all()
    assert len(clean[clean["phase"] == "event_gap"]) == 6 * 5  # six runs of six events


def test_a_recording_whose_runs_completed_is_unaffected(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, checks = _check(recorded / "limits.toml", recorded / "clean", capsys)
    assert code == ExitCode.OK, text
    assert text.splitlines()[0].startswith("SLA 'limits': PASS — 3 of 3 checks pass"), text
    assert "timed out" not in text and "≥" not in text.split("\n", 2)[1]
    for check in checks.values():
        assert check["status"] == "pass" and check["left_out"] == 0, check
        assert not check["observed_text"].startswith("≥")


@pytest.mark.parametrize(
    ("statistic", "comparison", "threshold", "said"),
    [
        ("success_rate", ">=", '"150 %"', "success_rate >= 150 % can never pass"),
        ("success_rate", ">", '"100 %"', "success_rate > 100 % can never pass"),
        ("max", "<", '"0 ms"', "max < 0 ms can never pass"),
    ],
)
def test_a_check_no_value_can_pass_is_a_bad_sla_file(
    statistic: str,
    comparison: str,
    threshold: str,
    said: str,
    recorded: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "never.toml"
    path.write_text(
        f'[[check]]\nid = "c"\nphase = "run_total"\nstatistic = "{statistic}"\n'
        f'comparison = "{comparison}"\nthreshold = {threshold}\n',
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["sla", "check", str(path), str(recorded / "clean")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{path}:6: field 'threshold': check #1: {said}" in err, err
    assert main(["sla", "show", str(path)]) == ExitCode.USAGE
