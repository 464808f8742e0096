"""Fan-out: N concurrent users, each with its own token and thread, M runs each, all recorded.

::

    result = await run_fanout(url, users=150, runs=30, ramp=50, token_for=token_for,
                              record_dir="cassettes/")
    result.runs            # one row per run: outcome, events, expected vs received, latency
    result.isolation       # cross-user contamination check (PROTOCOL.md §7)

Every user is one :class:`~netra_diag.live.session.Session` (real authentication, real recording,
one cassette per user in ``record_dir``), so what the fan-out measures is what a single probe
measures, only many times at once.

Start times: users are released at ``ramp`` users per second. Each user's *intended* start (its
slot in the ramp) and *actual* start (when its connect really began, after waiting for a connect
slot) are both kept, so later latency analysis can correct for coordinated omission: a slow server
that delays connects must not make the measured latencies look better than what users saw.

Connects are bounded (``connect_concurrency``) because a burst of 1,000 simultaneous SYNs
overflows the listen backlog (128 by default on Linux, 100 in asyncio) and turns into
retransmission stalls of a second or more that are the client's fault, not the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import re
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_diag.errors import NetraDiagError, UsageError
from netra_diag.events.isolation import IsolationReport, SessionView, check_isolation
from netra_diag.events.model import CRITICAL_EVENTS, TimedEvent
from netra_diag.live.records import RunOutcome, RunRecord
from netra_diag.redaction import fingerprint, scrub

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "RUN_COLUMNS",
    "USER_COLUMNS",
    "FanoutResult",
    "MessageFactory",
    "TokenFactory",
    "default_message",
    "expected_critical_events",
    "raise_nofile_limit",
    "run_fanout",
]

TokenFactory = Callable[[str], str]  # token_for(user_id) -> token
MessageFactory = Callable[[str, int], str]  # message_for(user_id, run_index) -> message text

USER_COLUMNS: tuple[str, ...] = (
    "user",
    "index",
    "token_fingerprint",
    "server_user_id",
    "transport",
    "intended_start_s",
    "actual_start_s",
    "start_lag_ms",
    "connect_ms",
    "connected",
    "runs_completed",
    "error_class",
    "error",
    "cassette",
)
RUN_COLUMNS: tuple[str, ...] = (
    "user",
    "run",
    "outcome",
    "run_id",
    "thread_id",
    "intended_start_s",
    "start_s",
    "first_event_ms",
    "duration_ms",
    "n_events",
    "critical_received",
    "critical_expected",
    "events_lost",
    "terminal",
    "close_code",
    "error_class",
    "error",
)
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
# Descriptors one user costs in this process: its socket, its cassette, and, when the service is
# embedded in the same process, the server's end of the socket.
_FDS_PER_USER = 3


def default_message(user_id: str, run_index: int) -> str:
    """A request unique to (user, run) and short enough (< 80 characters) that the service's
    echo of it (``user_request``, ``final_response``) contains it whole: the content half of the
    isolation check depends on that."""
    return f"fan-out check {user_id} run {run_index}: summarise cost anomalies"


def expected_critical_events(events: Sequence[TimedEvent]) -> int:
    """A lower bound on the critical events a run should have had, from the run itself, for when
    the service's script is not known: ``agent_started`` and ``agent_completed``, one tool pair
    per tool in ``agent_completed``'s ``tools_used`` (or per tool seen), and as many thinking
    steps as the highest ``step_number`` seen. A lost event that leaves no trace (the last
    thinking step of a run whose completion was lost too) is not counted."""
    types = [e.type for e in events]
    thinking = [e for e in events if e.type == "agent_thinking"]
    steps = [
        int(s)
        for s in (e.event.get("step_number") for e in thinking)
        if isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s)
    ]
    n_think = max([len(thinking), *steps, 1])
    tools = max(types.count("tool_executing"), types.count("tool_completed"))
    for e in events:
        if e.type == "agent_completed":
            used = e.event.get("tools_used")
            if isinstance(used, list):
                tools = max(tools, len(used))
    return 2 + n_think + 2 * tools


def raise_nofile_limit(needed: int) -> tuple[int, int]:
    """Raise this process's soft ``RLIMIT_NOFILE`` towards the hard limit when ``needed``
    descriptors would not fit. Returns the (soft, hard) limits now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft, hard


@dataclass(frozen=True)
class FanoutResult:
    """Everything one fan-out produced.

    ``users``: one row per user (``USER_COLUMNS``); ``runs``: one row per run (``RUN_COLUMNS``),
    including runs never started because the user could not connect (outcome ``not_started``).
    ``errors`` counts errors by class: exception classes for failed connects, run outcomes other
    than ``completed`` for runs. ``events_lost`` is expected minus received critical events,
    summed over runs; ``expected_known`` says whether the expectation came from the service's
    script (``expected_events``) or was inferred from the runs themselves.
    """

    url: str
    n_users: int
    n_runs_per_user: int
    users: pd.DataFrame
    runs: pd.DataFrame
    isolation: IsolationReport
    errors: Mapping[str, int]
    elapsed_s: float
    connect_phase_s: float
    events_received: int
    events_expected: int
    events_lost: int
    expected_known: bool
    record_dir: str | None = None
    loop_lag_ms: Mapping[str, float] = field(default_factory=dict)
    nofile_limit: int | None = None
    peak_concurrent: int = 0
    gc_pauses_ms: Mapping[str, float] = field(default_factory=dict)
    connect_cpu_s: float | None = None

    @property
    def sessions_connected(self) -> int:
        return int(self.users["connected"].sum()) if len(self.users) else 0

    @property
    def runs_total(self) -> int:
        return self.n_users * self.n_runs_per_user

    @property
    def runs_completed(self) -> int:
        if not len(self.runs):
            return 0
        return int((self.runs["outcome"] == str(RunOutcome.COMPLETED)).sum())

    @property
    def connect_rate(self) -> float:
        """Sessions established per second during the connect phase (first connect start to
        last connect done)."""
        if self.connect_phase_s <= 0:
            return math.inf if self.sessions_connected else 0.0
        return self.sessions_connected / self.connect_phase_s

    @property
    def connect_cpu_ms_per_session(self) -> float | None:
        """Process CPU time until every user had connected, per session: what one connect costs
        this process (the embedded service's share too, when it runs in the same process; with a
        ramp, early users' runs too). Unlike the connect rate it hardly depends on how busy the
        machine is."""
        if self.connect_cpu_s is None or not self.n_users:
            return None
        return self.connect_cpu_s * 1e3 / self.n_users

    @property
    def ok(self) -> bool:
        """All users connected, every run completed, nothing lost, no contamination."""
        return (
            self.sessions_connected == self.n_users
            and self.runs_completed == self.runs_total
            and self.events_lost == 0
            and self.isolation.verdict.value != "contaminated"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no DataFrames)."""
        return {
            "url": self.url,
            "users": self.n_users,
            "runs_per_user": self.n_runs_per_user,
            "sessions_connected": self.sessions_connected,
            "runs_total": self.runs_total,
            "runs_completed": self.runs_completed,
            "events_received": self.events_received,
            "events_expected": self.events_expected,
            "events_lost": self.events_lost,
            "expected_known": self.expected_known,
            "errors": dict(self.errors),
            "isolation": {
                "verdict": self.isolation.verdict.value,
                "findings": len(self.isolation.findings),
                "reasons": list(self.isolation.reasons),
            },
            "elapsed_s": round(self.elapsed_s, 4),
            "connect_phase_s": round(self.connect_phase_s, 4),
            "connect_rate_per_s": round(self.connect_rate, 2),
            "peak_concurrent_sessions": self.peak_concurrent,
            "connect_cpu_ms_per_session": self.connect_cpu_ms_per_session,
            "loop_lag_ms": dict(self.loop_lag_ms),
            "gc_pauses_ms": dict(self.gc_pauses_ms),
            "record_dir": self.record_dir,
        }

    def summary(self) -> str:
        lost = f"{self.events_lost} of {self.events_expected} expected critical events lost"
        if not self.expected_known:
            lost += " (expectation inferred from the runs)"
        errors = ", ".join(f"{k} ×{v}" for k, v in sorted(self.errors.items())) or "none"
        lines = [
            f"fan-out {self.n_users} users × {self.n_runs_per_user} runs against {self.url}",
            f"  sessions connected: {self.sessions_connected}/{self.n_users} "
            f"({self.connect_rate:.0f}/s over {self.connect_phase_s:.2f} s; "
            f"{self.peak_concurrent} open at once)",
            f"  runs completed:     {self.runs_completed}/{self.runs_total}",
            f"  events:             {self.events_received} critical received; {lost}",
            f"  errors by class:    {errors}",
            *("  " + line for line in self.isolation.summary().splitlines()),
            f"  elapsed:            {self.elapsed_s:.2f} s",
        ]
        if self.loop_lag_ms:
            gc_max = self.gc_pauses_ms.get("max", 0.0)
            lines.append(
                f"  client stalls:      event-loop lag p99 {self.loop_lag_ms.get('p99', 0):.1f} ms"
                f" (max {self.loop_lag_ms.get('max', 0):.1f}), longest GC pause {gc_max:.1f} ms"
            )
        if self.record_dir:
            lines.append(f"  cassettes:          {self.record_dir}")
        return "\n".join(lines)


@dataclass
class _UserState:
    user: str
    index: int
    intended_s: float
    token_fp: str = ""
    actual_s: float | None = None
    connected_s: float | None = None
    server_user_id: str | None = None
    transport: str | None = None
    error_class: str | None = None
    error: str | None = None
    cassette: str | None = None
    thread_id: str = ""
    contents: list[str] = field(default_factory=list)
    records: list[RunRecord] = field(default_factory=list)
    run_rows: list[dict[str, Any]] = field(default_factory=list)
    events: list[TimedEvent] = field(default_factory=list)


@contextlib.contextmanager
def _collector_quiet(enabled: bool) -> Iterator[list[tuple[int, float]]]:
    """Keep the garbage collector's full collections out of the measurement, and time every
    collection that still runs.

    A full collection walks every tracked object; with a thousand sessions' events alive that
    stops the event loop for 100-350 ms (measured), and every open session then sees that pause
    as latency the server did not cause. Objects that exist before the fan-out are frozen
    (``gc.freeze``, they are not garbage) and full collections are postponed until it ends;
    young-generation collections still run. Both are undone on exit."""
    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info.get("generation", -1), (time.perf_counter() - started[0]) * 1e3))

    threshold = gc.get_threshold()
    froze = enabled and gc.get_freeze_count() == 0  # never undo a freeze made by the caller
    gc.callbacks.append(timer)
    if froze:
        gc.freeze()
    if enabled:
        gc.set_threshold(threshold[0], threshold[1], max(threshold[2], 1 << 30))
    try:
        yield pauses
    finally:
        gc.set_threshold(*threshold)
        if froze:
            gc.unfreeze()
        gc.callbacks.remove(timer)


class _Countdown:
    """Set once every user has called ``done`` (each counts once, however often it calls)."""

    def __init__(self, n: int, on_set: Callable[[], None] | None = None) -> None:
        self._left = n
        self._seen: set[int] = set()
        self._event = asyncio.Event()
        self._on_set = on_set
        if n <= 0:
            self._set()

    def _set(self) -> None:
        if not self._event.is_set():
            self._event.set()
            if self._on_set is not None:
                self._on_set()

    def done(self, st: _UserState) -> None:
        if st.index in self._seen:
            return
        self._seen.add(st.index)
        self._left -= 1
        if self._left <= 0:
            self._set()

    async def wait(self) -> None:
        await self._event.wait()


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    delay = deadline - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def _sample_loop_lag(samples: list[float], interval: float = 0.01) -> None:
    """How late the event loop runs a timer: the time one process of 1,000 sessions spends with
    the loop busy, which is latency every session measures but the server did not cause."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(interval)
        samples.append(max(0.0, (loop.time() - start - interval) * 1e3))


def _gc_summary(pauses: Sequence[tuple[int, float]]) -> dict[str, float]:
    times = [ms for _, ms in pauses]
    return {
        "count": len(times),
        "full": sum(1 for gen, _ in pauses if gen == 2),
        "max": round(max(times, default=0.0), 3),
        "total": round(sum(times), 3),
    }


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return round(ordered[k], 3)


def _error_text(exc: BaseException) -> str:
    # Session errors are scrubbed already; this keeps a token out of an error from elsewhere.
    return scrub(str(exc)) or type(exc).__name__


async def run_fanout(
    url: str,
    *,
    users: int | Sequence[str] = 10,
    runs: int = 1,
    token_for: TokenFactory | None = None,
    ramp: float | None = None,
    transport: str = "auto",
    record_dir: str | Path | None = None,
    message_for: MessageFactory = default_message,
    run_timeout: float = 30.0,
    connect_timeout: float = 30.0,
    connect_concurrency: int = 64,
    expected_events: int | None = None,
    progress: bool = True,
    labels: Mapping[str, str] | None = None,
    pace_s: float = 0.0,
    together: bool | None = None,
    quiet_gc: bool = True,
) -> FanoutResult:
    """Open one session per user (``users``: a count, or the user ids), release them at ``ramp``
    users per second (``None``: all at once, bounded by ``connect_concurrency``), run
    ``runs`` requests on each, sequentially, ``pace_s`` apart, and check isolation.

    ``together``: start the runs only once every user has connected (default when there is no
    ramp), so the connect phase is measured on its own and all runs really overlap; otherwise
    each user starts running as soon as it is connected (default with a ramp). Either way every
    session stays open until the last user is done, so ``peak_concurrent`` reaches ``users``.

    ``quiet_gc``: postpone the garbage collector's full collections while the fan-out runs (they
    stop the loop for 100+ ms with a thousand sessions alive); ``gc_pauses_ms`` and
    ``loop_lag_ms`` in the result say how much the client itself stalled.

    ``token_for(user_id)`` returns a fresh token for that user (called on every connect attempt);
    by default tokens are minted with the local development secret, which only the embedded
    service accepts. ``expected_events`` is the number of critical events one run of the
    service's script emits, when known; otherwise it is inferred per run
    (:func:`expected_critical_events`). Never raises for a user's failure: it is counted.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from netra_diag.live.session import Session

    user_ids = _user_ids(users)
    if runs < 0:
        raise UsageError(f"runs must be >= 0, got {runs}")
    if ramp is not None and not (ramp > 0 and math.isfinite(ramp)):
        raise UsageError(f"ramp must be a positive number of users per second, got {ramp!r}")
    if connect_concurrency < 1:
        raise UsageError(f"connect_concurrency must be >= 1, got {connect_concurrency}")
    tokens = token_for or _local_tokens()
    if together is None:
        together = ramp is None
    out_dir = Path(record_dir) if record_dir is not None else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create record directory {out_dir}: {exc.strerror}") from exc
    nofile, _ = raise_nofile_limit(len(user_ids) * _FDS_PER_USER + 64)

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    states = [
        _UserState(user=u, index=i, intended_s=(i / ramp) if ramp else 0.0)
        for i, u in enumerate(user_ids)
    ]
    connect_slots = asyncio.Semaphore(connect_concurrency)
    bar = tqdm(
        total=len(user_ids) * runs,
        desc="fan-out",
        unit="run",
        disable=not progress,
        dynamic_ncols=True,
        leave=True,
    )
    counters: Counter[str] = Counter()
    lag: list[float] = []
    lag_task = asyncio.create_task(_sample_loop_lag(lag))

    cpu_start = time.process_time()
    cpu_connected: list[float] = []
    # every user has connected (or failed to)
    connected_gate = _Countdown(
        len(states), on_set=lambda: cpu_connected.append(time.process_time())
    )
    finished_gate = _Countdown(len(states))  # every user has finished its runs
    concurrency = {"open": 0, "peak": 0}

    async def one_user(st: _UserState) -> None:
        try:
            await _user_body(st)
        except Exception as exc:
            # Not a failure the session reports (those are counted where they happen) but a
            # bug or an untranslated error: one user's crash must not end the other users' runs,
            # and its class shows up in ``errors``.
            st.error_class = st.error_class or type(exc).__name__
            st.error = st.error or _error_text(exc)
            counters[type(exc).__name__] += 1
        finally:
            connected_gate.done(st)
            finished_gate.done(st)

    async def _user_body(st: _UserState) -> None:
        await _sleep_until(loop, t0 + st.intended_s)
        st.thread_id = f"thread-{st.user}"
        cassette = None
        if out_dir is not None:
            cassette = out_dir / f"{st.index:05d}-{_FILE_SAFE.sub('_', st.user)}.jsonl"
            st.cassette = str(cassette)
        user_labels = {**(labels or {}), "fanout_user": st.user, "fanout_index": str(st.index)}

        def token() -> str:
            tok = tokens(st.user)
            st.token_fp = fingerprint(tok)
            return tok

        async with contextlib.AsyncExitStack() as stack:
            async with connect_slots:
                st.actual_s = loop.time() - t0
                try:
                    async with asyncio.timeout(connect_timeout):
                        session = await stack.enter_async_context(
                            Session.connect(
                                url,
                                token=token,
                                transport=transport,
                                record=cassette,
                                labels=user_labels,
                            )
                        )
                except (NetraDiagError, OSError, TimeoutError) as exc:
                    st.error_class = type(exc).__name__
                    st.error = _error_text(exc)
                    counters[st.error_class] += 1
                    bar.update(runs)
                    return
                st.connected_s = loop.time() - t0
            concurrency["open"] += 1
            concurrency["peak"] = max(concurrency["peak"], concurrency["open"])
            st.server_user_id = session.user_id
            st.transport = session.transport
            connected_gate.done(st)
            if together:
                await connected_gate.wait()
            for r in range(runs):
                if r and pace_s > 0:
                    await asyncio.sleep(pace_s)
                message = message_for(st.user, r)
                st.contents.append(message)
                start = loop.time() - t0
                try:
                    record = await session.run(message, timeout=run_timeout, thread_id=st.thread_id)
                except NetraDiagError as exc:
                    st.run_rows.append(_failed_run(st, r, start, exc, expected_events))
                    counters[type(exc).__name__] += 1
                    bar.update(runs - r)
                    break
                st.records.append(record)
                st.run_rows.append(_run_row(st, r, start, record, expected_events))
                if record.outcome is not RunOutcome.COMPLETED:
                    counters[str(record.outcome)] += 1
                bar.update(1)
            # Hold the session open until every user is done, so all of them are concurrent.
            finished_gate.done(st)
            await finished_gate.wait()
            # Everything received, between runs too, where a leaked event may land.
            st.events.extend(session.history)
            concurrency["open"] -= 1

    try:
        with _collector_quiet(quiet_gc) as gc_pauses:
            await asyncio.gather(*(one_user(st) for st in states))
    finally:
        lag_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lag_task
        bar.close()
    elapsed = loop.time() - t0

    user_rows, run_rows = [], []
    for st in states:
        connect_ms = None
        if st.connected_s is not None and st.actual_s is not None:
            connect_ms = (st.connected_s - st.actual_s) * 1e3
        user_rows.append(
            {
                "user": st.user,
                "index": st.index,
                "token_fingerprint": st.token_fp or None,
                "server_user_id": st.server_user_id,
                "transport": st.transport,
                "intended_start_s": st.intended_s,
                "actual_start_s": st.actual_s,
                "start_lag_ms": None
                if st.actual_s is None
                else max(0.0, (st.actual_s - st.intended_s) * 1e3),
                "connect_ms": connect_ms,
                "connected": st.connected_s is not None,
                "runs_completed": sum(r.outcome is RunOutcome.COMPLETED for r in st.records),
                "error_class": st.error_class,
                "error": st.error,
                "cassette": st.cassette,
            }
        )
        rows = st.run_rows or []
        if st.connected_s is None:
            rows = [_not_started(st, r, expected_events) for r in range(runs)]
        elif len(rows) < runs:
            rows = rows + [_not_started(st, r, expected_events) for r in range(len(rows), runs)]
        run_rows.extend(rows)

    users_df = pd.DataFrame(user_rows, columns=list(USER_COLUMNS))
    runs_df = pd.DataFrame(run_rows, columns=list(RUN_COLUMNS))
    received = int(runs_df["critical_received"].fillna(0).sum()) if len(runs_df) else 0
    expected = int(runs_df["critical_expected"].fillna(0).sum()) if len(runs_df) else 0
    lost = int(runs_df["events_lost"].fillna(0).sum()) if len(runs_df) else 0
    starts = [st.actual_s for st in states if st.actual_s is not None]
    ends = [st.connected_s for st in states if st.connected_s is not None]
    connect_phase = (max(ends) - min(starts)) if starts and ends else 0.0
    isolation = check_isolation(
        [
            SessionView(
                user_id=st.user,
                server_user_id=st.server_user_id,
                events=st.events,
                thread_ids=_own_threads(st),
                contents=st.contents,
                label=st.user,
            )
            for st in states
            if st.connected_s is not None
        ]
    )
    return FanoutResult(
        url=_display_url(url),
        n_users=len(user_ids),
        n_runs_per_user=runs,
        users=users_df,
        runs=runs_df,
        isolation=isolation,
        errors=dict(counters),
        elapsed_s=elapsed,
        connect_phase_s=connect_phase,
        events_received=received,
        events_expected=expected,
        events_lost=lost,
        expected_known=expected_events is not None,
        record_dir=str(out_dir) if out_dir is not None else None,
        loop_lag_ms={"p50": _pct(lag, 0.5), "p99": _pct(lag, 0.99), "max": _pct(lag, 1.0)},
        nofile_limit=nofile,
        peak_concurrent=concurrency["peak"],
        gc_pauses_ms=_gc_summary(gc_pauses),
        connect_cpu_s=(cpu_connected[0] - cpu_start) if cpu_connected else None,
    )


def _user_ids(users: int | Sequence[str]) -> list[str]:
    if isinstance(users, int):
        if users < 1:
            raise UsageError(f"users must be >= 1, got {users}")
        width = max(4, len(str(users - 1)))
        return [f"fanout-user-{i:0{width}d}" for i in range(users)]
    ids = [str(u) for u in users]
    if not ids:
        raise UsageError("users must name at least one user")
    dupes = sorted(u for u, n in Counter(ids).items() if n > 1)
    if dupes:
        raise UsageError(f"user ids must be unique; repeated: {', '.join(dupes[:5])}")
    return ids


def _local_tokens() -> TokenFactory:
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    def token_for(user_id: str) -> str:
        return mint_token(user_id, key=LOCAL_DEV_SECRET, now=time.time())

    return token_for


def _display_url(url: str) -> str:
    from netra_diag.recording_format import redact_url

    return redact_url(url)


def _own_threads(st: _UserState) -> list[str]:
    threads = {st.thread_id} if st.thread_id else set()
    threads.update(r.thread_id for r in st.records if r.thread_id)
    return sorted(threads)


def _critical_in_run(record: RunRecord, thread_id: str) -> tuple[int, list[TimedEvent]]:
    """Critical events of this user's own thread (a leaked event of another user's run is not
    one of ours, and must not hide a loss)."""
    own = [
        e
        for e in record.events
        if e.type in CRITICAL_EVENTS and e.event.thread_id in (None, thread_id)
    ]
    return len(own), own


def _run_row(
    st: _UserState, r: int, start: float, record: RunRecord, expected_events: int | None
) -> dict[str, Any]:
    received, own = _critical_in_run(record, st.thread_id)
    expected = expected_events if expected_events is not None else expected_critical_events(own)
    first = record.first_event_s
    return {
        "user": st.user,
        "run": r,
        "outcome": str(record.outcome),
        "run_id": record.run_id,
        "thread_id": record.thread_id,
        "intended_start_s": st.intended_s,
        "start_s": start,
        "first_event_ms": None if first is None else first * 1e3,
        "duration_ms": record.duration_s * 1e3,
        "n_events": len(record.events),
        "critical_received": received,
        "critical_expected": expected,
        "events_lost": max(0, expected - received),
        "terminal": record.terminal,
        "close_code": record.close.code if record.close is not None else None,
        "error_class": None if record.ok else str(record.outcome),
        "error": record.error,
    }


def _failed_run(
    st: _UserState, r: int, start: float, exc: BaseException, expected_events: int | None
) -> dict[str, Any]:
    return {
        "user": st.user,
        "run": r,
        "outcome": "error",
        "intended_start_s": st.intended_s,
        "start_s": start,
        "n_events": 0,
        "critical_received": 0,
        "critical_expected": expected_events,
        "events_lost": expected_events,
        "error_class": type(exc).__name__,
        "error": _error_text(exc),
    }


def _not_started(st: _UserState, r: int, expected_events: int | None) -> dict[str, Any]:
    return {
        "user": st.user,
        "run": r,
        "outcome": "not_started",
        "intended_start_s": st.intended_s,
        "n_events": 0,
        "critical_received": 0,
        "critical_expected": expected_events,
        "events_lost": expected_events,
        "error_class": st.error_class or "not_started",
        "error": st.error,
    }
