"""``netra-diag trace`` of a session recorded with ``--transport auto`` that got in only on its
third transport: the refused attempts before the kept one (transport, close code or HTTP status,
time spent) are listed in the text and drawn in the exported trace, against the emulator on a
loopback port."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.trace_attempts import attempt_lines, attempts_of
from netra_diag.emulator import ThreadedService
from netra_diag.events.timeline import Mark


@pytest.fixture(scope="module")
def query_only() -> Iterator[ThreadedService]:
    with emulator(transports={"query"}) as svc:
        yield svc


def _trace(
    capsys: pytest.CaptureFixture[str], url: str, tmp_path: Path
) -> tuple[str, list[dict[str, Any]]]:
    cassette = tmp_path / "auto.jsonl"
    assert main(["probe", url, "--sub", "u1", "--record", str(cassette), "--json"]) == 0
    capsys.readouterr()
    out_file = tmp_path / "trace.json"
    assert main(["trace", str(cassette), "-o", str(out_file)]) == ExitCode.OK
    events: list[dict[str, Any]] = json.loads(out_file.read_text())["traceEvents"]
    return capsys.readouterr().out, events


REFUSED_THEN_KEPT = [
    ("connect (refused)", "connect (refused): header closed 1008, after HTTP 101"),
    ("connect (refused)", "connect (refused): subprotocol closed 1008, after HTTP 101"),
    ("connect", "connect (HTTP 101)"),
]


def _connect_slices(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e.get("cat") == "connect" and e.get("ph") == "X"]


def _attempt_slices(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [e for e in events if e.get("cat") == "transport_attempt"]
    return sorted(found, key=lambda e: e["ts"])


def test_trace_lists_the_refused_attempts_before_the_kept_transport(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, events = _trace(capsys, query_only.url, tmp_path)
    assert "in on query, the third transport tried, after 2 refusals" in out, out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if re.match(r"\s+header\s", line))
    assert re.search(r"header\s+\d+\.\d ms\s+refused: closed 1008", lines[header]), out
    assert re.search(r"subprotocol\s+\d+\.\d ms\s+refused: closed 1008", lines[header + 1]), out
    assert re.search(r"query\s+\d+\.\d ms\s+kept: validated", lines[header + 2]), out

    slices = _attempt_slices(events)
    assert [s["name"] for s in slices] == [
        "refused header (closed 1008)",
        "refused subprotocol (closed 1008)",
        "kept query (validated)",
    ]
    assert all(s["dur"] > 0 and s["args"]["duration_ms"] > 0 for s in slices), slices
    # The upgrades the refused attempts got (101, then close 1008) no longer read as connects.
    connects = sorted(_connect_slices(events), key=lambda e: e["ts"])
    assert [(e["name"], e["args"]["label"]) for e in connects] == REFUSED_THEN_KEPT
    assert slices[0]["ts"] == connects[0]["ts"]


def test_trace_and_its_html_timeline_label_the_refused_attempts_alike(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "auto.jsonl"
    assert main(["probe", query_only.url, "--sub", "u1", "--record", str(cassette)]) == 0
    capsys.readouterr()
    out_file, page = tmp_path / "trace.json", tmp_path / "timeline.html"
    argv = ["trace", str(cassette), "-o", str(out_file), "--html", str(page)]
    assert main(argv) == ExitCode.OK
    events = json.loads(out_file.read_text())["traceEvents"]
    connects = sorted(_connect_slices(events), key=lambda e: e["ts"])
    assert [(e["name"], e["args"]["label"]) for e in connects] == REFUSED_THEN_KEPT
    html = page.read_text()
    for _, label in REFUSED_THEN_KEPT:
        assert label in html, label
    # The kept attempt's label and no other: the refused upgrades are not drawn as connects.
    assert html.count("connect (HTTP 101)") == 1
    assert re.search(r'"name":\s*"connect \(refused\)"', html)  # its own legend entry


def test_trace_lists_http_403_refusals(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = query_only.url.rsplit("/ws", 1)[0] + "/ws/factory"
    out, events = _trace(capsys, factory, tmp_path)
    assert re.search(r"header\s+\d+\.\d ms\s+refused: rejected HTTP 403", out), out
    names = [s["name"] for s in _attempt_slices(events)]
    assert names[:2] == [
        "refused header (rejected HTTP 403)",
        "refused subprotocol (rejected HTTP 403)",
    ]
    # Refused before any upgrade, they are on the session track too, not only among attempts.
    refused = [e["args"]["label"] for e in _connect_slices(events) if e["name"] != "connect"]
    assert refused == [
        "connect (refused): header rejected HTTP 403",
        "connect (refused): subprotocol rejected HTTP 403",
    ]


def test_trace_of_a_single_transport_lists_no_attempts(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "query.jsonl"
    argv = ["probe", query_only.url, "--sub", "u1", "--transport", "query"]
    assert main([*argv, "--record", str(cassette)]) == 0
    capsys.readouterr()
    assert main(["trace", str(cassette), "-o", str(tmp_path / "t.json")]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "transport tried" not in out and "refused" not in out, out
    events = json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert not _attempt_slices(events)


def test_a_reconnect_with_fallbacks_is_named_as_such() -> None:
    # The first opening got in on its only transport (nothing to list); the reconnect needed
    # a second one.
    marks = [
        Mark("connect_start", 0.0, {"transport": "query", "attempt": 1}),
        Mark("transport_attempt", 0.01, {"transport": "query", "outcome": "validated"}),
        Mark("reconnect_attempt", 1.0, {"attempt": 1}),
        Mark("connect_start", 1.1, {"transport": "header", "attempt": 1}),
        Mark(
            "transport_attempt",
            1.2,
            {"transport": "header", "outcome": "closed", "close_code": 1008, "duration_s": 0.1},
        ),
        Mark("connect_start", 1.2, {"transport": "query", "attempt": 2}),
        Mark("transport_attempt", 1.3, {"transport": "query", "outcome": "validated"}),
    ]
    lines = attempt_lines(attempts_of(marks))
    assert lines[0] == "  reconnect 1: in on query, the second transport tried, after 1 refusal"
    assert re.search(r"header\s+100\.0 ms\s+refused: closed 1008$", lines[1]), lines
    assert not any(line.startswith("  connect:") for line in lines), lines
