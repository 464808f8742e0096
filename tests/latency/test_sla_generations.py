"""sla check warns when recordings of different service generations (only the newest sends a
handshake, PROTOCOL.md §5) are checked together, or compared as baseline and current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from latency_kit import CassetteBuilder

from netra_diag.cli import main


def _cassette(path: Path, *, newest: bool) -> str:
    b = CassetteBuilder(user=path.stem)
    t = b.connect(0.0, 10.0, 5.0)
    if newest:
        b.frame("in", t + 1, {"type": "handshake_response", "thread_id": "t", "run_id": "r"})
        b.frame("in", t + 3, {"type": "handshake_complete"})
    b.run(t + 50, [10.0] * 5, run_id=f"{path.stem}-r0")
    return str(b.write(path))


def _warnings(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    main(["sla", "check", "service", *argv, "--json"])
    warnings: list[str] = json.loads(capsys.readouterr().out)["warnings"]
    return warnings


def test_mixed_generations_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = [_cassette(tmp_path / f"old{i}.jsonl", newest=False) for i in range(2)]
    new = [_cassette(tmp_path / f"new{i}.jsonl", newest=True) for i in range(1)]
    warnings = _warnings(capsys, *old, *new)
    assert any(
        w.startswith("1 of 3 cassettes come from the newest service generation") for w in warnings
    )
    across = _warnings(capsys, *new, "--baseline", *old)
    assert any("come from different service generations" in w for w in across)
    assert not _warnings(capsys, *old)
