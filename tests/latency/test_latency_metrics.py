"""phase_metrics on hand-written cassettes (docs/cassette-format.md) and on live run records."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from latency_kit import CassetteBuilder, healthy_session

from netra_diag.errors import LatencyDataError
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.latency import METRIC_COLUMNS, frames_from_run, metrics_from_runs, phase_metrics
from netra_diag.recording import load_frames


def values(m: pd.DataFrame, phase: str, source: str = "client") -> list[float]:
    rows = m[(m["phase"] == phase) & (m["source"] == source) & m["ok"]]
    return [round(v, 6) for v in rows["value_ms"]]


def test_every_phase_from_one_session(tmp_path: Path) -> None:
    b = CassetteBuilder(user="u1", labels={"nodeid": "t::a"})
    b.connect(0.0, 12.0, 8.0)
    b.frame("out", 100, {"type": "ping"})
    b.frame("in", 103, {"type": "pong"})
    last = b.run(200, [40, 20, 840, 40], run_id="r1", first_ms=60, lag_ms=4)
    assert last == 1200
    b.mark("close", 1500, code=1006)
    b.mark("reconnect_attempt", 1501, attempt=1, delay_s=1.0)
    b.connect(2500, 10.0, 10.0)
    b.mark("ping_rtt", 2600, rtt_ms=3.25)
    frames = load_frames([b.write(tmp_path / "a.jsonl")]).frames
    m = phase_metrics(frames)

    assert list(m.columns) == [*METRIC_COLUMNS, "label_nodeid"]
    assert values(m, "connect") == [12.0, 10.0]
    assert values(m, "auth") == [8.0, 10.0]
    assert values(m, "time_to_established") == [20.0, 20.0]
    # From the close (1500) to the re-established connection (2520), backoff included.
    assert values(m, "reconnect") == [1020.0]
    # ping_rtt marks are the session's own measurement; ping frames are not counted twice.
    assert values(m, "ping_rtt") == [3.25]
    assert values(m, "first_frame") == [60.0]
    assert values(m, "first_event") == [60.0]
    assert values(m, "first_thinking") == [100.0]
    assert values(m, "event_gap") == [40.0, 20.0, 840.0, 40.0]
    assert values(m, "tool_duration") == [840.0]
    assert values(m, "run_total") == [1000.0]
    lat = values(m, "event_latency", "server")
    assert len(lat) == 5 and all(abs(v - 4.0) < 1e-3 for v in lat)
    run_rows = m[m["phase"] == "run_total"]
    assert run_rows["run"].tolist() == ["r1"] and run_rows["user"].tolist() == ["u1"]
    assert m[m["phase"] == "tool_duration"]["tool"].tolist() == ["cost_analyzer"]
    assert set(m["label_nodeid"]) == {"t::a"}
    assert m[m["phase"] == "connect"]["run"].isna().all()


@pytest.mark.parametrize(
    "completed",
    [
        {"type": "tool_completed", "tool_name": "q", "results": {}, "duration": 0.84},
        {
            "type": "tool_completed",
            "run_id": "r1",
            "tool_name": "q",
            "data": {"execution_time_ms": 840},
        },
        {
            "type": "system_message",
            "event": "tool_completed",
            "payload": {"tool_name": "q", "duration_ms": 840},
        },
    ],
    ids=["emitter-seconds", "bridge-ms", "nested-ms"],
)
def test_server_reported_tool_duration_in_every_envelope(
    tmp_path: Path, completed: dict[str, Any]
) -> None:
    b = CassetteBuilder()
    b.mark("message_sent", 0)
    b.frame("in", 10, {"type": "agent_started", "run_id": "r1"})
    b.frame("in", 20, {"type": "tool_executing", "tool_name": "q", "parameters": {}})
    b.frame("in", 900, completed)
    b.frame("in", 950, {"type": "agent_completed", "status": "ok", "final_response": ""})
    m = phase_metrics(load_frames([b.write(tmp_path / "c.jsonl")]).frames)
    assert values(m, "tool_duration", "server") == [840.0]
    assert values(m, "tool_duration", "client") == [880.0]


def test_failures_are_rows_with_ok_false(tmp_path: Path) -> None:
    b = CassetteBuilder()
    b.mark("connect_start", 0)
    b.mark("handshake_rejected", 30, status=403)
    b.mark("connect_start", 40)
    b.mark("upgrade_done", 50, status=101)
    b.mark("close", 60, code=1008)  # closed before connection_established: auth failed
    b.connect(100, 5.0, 5.0)
    b.run(200, [10, 10], run_id="r1", terminal=False)  # the tool never completes
    b.mark("message_sent", 5000)  # a second run that gets nothing back
    frames = load_frames([b.write(tmp_path / "f.jsonl")]).frames
    m = phase_metrics(frames)
    connect = m[m["phase"] == "connect"]
    assert connect["ok"].tolist() == [False, True, True]
    assert connect["value_ms"].isna().tolist() == [True, False, False]
    assert m[m["phase"] == "auth"]["ok"].tolist() == [False, True]
    runs = m[m["phase"] == "run_total"]
    assert runs["ok"].tolist() == [False, False]
    first = m[m["phase"] == "first_event"]
    assert first["ok"].tolist() == [True, False]
    tools = m[(m["phase"] == "tool_duration")]
    assert tools["ok"].tolist() == [False]


def test_run_start_trigger_and_run_end_outcome(tmp_path: Path) -> None:
    b = CassetteBuilder()
    b.mark("run_start", 0, chars=2)
    b.frame("in", 15, {"type": "agent_started", "run_id": "rx"})
    b.mark("run_end", 400, outcome="completed", run_id="rx")
    m = phase_metrics(load_frames([b.write(tmp_path / "r.jsonl")]).frames)
    # No terminal event, but the run ended with a completed outcome.
    assert values(m, "run_total") == [400.0]
    assert values(m, "first_event") == [15.0]


def test_liveness_frames_are_not_the_first_frame(tmp_path: Path) -> None:
    b = CassetteBuilder()
    b.frame("out", -10, {"type": "ping"})
    b.frame("out", 0, {"type": "user_message", "payload": {"content": "x"}})
    b.frame("in", 4, {"type": "pong"})
    b.frame("in", 5, {"type": "heartbeat"})
    b.frame("in", 30, {"type": "ack", "received_type": "user_message"})
    b.frame("in", 70, {"type": "agent_started"})
    m = phase_metrics(load_frames([b.write(tmp_path / "l.jsonl")]).frames)
    assert values(m, "first_frame") == [30.0]
    assert values(m, "first_event") == [70.0]
    assert values(m, "ping_rtt") == [14.0]  # no ping_rtt marks: ping frame -> pong frame


def test_many_cassettes_keep_their_own_clocks(tmp_path: Path) -> None:
    paths = [healthy_session(tmp_path / f"{u}.jsonl", user=u, runs=2) for u in ("a", "b")]
    m = phase_metrics(load_frames(paths).frames)
    assert set(m["user"]) == {"a", "b"}
    assert set(m["cassette"]) == {str(p) for p in paths}
    per_user = m[m["phase"] == "run_total"].groupby("user").size()
    assert per_user.to_dict() == {"a": 2, "b": 2}


def test_empty_and_malformed_inputs() -> None:
    empty = phase_metrics(pd.DataFrame(columns=["cassette", "t_ms", "kind"]))
    assert list(empty.columns) == list(METRIC_COLUMNS) and empty.empty
    with pytest.raises(LatencyDataError, match="t_ms"):
        phase_metrics(pd.DataFrame({"cassette": ["x"]}))


_KINDS = st.sampled_from(["frame", "mark", None, 3])
_TYPES = st.sampled_from(
    [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
        "connection_established",
        "pong",
        "ping",
        "user_message",
        "",
        None,
        "handshake_response",
        "handshake_complete",
    ]
)
_MARKS = st.sampled_from(
    [
        "connect_start",
        "upgrade_done",
        "connection_established",
        "close",
        "reconnect_attempt",
        "reconnected",
        "message_sent",
        "run_start",
        "run_end",
        "ping_rtt",
        "error",
        None,
        "x",
    ]
)
_DATA = st.one_of(
    st.none(),
    st.just("not json"),
    st.dictionaries(
        st.sampled_from(["status", "rtt_ms", "outcome"]),
        st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=3)),
    ),
)


@given(
    st.lists(
        st.tuples(
            _KINDS,
            st.sampled_from(["in", "out", None]),
            _TYPES,
            _MARKS,
            _DATA,
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**6)),
            st.one_of(
                st.none(), st.text(max_size=30), st.just('{"type":"tool_completed","duration":"x"}')
            ),
        ),
        max_size=30,
    )
)
def test_phase_metrics_never_crashes_on_odd_frames(rows: list[tuple[Any, ...]]) -> None:
    frame = pd.DataFrame(
        [
            {
                "cassette": "c",
                "seq": i,
                "kind": k,
                "dir": d,
                "type": t,
                "mark": mk,
                "data": data,
                "t_ms": tm,
                "wall": None,
                "text": text,
            }
            for i, (k, d, t, mk, data, tm, text) in enumerate(rows)
        ],
        columns=["cassette", "seq", "kind", "dir", "type", "mark", "data", "t_ms", "wall", "text"],
    )
    out = phase_metrics(frame)
    assert list(out.columns) == list(METRIC_COLUMNS)
    ok = out[out["ok"]]
    assert np.isfinite(ok["value_ms"].to_numpy(float)).all()


# -- live run records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeMark:
    name: str
    t: float
    wall: float = math.nan
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FakeRun:
    marks: tuple[Any, ...]
    events: tuple[TimedEvent, ...]
    user_id: str = "live-user"


def te(t: float, **fields: Any) -> TimedEvent:
    return TimedEvent(parse_frame(json.dumps(fields)), t, wall=1000.0 + t)


def test_live_run_records_give_the_same_phases() -> None:
    run = FakeRun(
        marks=(
            FakeMark("run_start", 0.0),
            ("message_sent", 0.001),
            FakeMark("ping_rtt", 0.5, data={"rtt_ms": 1.5}),
        ),
        events=(
            te(0.051, type="agent_started", run_id="L1", timestamp=1000.049),
            te(0.101, type="agent_thinking", reasoning="x"),
            te(0.201, type="tool_executing", tool_name="t", parameters={}),
            te(0.451, type="tool_completed", tool_name="t", results={}, duration_ms=240),
            te(0.501, type="agent_completed", status="ok", final_response=""),
        ),
    )
    frame = frames_from_run(run)
    assert frame["mark"].dropna().tolist()[:2] == ["run_start", "message_sent"]
    m = metrics_from_runs([run, run])
    assert set(m["cassette"]) == {"live-0", "live-1"}
    one = m[m["cassette"] == "live-0"]
    assert values(one, "first_event") == [50.0]
    assert values(one, "first_thinking") == [100.0]
    assert values(one, "tool_duration") == [250.0]
    assert values(one, "tool_duration", "server") == [240.0]
    assert values(one, "run_total") == [500.0]
    assert values(one, "ping_rtt") == [1.5]
    assert values(one, "event_latency", "server") == [2.0]
    assert set(one["run"].dropna()) == {"L1"} and set(one["user"]) == {"live-user"}
    assert metrics_from_runs([]).empty


def test_the_live_packages_run_record_is_accepted() -> None:
    from netra_diag.live.records import Mark, RunOutcome, RunRecord

    record = RunRecord(
        message="hi",
        outcome=RunOutcome.COMPLETED,
        events=(
            te(1.030, type="agent_started", run_id="R"),
            te(1.090, type="agent_completed", status="ok", final_response=""),
        ),
        marks=(
            Mark("run_start", 1.0, 1001.0),
            Mark("message_sent", 1.010, 1001.01, {"type": "user_message"}),
            Mark("run_end", 1.095, 1001.095, {"outcome": "completed", "run_id": "R"}),
        ),
        started_t=1.0,
        sent_t=1.010,
        ended_t=1.095,
        timeout_s=30.0,
        run_id="R",
        user_id="u-live",
    )
    m = metrics_from_runs([record])
    assert values(m, "first_event") == [20.0]
    assert values(m, "run_total") == [80.0]
    assert set(m["user"]) == {"u-live"}


def test_the_whole_load_frames_result_is_accepted(tmp_path: Path) -> None:
    path = healthy_session(tmp_path / "h.jsonl")
    loaded = load_frames([path])
    assert phase_metrics(loaded).equals(phase_metrics(loaded.frames))


def test_clock_skew_is_what_causality_proves(tmp_path: Path) -> None:
    # Server timestamps 63 s before the receipt of events whose request went out 50 ms earlier:
    # the clocks disagree by at least 63 s - 50 ms (a replay of an old recording).
    b = CassetteBuilder()
    t = b.connect(0.0, 10.0, 5.0)
    b.run(t + 100, [10.0] * 5, run_id="r1", lag_ms=63_000.0, first_ms=50.0)
    old = phase_metrics(load_frames([b.write(tmp_path / "old.jsonl")]))
    skew = old.loc[old["phase"] == "event_latency", "clock_skew_ms"]
    assert len(skew) == 6 and skew.tolist() == pytest.approx([63_000.0 - 50.0] * 6, abs=0.01)
    assert old.loc[old["phase"] != "event_latency", "clock_skew_ms"].isna().all()
    fresh = phase_metrics(load_frames([healthy_session(tmp_path / "fresh.jsonl")]))
    assert (fresh.loc[fresh["phase"] == "event_latency", "clock_skew_ms"] == 0).all()


# -- the upgrade completes no later than the first frame received ---------------------------------


def early_frame_cassette(tmp_path: Path) -> Path:
    """As the recorder writes it: the service sends connection_established right after the 101;
    the reader stamps it (2.0685 ms) before connect() returns and writes upgrade_done (2.2486)."""
    b = CassetteBuilder(user="u1")
    b.mark("connect_start", 0.2)
    b.mark("upgrade_done", 2.2486, status=101, subprotocol="jwt-auth")
    b.frame("in", 2.0685, {"type": "connection_established", "data": {"user_id": "u1"}})
    b.mark("connection_established", 2.31, user_id="u1")
    b.frame("in", 2.5, {"type": "pong"})
    return b.write(tmp_path / "early.jsonl")


@pytest.mark.parametrize("order", ["file", "time"])
def test_connect_and_auth_add_up_to_time_to_established(tmp_path: Path, order: str) -> None:
    frames = load_frames([early_frame_cassette(tmp_path)]).frames
    if order == "time":
        frames = frames.drop(columns="seq")  # walked by t_ms: the frame before the mark
    m = phase_metrics(frames)
    assert values(m, "connect") == [1.8685]
    assert values(m, "auth") == [0.0]
    assert values(m, "time_to_established") == [1.8685]
    connect = m[m["phase"] == "connect"]
    assert connect["t_ms"].round(6).tolist() == [2.0685]


def test_a_frame_before_connection_established_bounds_the_upgrade(tmp_path: Path) -> None:
    # Another frame first (a handshake generation's greeting): auth is from that frame on.
    b = CassetteBuilder(user="u1")
    b.mark("connect_start", 0.0)
    b.mark("upgrade_done", 3.0, status=101)
    b.frame("in", 2.0, {"type": "handshake_response", "thread_id": "t", "run_id": "r"})
    b.frame("in", 5.0, {"type": "connection_established", "data": {"user_id": "u1"}})
    m = phase_metrics(load_frames([b.write(tmp_path / "a.jsonl")]).frames)
    assert values(m, "connect") == [2.0]
    assert values(m, "auth") == [3.0]
    assert values(m, "time_to_established") == [5.0]


def test_a_frame_of_the_previous_connection_does_not_move_the_upgrade(tmp_path: Path) -> None:
    b = CassetteBuilder(user="u1")
    b.connect(0.0, 10.0, 5.0)
    b.mark("close", 100.0, code=1006)
    b.mark("connect_start", 200.0)
    b.frame("in", 150.0, {"type": "pong"})  # stamped before this connection started
    b.mark("upgrade_done", 210.0, status=101)
    b.frame("in", 214.0, {"type": "connection_established", "data": {"user_id": "u1"}})
    m = phase_metrics(load_frames([b.write(tmp_path / "a.jsonl")]).frames)
    assert values(m, "connect") == [10.0, 10.0]
    assert values(m, "auth") == [5.0, 4.0]
    assert values(m, "time_to_established") == [15.0, 14.0]


async def test_recorded_sessions_have_consistent_connect_phases(tmp_path: Path) -> None:
    import time

    from timeouts import scaled

    from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
    from netra_diag.live import Session
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    paths = [tmp_path / f"s{i}.jsonl" for i in range(3)]
    async with run_service(EmulatorConfig(timing=TimingProfile.instant())) as svc:
        for path in paths:
            token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
            async with Session.connect(svc.url, token=token, record=path, ping_every=None) as s:
                await s.run("cost report", timeout=scaled(10))
    m = phase_metrics(load_frames(paths).frames)
    for _, part in m.groupby("cassette"):
        (connect,) = values(part, "connect")
        (auth,) = values(part, "auth")
        (established,) = values(part, "time_to_established")
        assert connect <= established
        assert auth >= 0
        assert connect + auth == pytest.approx(established, abs=1e-6)
