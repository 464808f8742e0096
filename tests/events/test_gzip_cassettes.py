"""Cassettes kept gzip-compressed (``run.jsonl.gz``) are read as they are, named or found in a
folder; one cut short keeps the lines before the cut and says so. Before, ``trace`` and ``sla``
called such a file "not UTF-8". And a cassette named twice (a folder and one of its files) is
loaded once."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_diag.cli import main
from netra_diag.recording import load_cassette, load_frames
from netra_diag.recording_gzip import gunzip_kept


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gz")
    plain = folder / "run.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(plain), "--time-scale", "0.1"]) == 0
    return plain


def _first_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()
    main(argv)
    return capsys.readouterr().out.splitlines()[0]


def test_a_compressed_cassette_reads_as_the_plain_one(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = tmp_path / "run.jsonl.gz"
    packed.write_bytes(gzip.compress(recorded.read_bytes()))
    plain = load_cassette(recorded)
    unpacked = load_cassette(packed)
    assert unpacked.records == plain.records and not unpacked.warnings
    out = tmp_path / "t.json"
    assert _first_line(capsys, ["trace", str(packed), "-o", str(out)]) == _first_line(
        capsys, ["trace", str(recorded), "-o", str(out)]
    ).replace(str(recorded), str(packed))
    # a folder of compressed cassettes is searched too
    assert len(load_frames(tmp_path).events) == len(load_frames(recorded).events) > 0


def test_a_compressed_cassette_cut_short_keeps_what_came_before(
    recorded: Path, tmp_path: Path
) -> None:
    data = gzip.compress(recorded.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    whole = load_cassette(recorded)
    kept = load_cassette(cut)
    assert 0 < len(kept.records) < len(whole.records)
    assert kept.records == whole.records[: len(kept.records)]
    assert any("the gzip data ends early" in str(w) for w in kept.warnings)


def test_damaged_gzip_data_is_said_with_what_was_read(recorded: Path, tmp_path: Path) -> None:
    data = bytearray(gzip.compress(recorded.read_bytes()))
    data[len(data) // 2 :] = b"\xff" * (len(data) - len(data) // 2)
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(bytes(data))
    kept = load_cassette(bad)
    assert kept.header is not None
    # (zlib may take the garbage for more deflate data, then miss the end)
    assert any(
        "the gzip data is damaged" in str(w) or "the gzip data ends early" in str(w)
        for w in kept.warnings
    )


@given(st.binary(max_size=4000), st.integers(min_value=0))
@settings(max_examples=200, deadline=None)
def test_unpacking_a_cut_stream_keeps_a_prefix(body: bytes, cut: int) -> None:
    packed = gzip.compress(body)
    at = 2 + cut % (len(packed) - 1)  # (the caller unpacks only what starts with the magic)
    out, problem = gunzip_kept(packed[:at])
    assert body.startswith(out)
    assert (problem == "") == (at == len(packed))


@given(st.binary(max_size=2000), st.integers(min_value=0), st.binary(min_size=1, max_size=40))
@settings(max_examples=200, deadline=None)
def test_unpacking_damaged_data_never_raises(body: bytes, cut: int, garbage: bytes) -> None:
    packed = gzip.compress(body)
    at = 2 + cut % (len(packed) - 1)
    out, problem = gunzip_kept(packed[:at] + garbage + packed[at:])
    assert isinstance(out, bytes) and isinstance(problem, str)


def test_a_cassette_named_twice_is_loaded_once(recorded: Path) -> None:
    said: list[str] = []
    once = load_frames(recorded)
    twice = load_frames([recorded.parent, recorded], on_warning=said.append)
    assert len(twice.frames) == len(once.frames) > 0
    assert twice.runs.equals(once.runs)
    assert said == [f"{recorded}: named more than once: read once"]
