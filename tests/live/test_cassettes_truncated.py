"""A real cassette cut at any byte (a killed writer) or garbled in the middle: every reader keeps
what was recorded before the fault, names the line, and says a cut last line was cut, so that
"run never completed" is read as "the recording stopped here"."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.cli import main
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.errors import RecordingError
from netra_diag.events.sources import load_cassette_stream
from netra_diag.live import Session
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture
async def recorded(tmp_path: Path) -> Path:
    path = tmp_path / "run.jsonl"
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile(time_scale=0))
    async with run_service(config) as svc:
        session = await Session.connect(svc.ws_url("/ws"), token=token, record=path)
        async with session:
            assert (await session.run("hello", timeout=30 * TIMEOUT_FACTOR)).ok
    return path


def test_a_cut_at_any_byte_keeps_every_line_before_it(recorded: Path, tmp_path: Path) -> None:
    raw = recorded.read_bytes()
    full = load_cassette(recorded).records
    header_end = raw.index(b"\n")
    offsets = random.Random(7).sample(range(header_end + 1, len(raw)), 40)
    for offset in offsets:
        cut = tmp_path / "cut.jsonl"
        cut.write_bytes(raw[:offset])
        whole_lines = raw[:offset].count(b"\n")  # the header and every line before the cut
        cassette = load_cassette(cut)
        assert cassette.records == full[: len(cassette.records)], offset
        mid_line = not raw[:offset].endswith(b"\n")
        kept = whole_lines - 1 + (1 if mid_line and not cassette.warnings else 0)
        assert len(cassette.records) == kept, offset
        stream = load_cassette_stream(cut)  # what trace and sla check read
        if cassette.warnings:
            (warning,) = cassette.warnings
            assert warning.lineno == whole_lines + 1, offset
            assert str(warning).startswith(f"line {whole_lines + 1}: truncated last line"), offset
            assert stream.warnings == (f"{cut}: {warning}",), offset
        else:
            assert not stream.warnings, offset


def test_a_cut_inside_the_header_names_the_file_and_says_it_was_cut(
    recorded: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(recorded.read_bytes()[:50])
    with pytest.raises(RecordingError) as caught:
        load_cassette_stream(cut)
    assert str(caught.value).startswith(f"{cut}:1: not a cassette: no header on line 1 (line 1: ")
    assert "truncated last line" in str(caught.value)


def test_trace_says_the_recording_was_cut_and_a_garbled_line_is_not_a_cut(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = recorded.read_bytes().split(b"\n")
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"\n".join(lines[:12]) + b"\n" + lines[12][:40])
    assert main(["trace", str(cut), "-o", str(tmp_path / "t.json")]) == 0
    out = capsys.readouterr().out
    assert f"note: {cut}: line 13: truncated last line skipped (writer killed?): " in out, out

    garbled = tmp_path / "garbled.jsonl"
    lines[5] = lines[5][:40]  # garbled in the middle of the file: not the last line
    garbled.write_bytes(b"\n".join(lines))
    cassette = load_cassette(garbled)
    assert [str(w).split(":")[0] for w in cassette.warnings] == ["line 6"]
    assert "truncated last line" not in str(cassette.warnings[0])
    assert len(cassette.records) == len(load_cassette(recorded).records) - 1


def test_replay_refuses_a_cassette_with_nothing_after_its_header(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header_only = tmp_path / "header.jsonl"
    header_only.write_bytes(recorded.read_bytes().split(b"\n")[0] + b"\n")
    assert main(["replay", str(header_only), "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        f"netra-diag replay: error: {header_only}: nothing to replay: only a header (line 1), "
        "no frame or mark after it; the recording stopped before the session connected\n"
    )


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_replay_names_a_port_out_of_range(
    recorded: Path, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    assert main(["replay", str(recorded), "--port", port]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"netra-diag replay: error: --port must be 0 (any free port) to 65535, got {port}\n"
    )


def test_replay_of_a_folder_names_a_cassette_in_it(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(recorded.parent), "--port", "0"]) == 2
    assert capsys.readouterr().err == (
        f"netra-diag replay: error: {recorded.parent}: is a folder; replay serves one cassette "
        f"(e.g. {recorded}, of 1)\n"
    )
