"""Cassette files created ahead of time: hidden until a recorder takes one over, then a normal
cassette; released or failed reservations leave nothing a loader would read."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from netra_diag.errors import RecordingError
from netra_diag.recording import (
    Recorder,
    ReservedCassette,
    load_cassette,
    load_frames,
    reserve_cassettes,
)
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def hidden_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*.reserved"))


def recorder(
    target: Path | ReservedCassette, *, overwrite: bool = True, hold: bool = False
) -> Recorder:
    token = mint_token("user-res-1", key=LOCAL_DEV_SECRET, now=time.time())
    return Recorder(
        target,
        endpoint="ws://127.0.0.1:1/ws",
        token=token,
        user="user-res-1",
        started_wall=time.time(),
        overwrite=overwrite,
        hold=hold,
    )


def test_reserved_files_are_hidden_until_taken(tmp_path: Path) -> None:
    paths = [tmp_path / f"{i:05d}-user.jsonl" for i in range(3)]
    reserved = reserve_cassettes(paths)
    assert [r.path for r in reserved] == paths
    assert len(hidden_files(tmp_path)) == 3 and not list(tmp_path.glob("*.jsonl"))
    # a directory holding only reservations (a fan-out killed before its ramp) loads as empty
    assert len(load_frames(tmp_path).frames) == 0

    with recorder(reserved[0]) as rec:
        assert rec.path == paths[0] and reserved[0].taken
        rec.mark("connect_start", t_ns=5, wall=1.0, data={"transport": "header"})
        # the real name exists only with its header in it
        assert load_cassette(paths[0]).header.user == "user-res-1"
    assert hidden_files(tmp_path) == [r.hidden for r in reserved[1:]]
    cas = load_cassette(paths[0])
    assert [m.name for m in cas.marks] == ["connect_start"] and cas.warnings == ()

    for item in reserved:
        item.release()
        item.release()  # idempotent; a no-op for the taken one
    assert hidden_files(tmp_path) == [] and [p.name for p in tmp_path.iterdir()] == [paths[0].name]
    with pytest.raises(RecordingError, match="already taken"):
        reserved[1].take(overwrite=True)


def test_taking_over_replaces_or_refuses_an_existing_cassette(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("old\n")
    (first,) = reserve_cassettes([path])
    recorder(first).close()
    assert load_cassette(path).warnings == ()  # replaced, as overwrite=True truncates

    (second,) = reserve_cassettes([path])
    with pytest.raises(RecordingError, match="cannot open for writing"):
        recorder(second, overwrite=False)
    assert hidden_files(tmp_path) == []
    assert load_cassette(path).header.user == "user-res-1"  # the existing one is untouched


def test_a_failed_reservation_leaves_nothing(tmp_path: Path) -> None:
    good = tmp_path / "a.jsonl"
    missing = tmp_path / "no-such-dir" / "b.jsonl"
    with pytest.raises(RecordingError, match="cannot create") as info:
        reserve_cassettes([good, missing])
    assert "no-such-dir" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_held_reservation_appears_with_its_header_and_held_lines(tmp_path: Path) -> None:
    path = tmp_path / "held.jsonl"
    (item,) = reserve_cassettes([path])
    rec = recorder(item, hold=True)
    rec.mark("connect_start", t_ns=1, wall=1.0)
    rec.frame("in", '{"type": "connection_established"}', t_ns=2, wall=1.0)
    # nothing visible yet: the header waits for the handshake's lines
    assert not path.exists() and hidden_files(tmp_path) == [item.hidden]
    assert item.hidden.stat().st_size == 0 and rec.lines_written == 0
    with rec.holding():  # the first block ends the initial hold
        rec.mark("upgrade_done", t_ns=3, wall=1.0)
        assert not path.exists()
    assert hidden_files(tmp_path) == [] and rec.lines_written == 4
    cas = load_cassette(path)
    assert cas.header.user == "user-res-1" and cas.warnings == ()
    assert [getattr(r, "name", None) or getattr(r, "type", None) for r in cas.records] == [
        "connect_start",
        "connection_established",
        "upgrade_done",
    ]
    rec.mark("run_start", t_ns=4, wall=1.0)  # written at once from now on
    assert len(load_cassette(path).records) == 4
    with rec.holding():  # an ordinary block afterwards
        rec.mark("run_end", t_ns=5, wall=1.0)
        assert len(load_cassette(path).records) == 4
    rec.close()
    assert len(load_cassette(path).records) == 5


def test_a_held_reservation_closed_without_a_block_is_published(tmp_path: Path) -> None:
    path = tmp_path / "closed.jsonl"
    (item,) = reserve_cassettes([path])
    rec = recorder(item, hold=True)
    rec.mark("error", t_ns=1, wall=1.0, data={"message": "refused"})
    rec.close()
    assert [m.name for m in load_cassette(path).marks] == ["error"]
    assert hidden_files(tmp_path) == []


def test_a_held_reservation_that_cannot_take_its_name_fails_at_the_write(tmp_path: Path) -> None:
    path = tmp_path / "taken.jsonl"
    path.write_text("someone else's\n")
    (item,) = reserve_cassettes([path])
    rec = recorder(item, hold=True, overwrite=False)
    rec.mark("connect_start", t_ns=1, wall=1.0)
    with pytest.raises(RecordingError, match="cannot open for writing"), rec.holding():
        pass
    assert path.read_text() == "someone else's\n"  # untouched
    assert hidden_files(tmp_path) == [] and rec.closed
    rec.mark("close", t_ns=2, wall=1.0)  # a no-op, as after close()
    rec.close()


def test_a_held_recorder_on_a_plain_path_writes_its_header_at_once(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    rec = recorder(path, hold=True)
    rec.mark("connect_start", t_ns=1, wall=1.0)
    assert load_cassette(path).records == ()  # the header is there, the mark held
    with rec.holding():
        pass
    assert [m.name for m in load_cassette(path).marks] == ["connect_start"]
    rec.close()
