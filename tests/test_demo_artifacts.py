"""The main job, end to end: ``netra-diag demo`` as a user runs it, and a scan of everything it
leaves behind (executed notebook, HTML, JSON summaries, cassettes, fault log, stdout, stderr) for
JWTs and the signing secret."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.redaction import JWT_PATTERN, fingerprint
from netra_diag.report.safety import is_token
from netra_diag.tokens import LOCAL_DEV_SECRET


def _run_demo(
    args: list[str], env: dict[str, str], tmp_path: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``netra-diag demo``; if it hangs, make it dump every thread's stack and fail with it."""
    out_path, err_path = tmp_path / "demo.stdout", tmp_path / "demo.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "netra_diag", "demo", *args],
            env={**env, "PYTHONFAULTHANDLER": "1"},
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGABRT)  # faulthandler prints the stacks
            child.wait()
            pytest.fail(
                f"demo hung:\n{out_path.read_text()[-2000:]}\n{err_path.read_text()[-6000:]}"
            )
    return subprocess.CompletedProcess(
        child.args, child.returncode, out_path.read_text(), err_path.read_text()
    )


def test_demo_runs_the_investigation_and_leaks_nothing(tmp_path: Path) -> None:
    secret = f"demo-signing-secret-{secrets.token_hex(16)}"
    env = dict(os.environ, JWT_SECRET_KEY=secret)
    out = tmp_path / "netra-report"
    started = time.monotonic()
    proc = _run_demo(["--out", str(out)], env, tmp_path, 300 * TIMEOUT_FACTOR)
    took = time.monotonic() - started
    print(f"\nnetra-diag demo took {took:.1f} s")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # What a reader sees: the turn, the fan-out, the headline (worst first), the report's place.
    stdout = proc.stdout
    for expected in (
        "== one agent turn",
        "auth: validated",
        "agent_completed",
        "== fan-out",
        "== headline (worst first)",
        "[FAIL]         contracts",
        "injected faults diagnosed",
        "report: ",
    ):
        assert expected in stdout, expected
    headline = stdout.split("== headline (worst first)\n")[1].splitlines()[0]
    assert headline.strip().startswith("8 of") or "broke the event contract" in headline
    assert "success" not in headline.lower()

    files = sorted(p for p in out.rglob("*") if p.is_file())
    suffixes = {p.suffix for p in files}
    assert {".ipynb", ".html", ".json", ".jsonl", ".ndjson"} <= suffixes, suffixes
    assert (out / ".gitignore").read_text() == "*\n"
    summary = json.loads((out / "investigation_report.json").read_text())
    assert summary["exit_class"] == "CONTRACT" and summary["status"] == "ok"
    for name in ("investigation_report.ipynb", "investigation_report.html"):
        assert (out / name).stat().st_size < 2 * 1024 * 1024, name

    texts = [
        (str(p.relative_to(out)), p.read_text(encoding="utf-8", errors="replace")) for p in files
    ]
    texts += [("stdout", proc.stdout), ("stderr", proc.stderr)]
    for name, text in texts:
        assert secret not in text, f"{name} holds the signing secret"
        assert LOCAL_DEV_SECRET not in text, f"{name} holds the local development secret"
        tokens = [m.group(0) for m in JWT_PATTERN.finditer(text) if is_token(m.group(0))]
        assert not tokens, f"{name} holds a token: {fingerprint(tokens[0]) if tokens else ''}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--faults", "bogus@0.5"], "--faults: unknown fault 'bogus'"),
        (["--faults", "drop_event@2"], "--faults: probability of drop_event"),
        (["--users", "0"], "--users must be at least 1, got 0"),
        (["--runs", "0"], "--runs must be at least 1, got 0"),
    ],
)
def test_demo_refuses_bad_arguments_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    from netra_diag.cli import main

    assert main(["demo", *argv, "--out", str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "netra-diag demo:" not in captured.out  # no banner: nothing ran
    assert not (tmp_path / "out").exists()


def test_demo_refuses_an_out_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netra_diag.cli import main

    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["demo", "--out", str(afile)]) == 2
    assert f"--out {afile} is not a directory" in capsys.readouterr().err


def test_demo_check_lines_line_up() -> None:
    from netra_diag.cli.demo import check_line
    from netra_diag.report import Check, CheckKind

    lines = [
        check_line(Check("contracts", CheckKind.CONTRACT, False, "x")),
        check_line(Check("sla", CheckKind.SLA, True, "y", verified=False)),
        check_line(Check("auth", CheckKind.AUTH, True, "z")),
        check_line(Check("stayed_connected", CheckKind.INFRASTRUCTURE, False, "w")),
    ]
    names = ["contracts", "sla", "auth", "stayed_connected"]
    assert len({line.index(name) for line, name in zip(lines, names, strict=True)}) == 1
    assert len({len(line) for line in lines}) == 1


def test_demo_diagnosis_names_what_was_missed() -> None:
    # "(9 MISSED; drop_event ×62, stall ×22)" listed what was injected, not what was missed.
    from collections import Counter

    from netra_diag.cli.demo import _diagnosis_line

    kinds = Counter({"drop_event": 62, "stall": 22})
    assert _diagnosis_line(84, 75, kinds, {"drop_event": 4, "stall": 5}) == (
        "diagnosis: 75 of 84 injected faults diagnosed (MISSED: stall ×5, drop_event ×4; "
        "injected: drop_event ×62, stall ×22)"
    )
    assert "(all diagnosed; injected: stall ×2)" in _diagnosis_line(2, 2, Counter(stall=2), {})
