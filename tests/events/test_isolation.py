"""The isolation check on hand-made sessions (pure core). Against the live emulator: tests/live."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_diag.errors import ContractViolation
from netra_diag.events.isolation import (
    IsolationVerdict,
    SessionView,
    check_isolation,
)
from netra_diag.events.model import Event, TimedEvent, parse_frame


def ev(etype: str, **fields: Any) -> Event:
    return parse_frame(json.dumps({"type": etype, **fields}))


def run_events(user: str, thread: str, content: str, run: str = "") -> list[Event]:
    return [
        ev("connection_established", data={"user_id": user[:4] + "...", "mode": "main"}),
        ev("agent_started", user_id=user, thread_id=thread, run_id=run or f"r-{thread}"),
        ev("agent_thinking", reasoning=f"Thinking about: {content}", thread_id=thread),
        ev("agent_completed", user_id=user, thread_id=thread, final_response=f"Done: {content}"),
    ]


def view(user: str, n: int, events: list[Event] | None = None, **kw: Any) -> SessionView:
    thread, content = f"t-{user}-{n}", f"question number {n} from {user}"
    return SessionView(
        user_id=user,
        events=run_events(user, thread, content) if events is None else events,
        thread_ids=[thread],
        contents=[content],
        run_ids=[f"r-{thread}"],
        **kw,
    )


def test_separate_users_are_isolated() -> None:
    report = check_isolation([view(f"user-{i}", i) for i in range(5)])
    assert report.verdict is IsolationVerdict.ISOLATED
    assert report.ok and not report.findings
    assert report.n_sessions == 5 and report.n_events == 20
    assert report.to_frame().empty
    report.raise_for_findings()  # isolated: nothing raised


def test_foreign_user_id_thread_and_content_are_flagged() -> None:
    a, b = view("alice", 1), view("bob", 2)
    leaked = run_events("bob", "t-bob-2", "question number 2 from bob")[1]
    a = SessionView(
        user_id="alice",
        events=[*a.events, leaked],
        thread_ids=a.thread_ids,
        contents=a.contents,
    )
    report = check_isolation([a, b])
    assert report.verdict is IsolationVerdict.CONTAMINATED
    fields = {f.field for f in report.findings}
    assert {"user_id", "thread_id"} <= fields
    assert all(f.receiver == "alice" and f.owner == "bob" for f in report.findings)
    assert report.findings[0].event_index == 4
    frame = report.to_frame()
    assert list(frame.columns) == [
        "receiver",
        "owner",
        "field",
        "value",
        "event_type",
        "event_index",
        "t",
    ]
    assert set(frame["receiver"]) == {"alice"}
    assert "alice received agent_started" in report.summary()
    # One leaked event carrying bob's user_id and thread_id is one cross-user event.
    assert len(report.findings) >= 2
    assert "1 cross-user event in 1 session)" in report.summary().splitlines()[0]
    with pytest.raises(ContractViolation):
        report.raise_for_findings()


def test_content_alone_is_enough_and_longest_match_wins() -> None:
    # "user 1" is a prefix of "user 10": user 10 seeing its own message is not a leak.
    own = SessionView(
        user_id="u10",
        events=[ev("agent_thinking", reasoning="echo: message for user 10 please")],
        contents=["message for user 10 please"],
    )
    other = SessionView(
        user_id="u1", events=[ev("agent_thinking", reasoning="x")], contents=["message for user 1"]
    )
    assert check_isolation([own, other]).verdict is IsolationVerdict.ISOLATED
    leaked = SessionView(
        user_id="u2",
        events=[TimedEvent(ev("agent_thinking", reasoning="re: message for user 1!"), t=0.25)],
        contents=["u2 asks something"],
    )
    report = check_isolation([own, other, leaked])
    assert report.verdict is IsolationVerdict.CONTAMINATED
    (finding,) = report.findings
    assert (finding.receiver, finding.owner, finding.field) == ("u2", "u1", "content")
    assert finding.t == 0.25


def test_shared_demo_id_cannot_be_judged() -> None:
    views = [
        SessionView(
            user_id=f"user-{i}",
            server_user_id="demo-user-001",
            events=run_events("demo-user-001", f"t{i}", f"hello there from {i}"),
            thread_ids=[f"t{i}"],
            contents=[f"hello there from {i}"],
        )
        for i in range(3)
    ]
    report = check_isolation(views)
    assert report.verdict is IsolationVerdict.CANNOT_JUDGE
    assert "demo-user-001" in report.shared_ids
    assert any("share the server id 'demo-user-001'" in r for r in report.reasons)
    with pytest.raises(ContractViolation):
        report.raise_for_findings()


def test_shared_demo_id_is_inferred_from_events() -> None:
    views = [
        SessionView(
            user_id=f"user-{i}",
            events=run_events("demo-user-001", f"t{i}", f"hello there from {i}"),
            thread_ids=[f"t{i}"],
        )
        for i in range(2)
    ]
    assert check_isolation(views).verdict is IsolationVerdict.CANNOT_JUDGE


def test_leak_across_identity_groups_is_reported_even_with_shared_ids() -> None:
    demo = [
        SessionView(
            user_id=f"d{i}", server_user_id="demo-user-001", events=[], thread_ids=[f"t{i}"]
        )
        for i in range(2)
    ]
    real = SessionView(
        user_id="carol", events=[ev("agent_started", user_id="carol", thread_id="t0")]
    )
    report = check_isolation([*demo, real])
    assert report.verdict is IsolationVerdict.CONTAMINATED
    assert report.findings[0].owner == "demo-user-001"


@pytest.mark.parametrize(
    ("views", "reason"),
    [
        ([], "fewer than two"),
        ([SessionView(user_id="a", events=[ev("agent_started")])], "fewer than two"),
        ([SessionView(user_id="a"), SessionView(user_id="b")], "no events"),
    ],
)
def test_nothing_to_judge(views: list[SessionView], reason: str) -> None:
    report = check_isolation(views)
    assert report.verdict is IsolationVerdict.CANNOT_JUDGE
    assert reason in report.reasons[0]


def test_ambiguous_threads_and_short_contents_are_not_evidence() -> None:
    a = SessionView(
        user_id="a",
        events=[ev("agent_started", user_id="a", thread_id="shared", reasoning="ok")],
        thread_ids=["shared"],
        contents=["ok"],
    )
    b = SessionView(
        user_id="b",
        events=[ev("agent_started", user_id="b", thread_id="shared", reasoning="ok")],
        thread_ids=["shared"],
        contents=["ok"],
    )
    report = check_isolation([a, b])
    assert report.verdict is IsolationVerdict.ISOLATED
    assert "1 thread id used by several users was not checked" in report.reasons


def test_thousand_users_is_fast_enough() -> None:
    views = [view(f"user-{i:04d}", i) for i in range(1000)]
    leak = run_events("user-0001", "t-user-0001-1", "question number 1 from user-0001")[2]
    views[7] = SessionView(
        user_id="user-0007",
        events=[*views[7].events, leak],
        thread_ids=views[7].thread_ids,
        contents=views[7].contents,
    )
    report = check_isolation(views)
    assert report.verdict is IsolationVerdict.CONTAMINATED
    assert {(f.receiver, f.owner) for f in report.findings} == {("user-0007", "user-0001")}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
frames = st.one_of(
    st.text(max_size=60),
    st.dictionaries(
        st.sampled_from(["type", "user_id", "thread_id", "run_id", "data", "payload", "event"]),
        json_values,
    ).map(json.dumps),
)


@given(
    st.lists(
        st.tuples(
            st.text(max_size=12),
            st.none() | st.text(max_size=12),
            st.lists(frames, max_size=4),
            st.lists(st.text(max_size=30), max_size=3),
            st.lists(st.text(max_size=12), max_size=3),
        ),
        max_size=5,
    )
)
def test_never_crashes(
    raw: list[tuple[str, str | None, list[str], list[str], list[str]]],
) -> None:
    views = [
        SessionView(
            user_id=u,
            server_user_id=s,
            events=[parse_frame(f) for f in fs],
            contents=cs,
            thread_ids=ts,
        )
        for u, s, fs, cs, ts in raw
    ]
    report = check_isolation(views)
    assert report.verdict in set(IsolationVerdict)
    assert len(report.to_frame()) == len(report.findings)
    report.summary()


def test_truncated_server_ids_resolve_to_full_ids() -> None:
    # connection_established shows 8 characters and "...": every fan-out user looks alike there.
    views = [
        SessionView(
            user_id=f"fanout-user-{i}",
            server_user_id="fanout-u...",
            events=run_events(f"fanout-user-{i}", f"t{i}", f"a request from user {i}"),
            thread_ids=[f"t{i}"],
            contents=[f"a request from user {i}"],
        )
        for i in range(3)
    ]
    report = check_isolation(views)
    assert report.verdict is IsolationVerdict.ISOLATED, report.summary()
    demo = [
        SessionView(
            user_id=f"fanout-user-{i}",
            server_user_id="demo-use...",
            events=run_events("demo-user-001", f"t{i}", f"a request from user {i}"),
            thread_ids=[f"t{i}"],
        )
        for i in range(3)
    ]
    report = check_isolation(demo)
    assert report.verdict is IsolationVerdict.CANNOT_JUDGE
    assert list(report.shared_ids) == ["demo-user-001"]
