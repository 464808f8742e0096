"""``netra-diag trace`` on the cassettes of a fan-out with the ``leak_other_user`` fault:
a cassette that received another user's events fails for cross-user contamination, said first,
and not for that other user's run "never completing" in this cassette (its owner got it whole);
the owner's cassette passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.events.contracts import check_run
from netra_diag.events.sources import load_cassette_stream


def test_trace_of_a_leak_names_contamination_not_the_owners_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "fan"
    argv = ["fanout", "--users", "4", "--runs", "2", "--time-scale", "0.002", "--no-progress"]
    assert main([*argv, "--faults", "leak_other_user@0.5", "--record", str(rec)]) == 3
    capsys.readouterr()
    contaminated = 0
    for path in sorted(rec.glob("*.jsonl")):
        stream = load_cassette_stream(path)
        report = check_run(stream.events, context=stream.context())
        rules = {str(f.rule) for f in report.errors}
        assert rules <= {"foreign_event"}, (path.name, report.verdict, rules)
        if rules:
            contaminated += 1
            assert "cross-user contamination" in report.verdict, report.verdict
            # Its runs are its own: the leaked run is not counted among them.
            user = stream.user or ""
            assert all(user in str(key) for key in report.runs), report.runs
    assert contaminated
    code = main(["trace", str(rec), "-o", str(tmp_path / "t.json"), "--strict"])
    out = capsys.readouterr().out
    assert "never completed" not in out, out
    assert code == ExitCode.CONTRACT
