"""Fan-out against the embedded reference service on a loopback port: many users, runs, loss
accounting, isolation (with a leak injected and in DEMO mode), failure classes."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.events.isolation import IsolationVerdict
from netra_diag.live.fanout import (
    RUN_COLUMNS,
    USER_COLUMNS,
    default_message,
    expected_critical_events,
    run_fanout,
)
from netra_diag.recording import load_frames
from netra_diag.tokens import mint_token


def cassettes_in(path: Path) -> list[Path]:
    return sorted(path.glob("*.jsonl"))


def only_cassettes_in(path: Path) -> bool:
    """Nothing but cassettes (no hidden reservation left behind)."""
    return sorted(path.iterdir()) == cassettes_in(path)


# A fixed script: agent_started, 2 x agent_thinking, one tool pair, agent_completed.
EXPECTED = 6


def config(**kw: object) -> EmulatorConfig:
    timing = TimingProfile(time_scale=0.002, thinking_steps=(2, 2), tool_calls=(1, 1))
    return EmulatorConfig(timing=timing, **kw)  # type: ignore[arg-type]


async def test_fifty_users_two_runs_recorded(tmp_path: Path) -> None:
    async with run_service(config()) as svc:
        result = await run_fanout(
            svc.url,
            users=50,
            runs=2,
            record_dir=tmp_path,
            expected_events=EXPECTED,
            progress=False,
            run_timeout=scaled(20),
            labels={"suite": "fanout-test"},
        )
        sent = svc.events_sent
    assert result.ok, result.summary()
    assert result.sessions_connected == 50 and result.peak_concurrent == 50
    assert result.runs_completed == result.runs_total == 100
    assert result.events_expected == result.events_received == 600 == sent
    assert result.events_lost == 0 and result.errors == {}
    assert result.isolation.verdict is IsolationVerdict.ISOLATED
    assert list(result.users.columns) == list(USER_COLUMNS)
    assert list(result.runs.columns) == list(RUN_COLUMNS)
    assert result.users["token_fingerprint"].str.contains("…#").all()
    assert result.users["server_user_id"].notna().all()
    # every user has its own thread; every run was on it
    assert (result.runs["thread_id"] == "thread-" + result.runs["user"]).all()
    assert result.runs["first_event_ms"].notna().all()
    # one cassette per user, loadable, labelled, with both runs; no reservation left behind
    assert len(cassettes_in(tmp_path)) == 50
    assert only_cassettes_in(tmp_path)
    assert result.prepare_s > 0
    frames = load_frames(tmp_path)
    assert frames.runs.groupby("cassette").size().eq(2).all()
    assert set(frames.frames["label_suite"]) == {"fanout-test"}
    assert (frames.events["type"] == "agent_completed").sum() == 100
    # the summary says what a triage engineer needs, with no token in it
    text = result.summary()
    assert "runs completed:     100/100" in text and "isolation: isolated" in text
    assert "eyJ" not in text and "eyJ" not in str(result.to_dict())


async def test_ramp_records_intended_and_actual_starts() -> None:
    async with run_service(config()) as svc:
        result = await run_fanout(
            svc.url, users=10, runs=1, ramp=200.0, expected_events=EXPECTED, progress=False
        )
    assert result.ok, result.summary()
    users = result.users.sort_values("index")
    assert users["intended_start_s"].tolist() == pytest.approx([i / 200 for i in range(10)])
    assert (users["actual_start_s"] >= users["intended_start_s"] - 1e-3).all()
    assert (users["start_lag_ms"] >= 0).all()
    # with a ramp each user runs as soon as it is connected
    assert result.runs["intended_start_s"].tolist() == pytest.approx([i / 200 for i in range(10)])


async def test_leak_other_user_is_flagged() -> None:
    async with run_service(config(faults=FaultPlan.parse("leak_other_user"))) as svc:
        # the owner still gets every leaked event: only a run bound to a leak would time out
        result = await run_fanout(
            svc.url,
            users=6,
            runs=2,
            expected_events=EXPECTED,
            progress=False,
            run_timeout=scaled(1.5),
        )
        leaks = [f for f in svc.fault_log if f.fault.value == "leak_other_user"]
    assert leaks, "the service injected no leak"
    report = result.isolation
    assert report.verdict is IsolationVerdict.CONTAMINATED, report.summary()
    owners = {f.user_id for f in leaks}
    assert {f.owner for f in report.findings} <= owners
    assert {f.field for f in report.findings} & {"user_id", "thread_id"}
    assert all(f.receiver != f.owner for f in report.findings)
    frame = report.to_frame()
    assert len(frame) == len(report.findings) and set(frame["receiver"]) <= set(result.users.user)
    assert "contaminated" in result.summary()
    assert not result.ok
    # a leak is contamination, never a lost or timed-out run of the user it reached
    assert result.runs_completed == result.runs_total, result.runs[["user", "outcome", "error"]]
    assert result.events_lost == 0


async def test_demo_mode_cannot_judge() -> None:
    async with run_service(config(auth=AuthMode.DEMO)) as svc:
        result = await run_fanout(
            svc.url, users=5, runs=1, expected_events=EXPECTED, progress=False
        )
    assert result.runs_completed == 5
    report = result.isolation
    assert report.verdict is IsolationVerdict.CANNOT_JUDGE, report.summary()
    assert "demo-user-001" in report.shared_ids
    assert "cannot judge" in result.summary()


async def test_dropped_events_are_counted_lost() -> None:
    async with run_service(config(faults=FaultPlan.parse("drop_event"))) as svc:
        # a dropped terminal event leaves its run waiting: keep the timeout short
        short = scaled(1.5)
        known = await run_fanout(
            svc.url, users=4, runs=2, expected_events=EXPECTED, progress=False, run_timeout=short
        )
        inferred = await run_fanout(svc.url, users=4, runs=2, progress=False, run_timeout=short)
        dropped = sum(f.fault.value == "drop_event" for f in svc.fault_log)
    assert dropped >= 8
    assert known.events_lost == known.events_expected - known.events_received > 0
    assert known.expected_known and not inferred.expected_known
    # inferred from the runs themselves: a lower bound, but a drop is still seen
    assert inferred.events_lost > 0 or inferred.runs_completed < inferred.runs_total
    assert "expected critical events lost" in known.summary()


async def test_connect_failures_are_counted_by_class() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await run_fanout(
        f"ws://127.0.0.1:{port}/ws", users=3, runs=2, expected_events=EXPECTED, progress=False
    )
    assert result.sessions_connected == 0
    assert result.errors == {"ConnectFailed": 3}
    assert (result.runs["outcome"] == "not_started").all() and len(result.runs) == 6
    assert result.events_lost == 6 * EXPECTED
    assert result.isolation.verdict is IsolationVerdict.CANNOT_JUDGE


async def test_rejected_tokens_are_counted(capsys: pytest.CaptureFixture[str]) -> None:
    async with run_service(config()) as svc:
        result = await run_fanout(
            svc.url,
            users=3,
            runs=1,
            transport="header",
            token_for=lambda user: mint_token(user, key="not-the-secret" * 3, now=time.time()),
            progress=True,
        )
    assert result.sessions_connected == 0
    assert sum(result.errors.values()) == 3
    assert set(result.users["error_class"]) <= {"SessionClosed", "HandshakeRejected"}
    assert sum(result.auth_refusals.values()) == 3
    assert result.auth_refused_example and "1008" in result.auth_refused_example
    assert "fan-out" in capsys.readouterr().err  # the tqdm bar, on stderr


def test_default_messages_are_unique_and_short() -> None:
    msgs = {default_message(f"fanout-user-{i:04d}", r) for i in range(1000) for r in range(3)}
    assert len(msgs) == 3000 and max(map(len, msgs)) < 80


async def test_usage_errors() -> None:
    from netra_diag.errors import UsageError

    for kwargs in (
        {"users": 0},
        {"users": ["a", "a"]},
        {"ramp": -1.0},
        {"runs": -1},
        {"run_timeout": 0.0},
        {"connect_timeout": -1.0},
    ):
        with pytest.raises(UsageError):
            await run_fanout("ws://127.0.0.1:1/ws", progress=False, **kwargs)
    with pytest.raises(UsageError, match="got http://"):
        await run_fanout("http://127.0.0.1:1/ws", progress=False)


def test_expected_events_inferred_from_the_run() -> None:
    from netra_diag.events.model import TimedEvent, parse_frame

    def te(etype: str, **kw: object) -> TimedEvent:
        return TimedEvent(parse_frame({"type": etype, **kw}), 0.0)

    full = [
        te("agent_started"),
        te("agent_thinking", step_number=1),
        te("tool_executing", tool_name="a"),
        te("tool_completed", tool_name="a"),
        te("agent_thinking", step_number=2),
        te("agent_completed", tools_used=["a"]),
    ]
    assert expected_critical_events(full) == 6
    # a lost thinking step and a lost tool_completed are still expected
    assert expected_critical_events([full[0], full[2], full[4], full[5]]) == 6
    assert expected_critical_events([]) == 3


@pytest.mark.slow
async def test_thousand_concurrent_sessions_lose_nothing(tmp_path: Path) -> None:
    start = time.perf_counter()
    async with run_service(config()) as svc:
        result = await run_fanout(
            svc.url,
            users=1000,
            runs=1,
            record_dir=tmp_path,
            expected_events=EXPECTED,
            progress=False,
            run_timeout=scaled(30),
            connect_timeout=scaled(30),
        )
        sent = svc.events_sent
    assert result.sessions_connected == 1000, result.summary()
    assert result.peak_concurrent == 1000
    assert result.runs_completed == 1000, result.errors
    assert result.events_lost == 0 and result.events_received == 6000 == sent
    assert result.isolation.verdict is IsolationVerdict.ISOLATED
    assert len(cassettes_in(tmp_path)) == 1000
    assert time.perf_counter() - start < scaled(30)


async def test_a_crashing_token_factory_is_counted_not_fatal() -> None:
    def broken(user: str) -> str:
        raise RuntimeError(f"no key for {user}")

    async with run_service(config()) as svc:
        result = await run_fanout(svc.url, users=3, runs=1, token_for=broken, progress=False)
    assert result.sessions_connected == 0
    assert sum(result.errors.values()) == 3
    assert result.users["error"].str.contains("no key for").all()


async def test_first_tokens_are_minted_before_the_ramp_and_later_ones_fresh(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from netra_diag.live import fanout

    # users 0-2 start within the (shortened) horizon, users 3-4 after it
    monkeypatch.setattr(fanout, "PREMINT_HORIZON_S", 0.025)
    calls: list[tuple[str, int]] = []
    async with run_service(config(auth=AuthMode.DEMO)) as svc:

        def token_for(user: str) -> str:
            calls.append((user, svc.connections_total))
            return mint_token(user, key="local-demo-secret-0123456789abcdef", now=time.time())

        result = await run_fanout(
            svc.url,
            users=5,
            runs=1,
            ramp=100.0,
            token_for=token_for,
            expected_events=EXPECTED,
            progress=False,
            record_dir=tmp_path,
        )
    assert result.sessions_connected == 5, result.summary()
    users = sorted(result.users["user"])
    # before any connection: the first token of each user within the horizon
    early = [user for user, connections in calls if connections == 0]
    assert early == users[:3]
    # DEMO mode judges every transport a bypass, so `auto` tries all four, each with a token
    # of its own: the pre-minted one for the first attempt, fresh ones after it
    assert sorted(user for user, _ in calls) == sorted(users * 4)
    assert all(connections > 0 for user, connections in calls[3:])
    assert only_cassettes_in(tmp_path)


def test_isolation_not_claimed_without_agent_events() -> None:
    """Two users who only saw connection_established: nothing of anyone's work reached them, so
    isolation was not exercised ('cannot judge', not 'isolated')."""
    from netra_diag.events.model import TimedEvent, parse_frame
    from netra_diag.live.fanout_result import build_result
    from netra_diag.live.fanout_rows import UserState

    states = []
    for i, user in enumerate(("u-a", "u-b")):
        st = UserState(user=user, index=i, intended_s=0.0, actual_s=0.0, connected_s=0.01)
        st.server_user_id = user
        st.thread_id = f"thread-{user}"
        frame = {"type": "connection_established", "data": {"user_id": user}}
        st.events.append(TimedEvent(parse_frame(frame), 0.0))
        states.append(st)
    common = {"url": "ws://127.0.0.1:1/ws", "runs": 1, "expected_events": None, "errors": {}}
    result = build_result(
        states,
        **common,  # type: ignore[arg-type]
        elapsed_s=0.1,
        record_dir=None,
        loop_lag_ms={},
        gc_pauses_ms={},
        nofile_limit=None,
        peak_concurrent=2,
        connect_cpu_s=None,
    )
    assert result.isolation.verdict is IsolationVerdict.CANNOT_JUDGE
    assert "no agent events were received" in result.isolation.reasons[0]
    assert "isolation: cannot judge" in result.summary()
