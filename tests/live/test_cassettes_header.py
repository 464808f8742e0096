"""A cassette whose header or lines have a missing or wrong field is told as such: the field, the
value, the line, and "unreadable header" rather than "no header" when line 1 is a header."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.errors import RecordingError
from netra_diag.live import Session
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture
async def lines(tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "run.jsonl"
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile(time_scale=0))
    async with run_service(config) as svc:
        session = await Session.connect(svc.ws_url("/ws"), token=token, record=path)
        async with session:
            assert (await session.run("hello", timeout=30 * TIMEOUT_FACTOR)).ok
    return [json.loads(x) for x in path.read_text().splitlines()]


def write(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


@pytest.mark.parametrize(
    ("version", "said"),
    [
        (None, "field 'version' is missing"),
        ("1", "field 'version' must be an integer, got '1'"),
        (1.5, "field 'version' must be an integer, got 1.5"),
    ],
)
def test_a_header_without_a_usable_version_is_an_unreadable_header(
    lines: list[dict[str, object]], tmp_path: Path, version: object, said: str
) -> None:
    if version is None:
        del lines[0]["version"]
    else:
        lines[0]["version"] = version
    path = write(tmp_path / "odd.jsonl", lines)
    with pytest.raises(RecordingError) as caught:
        load_cassette(path)
    assert str(caught.value) == (
        f"{path}:1: not a cassette: unreadable header on line 1 (line 1: header: {said})"
    )


def test_version_0_and_a_frame_without_its_time_are_warnings_with_their_line(
    lines: list[dict[str, object]], tmp_path: Path
) -> None:
    lines[0]["version"] = 0
    frame = next(i for i, x in enumerate(lines) if x["kind"] == "frame")
    del lines[frame]["t_ns"]
    cassette = load_cassette(write(tmp_path / "odd.jsonl", lines))
    assert [str(w) for w in cassette.warnings] == [
        "line 1: header: version 0 is no version of the format (the first is 1); read as version 1",
        f"line {frame + 1}: field 't_ns' is missing",
    ]
    assert len(cassette.records) == len(lines) - 2
