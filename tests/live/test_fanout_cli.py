"""``netra-diag fanout`` and ``netra-diag replay`` end to end: summaries, JSON, exit codes."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.fanout import parse_ramp
from netra_diag.recording import Recorder

FAST = ["--time-scale", "0.002", "--no-progress"]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_embedded_fanout_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
        [
            "fanout",
            "--users",
            "12",
            "--runs",
            "2",
            "--ramp",
            "400/s",
            "--record",
            str(tmp_path),
            *FAST,
        ],
        capsys,
    )
    assert code == ExitCode.OK, out
    assert "embedded service at ws://127.0.0.1:" in out
    assert "runs completed:     24/24" in out
    assert "0 of 144 expected critical events lost" in out
    assert "errors by class:    none" in out
    assert "isolation: isolated" in out
    assert "exit code 0 (ok)" in out
    assert len(list(tmp_path.glob("*.jsonl"))) == 12
    assert "eyJ" not in out


def test_embedded_fanout_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["fanout", "--users", "5", "--json", *FAST], capsys)
    data = json.loads(out)
    assert code == ExitCode.OK == data["exit_code"]
    assert data["runs_completed"] == data["runs_total"] == 5
    assert data["events_lost"] == 0 and data["expected_known"] is True
    assert data["isolation"]["verdict"] == "isolated"
    assert data["peak_concurrent_sessions"] == 5


@pytest.mark.parametrize(
    ("extra", "code", "text"),
    [
        (["--auth", "demo"], ExitCode.CONTRACT, "cannot judge"),
        (["--faults", "leak_other_user", "--timeout", "1.5"], ExitCode.CONTRACT, "contaminated"),
        (["--faults", "drop_event", "--timeout", "1.0"], ExitCode.TIMEOUT, "timeout"),
    ],
)
def test_embedded_fanout_failures(
    extra: list[str], code: ExitCode, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, out, _ = run_cli(["fanout", "--users", "4", "--runs", "2", *FAST, *extra], capsys)
    assert got == code, out
    assert text in out


def test_unreachable_url_is_a_connection_failure(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, _ = run_cli(
        ["fanout", f"ws://127.0.0.1:{port}/ws", "--users", "3", "--json", "--no-progress"],
        capsys,
    )
    data = json.loads(out)
    assert code == ExitCode.CONNECTION == data["exit_code"]
    assert data["errors"] == {"ConnectFailed": 3}


def test_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fanout", "--ramp", "fast"])
    assert exc.value.code == 2
    assert "bad ramp 'fast'" in capsys.readouterr().err
    for negative in ("-5/s", "-5", "-0.5/sec"):  # a value, not an unknown option
        with pytest.raises(SystemExit) as exc:
            main(["fanout", "--ramp", negative])
        assert exc.value.code == 2
        assert f"bad ramp '{negative}': expected a positive rate" in capsys.readouterr().err
    code, _, err = run_cli(["fanout", "--faults", "no_such_fault", *FAST], capsys)
    assert code == ExitCode.USAGE and "unknown fault" in err


def test_parse_ramp() -> None:
    assert parse_ramp("50/s") == 50.0
    assert parse_ramp("2.5/sec") == 2.5
    assert parse_ramp(" 10 ") == 10.0
    for bad in ("0/s", "-3", "x/s", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_ramp(bad)


def write_cassette(path: Path) -> None:
    with Recorder(path, endpoint="ws://127.0.0.1:1/ws", started_wall=time.time()) as rec:
        rec.mark("upgrade_done", t_ns=1_000_000, wall=None, data={"subprotocol": None})
        rec.frame("in", '{"type": "connection_established"}', t_ns=2_000_000, wall=None)
        rec.frame("out", '{"type": "user_message"}', t_ns=5_000_000, wall=None)
        for i, etype in enumerate(("agent_started", "agent_thinking", "agent_completed")):
            rec.frame("in", json.dumps({"type": etype}), t_ns=(10 + 5 * i) * 1_000_000, wall=None)
        rec.mark("close", t_ns=40_000_000, wall=None, data={"code": 1000, "reason": "bye"})


def test_replay_cli_serves_one_replay(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    write_cassette(cassette)
    proc = subprocess.Popen(
        [sys.executable, "-m", "netra_diag", "replay", str(cassette), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("ws://"):
            line = proc.stdout.readline()
            assert line, f"replay exited early: {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line.strip())
        assert "4 frames, 1 client message" in lines[0]

        async def client() -> list[str]:
            async with connect(lines[-1]) as ws:
                await ws.send('{"type": "user_message", "payload": {"content": "hi"}}')
                return [json.loads(m)["type"] async for m in ws]

        types = asyncio.run(client())
        out, err = proc.communicate(timeout=10 * TIMEOUT_FACTOR)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert types == ["connection_established", "agent_started", "agent_thinking", "agent_completed"]
    assert proc.returncode == 0, err
    assert "replay 1 (recorded connection 1/1): 4 frames sent, 1 client message, closed 1000" in out


def test_replay_cli_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["replay", str(tmp_path / "missing.jsonl"), "--port", "0"], capsys)
    assert code == ExitCode.USAGE and "cannot read" in err


def test_embedded_options_need_no_url(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        ["fanout", "ws://127.0.0.1:1/ws", "--auth", "demo", "--no-progress"], capsys
    )
    assert code == ExitCode.USAGE and "applies only to the embedded service" in err


def test_replay_cli_loop_stops_on_interrupt(tmp_path: Path) -> None:
    import signal

    cassette = tmp_path / "run.jsonl"
    write_cassette(cassette)
    proc = subprocess.Popen(
        [sys.executable, "-m", "netra_diag", "replay", str(cassette), "--port", "0", "--loop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = "-"
        while line and not line.startswith("ws://"):
            line = proc.stdout.readline()
        assert line, "replay exited before printing its URL"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10 * TIMEOUT_FACTOR)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err


def test_refused_credentials_are_an_auth_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """The server's 1008 is reported as an authentication failure (exit 3), not hidden behind
    'SessionClosed ×3' and a connection failure (exit 5)."""
    code, out, _ = run_cli(["fanout", "--users", "3", "--faults", "reject_auth", *FAST], capsys)
    assert code == ExitCode.CONTRACT, out
    assert "auth failed:        3 of 3 users" in out
    assert "closed 1008 'Authentication failed' ×3" in out
    assert "AUTH_FAILED" in out  # the server's own message, from its error frame
    code, out, _ = run_cli(
        ["fanout", "--users", "2", "--faults", "reject_auth", "--json", *FAST], capsys
    )
    data = json.loads(out)
    assert code == ExitCode.CONTRACT == data["exit_code"]
    assert data["auth_failures"]["users"] == 2
    assert data["auth_failures"]["reasons"] == {"closed 1008 'Authentication failed'": 2}
    assert "AUTH_FAILED" in data["auth_failures"]["example"]


def test_wrong_secret_against_a_strict_service(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from netra_diag.emulator import EmulatorConfig, start_in_thread

    monkeypatch.setenv("FANOUT_WRONG_SECRET", "WrongSecretValue-0123456789abcdefXYZ")
    config = EmulatorConfig(profile="staging", secret="RightSecretValue-0123456789abcdefXYZ")
    with start_in_thread(config) as svc:
        code, out, _ = run_cli(
            [
                "fanout",
                svc.url,
                "--users",
                "3",
                "--profile",
                "staging",
                "--secret-env",
                "FANOUT_WRONG_SECRET",
                "--no-progress",
            ],
            capsys,
        )
    assert code == ExitCode.CONTRACT, out
    assert "auth failed:        3 of 3 users" in out and "1008" in out
    assert "WrongSecretValue" not in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--timeout", "0"], "--timeout must be a positive number of seconds, got 0"),
        (["--timeout=-1"], "--timeout must be a positive number of seconds, got -1"),
        (["http://127.0.0.1:1/ws"], "must start with ws:// or wss://, got http://"),
        (["ws://127.0.0.1:1/ws", "--auth", "strict"], "--auth applies only to the embedded"),
        (["ws://127.0.0.1:1/ws", "--time-scale", "1"], "--time-scale applies only"),
    ],
)
def test_usage_errors_before_anything_starts(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found up front (exit 2, one message), not once per user after connecting."""
    code, out, err = run_cli(["fanout", "--users", "3", "--no-progress", *argv], capsys)
    assert code == ExitCode.USAGE
    assert out == ""  # no banner, no summary claiming anything
    assert needle in err and "UsageError" not in err


def test_record_into_a_folder_with_cassettes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An earlier run's cassettes are never mixed with a new run's: refused (exit 2, saying how
    many there are) unless --overwrite, which removes them first."""
    for i in range(5):
        (tmp_path / f"old-{i}.jsonl").write_text("{}\n")
    (tmp_path / "notes.txt").write_text("kept")
    # a reservation a killed run left behind goes with --overwrite too
    (tmp_path / ".00007-fanout-user-0007.jsonl.reserved").write_text("")
    argv = ["fanout", "--users", "2", "--record", str(tmp_path), *FAST]
    code, out, err = run_cli(argv, capsys)
    assert code == ExitCode.USAGE and out == ""
    assert "already holds 5 cassettes" in err and "--overwrite" in err
    assert len(list(tmp_path.glob("*.jsonl"))) == 5
    code, out, _ = run_cli([*argv, "--overwrite"], capsys)
    assert code == ExitCode.OK, out
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == [
        "00000-fanout-user-0000.jsonl",
        "00001-fanout-user-0001.jsonl",
    ]
    assert (tmp_path / "notes.txt").read_text() == "kept"
    assert not list(tmp_path.glob(".*.reserved"))


def test_record_folder_problems_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, out, err = run_cli(["fanout", "--users", "2", "--record", str(afile), *FAST], capsys)
    assert code == ExitCode.USAGE and out == "" and "is a file, not a folder" in err
    code, _, err = run_cli(["fanout", "--users", "2", "--overwrite", *FAST], capsys)
    assert code == ExitCode.USAGE and "--overwrite applies to --record" in err
