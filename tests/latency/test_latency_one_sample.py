"""Percentiles of one sample, or of fewer samples than their tail needs, as ``sla check`` shows
them on a single probe's recording: honest words, not "p50 of 1 samples is the maximum", and
not "is the maximum" beside a max that is larger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.cli import main

SLA = """\
[[check]]
id = "first-p50"
phase = "first_event"
statistic = "p50"
comparison = "<"
threshold = "45 s"

[[check]]
id = "gap-p95"
phase = "event_gap"
statistic = "p95"
comparison = "<"
threshold = "30 s"

[[check]]
id = "gap-max"
phase = "event_gap"
statistic = "max"
comparison = "<"
threshold = "30 s"
"""


def test_one_probe_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = tmp_path / "probe.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(cassette), "--time-scale", "0.1"]) == 0
    sla = tmp_path / "sla.toml"
    sla.write_text(SLA, encoding="utf-8")
    capsys.readouterr()
    assert main(["sla", "check", str(sla), str(cassette), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    checks = {c["id"]: c for c in doc["checks"]}
    assert "passed on too few samples to mean much" in doc["headline"]
    one = checks["first-p50"]
    assert one["n"] == 1 and not one["reliable"]
    assert one["note"].startswith("p50 of 1 sample is that one sample: at least 20 samples")
    p95, top = checks["gap-p95"], checks["gap-max"]
    assert 2 <= p95["n"] < 20
    # interpolated between the two largest gaps: below the max, so not called "the maximum"
    assert p95["observed"] < top["observed"]
    assert p95["note"].startswith(f"p95 of {p95['n']} samples is about the maximum: ")
