"""``netra-diag sla`` through ``netra_diag.cli.main``: exit codes, text and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from latency_kit import CassetteBuilder, healthy_session

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode

OWN_SLA = """\
name = "ci-gate"

[[check]]
id = "first-event-p50"
phase = "first_event"
statistic = "median"
comparison = "<"
threshold = "200 ms"

[[check]]
id = "connect-max"
phase = "connect"
statistic = "max"
comparison = "<"
threshold = "1 s"
"""


@pytest.fixture
def healthy(tmp_path: Path) -> list[str]:
    return [str(healthy_session(tmp_path / f"{u}.jsonl", user=u)) for u in ("a", "b", "c")]


@pytest.fixture
def slow(tmp_path: Path) -> list[str]:
    return [
        str(healthy_session(tmp_path / f"slow-{u}.jsonl", user=u, lag_ms=400.0, connect_ms=6000.0))
        for u in ("a", "b", "c")
    ]


def test_service_sla_passes_on_healthy_recordings(
    healthy: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["sla", "check", "service", *healthy])
    out = capsys.readouterr().out
    assert code == ExitCode.OK, out
    first = out.splitlines()[0]
    assert first.startswith("SLA 'service': PASS — 10 of 10 checks pass")
    # Three reconnects and three connects-per-cassette are too few to mean much, and it says so.
    assert "passed on too few samples to mean much" in first
    assert "reconnect-mean" in out.splitlines()[-1]


def test_breach_exits_sla_breach(slow: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sla", "check", "service", *slow])
    out = capsys.readouterr().out
    assert code == ExitCode.SLA_BREACH
    assert out.startswith("SLA 'service': BREACH")
    assert "FAIL        event-latency-p95" in out and "FAIL        connect-max" in out


def test_required_check_without_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = CassetteBuilder()
    b.connect(0, 10, 5)
    path = str(b.write(tmp_path / "connect-only.jsonl"))
    assert main(["sla", "check", "service", path]) == ExitCode.SLA_BREACH
    out = capsys.readouterr().out
    assert "NOT VERIFIED" in out and "NO DATA" in out
    assert main(["sla", "check", "service", path, "--allow-missing"]) == ExitCode.OK
    assert "--allow-missing: 8 required checks without data ignored" in capsys.readouterr().out


def test_json_output_and_context(healthy: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sla", "check", "remediation", *healthy, "--json"]
    code = main([*args, "--context", "memory_peak=229.5MB", "--context", "suite_duration=31.95s"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.OK == doc["exit_code"]
    assert doc["sla"] == "remediation" and doc["passed"] is True
    checks = {c["id"]: c for c in doc["checks"]}
    assert (
        checks["memory-peak"]["observed"] == 229.5e6 and checks["memory-peak"]["status"] == "pass"
    )
    assert checks["connect-success"]["observed"] == 1.0
    phases = {row["phase"] for row in doc["summary"]}
    assert {"connect", "event_latency", "run_total", "reconnect"} <= phases
    assert doc["comparison"] is None
    assert main([*args, "--context", "memory_peak"]) == ExitCode.USAGE
    assert "expected PHASE=VALUE" in capsys.readouterr().err


def test_baseline_regression(
    healthy: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sla = tmp_path / "own.toml"
    sla.write_text(OWN_SLA, encoding="utf-8")
    slower = [
        str(healthy_session(tmp_path / f"later-{u}.jsonl", user=u, gap_ms=16.0))
        for u in ("a", "b", "c")
    ]
    assert main(["sla", "check", str(sla), *healthy, "--baseline", *healthy]) == ExitCode.OK
    assert "within noise" in capsys.readouterr().out
    code = main(["sla", "check", str(sla), *slower, "--baseline", *healthy, "--json"])
    doc = json.loads(capsys.readouterr().out)
    # The checks pass, but the run fails on the regression: the headline and "passed" say so
    # (they said PASS / true while the exit code was 6).
    assert code == ExitCode.SLA_BREACH == doc["exit_code"]
    assert doc["passed"] is False and doc["breached"] is False and doc["regressed"] is True
    assert doc["verdict"] == "REGRESSION"
    assert doc["headline"].startswith(
        "SLA 'ci-gate': REGRESSION — 4 phases slower than the baseline (event_gap"
    )
    assert "the SLA checks themselves: 2 of 2 checks pass" in doc["headline"]
    verdicts = {(p["phase"], p["source"]): p["verdict"] for p in doc["comparison"]["phases"]}
    assert verdicts[("event_gap", "client")] == "regression"
    assert verdicts[("connect", "client")] == "within noise"
    assert verdicts[("reconnect", "client")] == "insufficient data"  # 3 samples each
    assert main(["sla", "check", str(sla), *slower, "--baseline", *healthy]) == ExitCode.SLA_BREACH
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(
        "SLA 'ci-gate': REGRESSION — 4 phases slower than the baseline (event_gap"
    )


def test_bad_sla_file_is_a_usage_error_naming_line_and_field(
    healthy: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sla = tmp_path / "bad.toml"
    sla.write_text(OWN_SLA.replace('threshold = "1 s"', 'threshold = "1 lightyear"'), "utf-8")
    assert main(["sla", "check", str(sla), *healthy]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{sla}:15: field 'threshold':" in err and "unknown unit" in err
    assert main(["sla", "show", str(sla)]) == ExitCode.USAGE
    capsys.readouterr()
    assert main(["sla", "show", "service"]) == ExitCode.OK
    assert "event-latency-p95: event_latency p95 < 100 ms" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        (
            'phase = "connect"',
            'phase = "nope"',
            12,
            "field 'phase': check #2: unknown phase 'nope'",
        ),
        ('threshold = "1 s"', 'threshold = "-5 s"', 15, "field 'threshold': check #2: must not be"),
    ],
)
def test_unknown_phase_and_negative_threshold_are_usage_errors(
    healthy: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    line: int,
    words: str,
) -> None:
    # An unknown phase read as "no data": rc 0 with --allow-missing, and `sla show` said valid.
    sla = tmp_path / "bad.toml"
    sla.write_text(OWN_SLA.replace(old, new), "utf-8")
    assert main(["sla", "show", str(sla)]) == ExitCode.USAGE
    assert f"{sla}:{line}: {words}" in capsys.readouterr().err
    assert main(["sla", "check", str(sla), *healthy, "--allow-missing"]) == ExitCode.USAGE
    assert f"{sla}:{line}: {words}" in capsys.readouterr().err


def test_unreadable_cassette_and_bare_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sla", "check", "service", str(tmp_path / "nope.jsonl")]) == ExitCode.USAGE
    assert "cannot read" in capsys.readouterr().err
    assert main(["sla"]) == ExitCode.USAGE
    with pytest.raises(SystemExit):
        main(["sla", "check", "--help"])
    assert "exit codes" in capsys.readouterr().out


def test_damaged_lines_are_reported_not_skipped_silently(
    healthy: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = Path(healthy[0]).read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join([*lines[:9], "{garbage not json\n", *lines[9:]]), encoding="utf-8")
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines)[:-30], encoding="utf-8")  # a writer killed mid-line
    code = main(["sla", "check", "service", str(bad), str(cut), "--baseline", str(bad)])
    err = capsys.readouterr().err.splitlines()
    assert code == ExitCode.OK
    assert err[0] == (
        f"netra-diag sla: warning: {bad}: line 10: not valid JSON (truncated or garbled): "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
    assert err[1].startswith(f"netra-diag sla: warning: {cut}: line {len(lines)}: truncated last")
    assert err[2].startswith(f"netra-diag sla: warning: baseline {bad}: line 10: not valid JSON")
    assert main(["sla", "check", "service", str(bad), "--json"]) == ExitCode.OK
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert [w.split(": not valid")[0] for w in doc["warnings"]] == [f"{bad}: line 10"]
    assert captured.err == ""
    assert main(["sla", "check", "service", *healthy, "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def test_a_directory_without_cassettes_is_a_usage_error(
    healthy: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It read as "no data" for every check (exit 6), as if the service had been measured.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["sla", "check", "service", str(empty)]) == ExitCode.USAGE
    assert (
        capsys.readouterr().err == f"netra-diag sla: error: {empty}: no cassettes (*.jsonl) found\n"
    )
    assert main(["sla", "check", "service", *healthy, "--baseline", str(empty)]) == ExitCode.USAGE
    assert f"{empty}: no cassettes (*.jsonl) found" in capsys.readouterr().err


@pytest.mark.parametrize("sla", ["service", "remediation"])
@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("memory_peek=229.5MB", "unknown name 'memory_peek' (did you mean 'memory_peak'?)"),
        ("memory_peak=abc", "expected a number with a unit"),
        ("memory_peak=3s", "memory_peak is a memory, e.g. 229.5MB; got '3s' (time)"),
        ("suite_duration=12MB", "suite_duration is a time"),
        ("suite_duration=-1s", "must not be negative"),
        ("suite_success=5/4", "expected successes/attempts such as 1/4"),
        ("suite_success=150%", "suite_success is a share"),
    ],
)
def test_context_names_and_values_are_checked_whatever_the_sla(
    healthy: list[str], capsys: pytest.CaptureFixture[str], sla: str, item: str, words: str
) -> None:
    # A misspelt name was ignored, and a bad value passed unless the SLA had a check on it.
    assert main(["sla", "check", sla, *healthy, "--context", item]) == ExitCode.USAGE
    assert f"netra-diag sla: error: --context {item!r}: {words}" in capsys.readouterr().err


def test_context_the_sla_does_not_use_is_reported(
    healthy: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["sla", "check", "service", *healthy, "--context", "memory_peak=229.5MB"]
    assert main(args) == ExitCode.OK
    assert "--context memory_peak: SLA 'service' has no check on memory_peak; ignored" in (
        capsys.readouterr().err
    )
    ctx = ["--context", "suite_success=1/4", "--context", "suite_duration=31.95s"]
    assert main(["sla", "check", "remediation", *healthy, *ctx, "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["warnings"] == [
        "--context suite_success: SLA 'remediation' has no check on suite_success; ignored"
    ]
