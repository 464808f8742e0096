"""``RunBinding.is_foreign`` remembers its last verdict: it must always agree with judging afresh,
whatever the ids (strings, numbers, booleans, missing) and however the binding learns its ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.model import parse_frame
from netra_diag.live.runner import RunBinding

ids = st.one_of(st.none(), st.sampled_from(["t1", "t2", "r1", "r2", "u1"]), st.integers(0, 2))
ids = ids | st.booleans()
events = st.lists(
    st.tuples(
        st.sampled_from(["agent_started", "agent_thinking", "agent_completed"]), ids, ids, ids
    ),
    max_size=12,
)


@given(
    thread=st.one_of(st.none(), st.just("t1")),
    run=st.one_of(st.none(), st.just("r1")),
    user=st.one_of(st.none(), st.just("u1")),
    seq=events,
)
def test_cached_verdicts_match_fresh_ones(
    thread: str | None,
    run: str | None,
    user: str | None,
    seq: list[tuple[str, object, object, object]],
) -> None:
    cached = RunBinding(thread, run, user)
    for etype, tid, rid, uid in seq:
        fields = {
            k: v
            for k, v in (("thread_id", tid), ("run_id", rid), ("user_id", uid))
            if v is not None
        }
        ev = parse_frame({"type": etype, **fields})
        fresh = RunBinding(cached.thread_id, cached.run_id, user)
        assert cached.is_foreign(ev) == fresh._judge(ev)
        if not cached.is_foreign(ev):
            cached.bind(ev)
