"""``netra-diag trace --raw-chars 0`` (and ``raw_chars=0`` for the figures), asked to keep no
frame text, kept every frame's text but its last character: the cut was ``text[:limit - 1]``,
``text[:-1]`` for a limit of 0. A limit of 0 now keeps none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from event_streams import golden_run, stream
from test_cli_trace import write_cassette

from netra_diag.charts.timeline import raw_hover, timeline_figure
from netra_diag.cli import main
from netra_diag.events.timeline import build_timeline
from netra_diag.events.trace import build_trace

SECRETIVE = "quarterly revenue of the Acme deal"


def _events() -> list:
    run = golden_run()
    run[1][1]["reasoning"] = SECRETIVE
    return list(stream(run))


def test_no_frame_text_in_a_trace_asked_for_none() -> None:
    doc = build_trace(build_timeline(_events()), raw_chars=0)
    text = json.dumps(doc)
    assert SECRETIVE not in text and "revenue" not in text
    frames = [ev for ev in doc["traceEvents"] if ev.get("cat") == "frame"]
    assert frames and all("raw" not in ev["args"] for ev in frames)


def test_a_small_limit_keeps_that_many_characters() -> None:
    doc = build_trace(build_timeline(_events()), raw_chars=5)
    raws = [ev["args"]["raw"] for ev in doc["traceEvents"] if ev.get("cat") == "frame"]
    assert raws and all(len(raw) <= 5 for raw in raws)


def test_no_frame_text_in_figure_hovers_asked_for_none() -> None:
    assert raw_hover(SECRETIVE, 0) == ""
    fig = timeline_figure(build_timeline(_events()), raw_chars=0)
    assert "revenue" not in fig.to_json()


def test_the_cli_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = golden_run()
    run[1][1]["reasoning"] = SECRETIVE
    cassette = write_cassette(tmp_path / "run.jsonl", run)
    out = tmp_path / "trace.json"
    assert main(["trace", str(cassette), "-o", str(out), "--raw-chars", "0"]) == 0
    capsys.readouterr()
    assert "revenue" not in out.read_text()
