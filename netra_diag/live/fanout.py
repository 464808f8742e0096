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
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from netra_diag.errors import NetraDiagError
from netra_diag.live.auth_verdict import auth_refusal
from netra_diag.live.endpoint import check_endpoint
from netra_diag.live.fanout_late import count_late_events
from netra_diag.live.fanout_prep import (
    TokenFactory,
    cassette_path,
    check_numbers,
    display_url,
    local_secret,
    local_tokens,
    premint,
    record_folder,
    reserve,
)
from netra_diag.live.fanout_result import FanoutResult, build_result
from netra_diag.live.fanout_rows import (
    RUN_COLUMNS,
    USER_COLUMNS,
    UserState,
    close_class,
    error_text,
    expected_critical_events,
    failed_run_row,
    full_user_id,
    interrupted_row,
    not_attempted_row,
    refused_attempts,
    run_row,
    user_ids_for,
)
from netra_diag.live.fanout_runtime import (
    Countdown,
    collector_quiet,
    gc_summary,
    lag_summary,
    raise_nofile_limit,
    sample_loop_lag,
    sleep_until,
)
from netra_diag.live.handshake import AUTO_ORDER
from netra_diag.live.records import RunOutcome
from netra_diag.live.token_facts import forget_prepared, prepare_tokens
from netra_diag.recording import ReservedCassette
from netra_diag.redaction import fingerprint

__all__ = [
    "PREMINT_HORIZON_S",
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

if TYPE_CHECKING:
    from netra_diag.live.session import Session

MessageFactory = Callable[[str, int], str]  # message_for(user_id, run_index) -> message text
# Users released within this many seconds of the start get their first token before the ramp;
# every token profile lives at least 5 minutes (PROTOCOL.md §3), so none nears its expiry.
PREMINT_HORIZON_S = 60.0
# Descriptors one user costs in this process: its socket, its cassette, and, when the service is
# embedded in the same process, the server's end of the socket.
_FDS_PER_USER = 3


def default_message(user_id: str, run_index: int) -> str:
    """A request unique to (user, run) and short enough (< 80 characters) that the service's
    echo of it (``user_request``, ``final_response``) contains it whole: the content half of the
    isolation check depends on that."""
    return f"fan-out check {user_id} run {run_index}: summarise cost anomalies"


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
    quiet_gc: bool = False,
    secrets: Sequence[str] = (),
    on_interrupt: Callable[[FanoutResult], object] | None = None,
) -> FanoutResult:
    """Open one session per user (``users``: a count, or the user ids), release them at ``ramp``
    users per second (``None``: all at once, bounded by ``connect_concurrency``), run
    ``runs`` requests on each, sequentially, ``pace_s`` apart, and check isolation.

    ``together``: start the runs only once every user has connected (default when there is no
    ramp), so the connect phase is measured on its own and all runs really overlap; otherwise
    each user starts running as soon as it is connected (default with a ramp). Either way every
    session stays open until the last user is done, so ``peak_concurrent`` reaches ``users``.

    ``quiet_gc``: switch the cyclic garbage collector off while the fan-out runs (a full
    collection stops the loop for 100+ ms with a thousand sessions alive, and young ones cost
    0.1 ms of CPU per session, see ``fanout_runtime.collector_quiet``); ``gc_pauses_ms`` and
    ``loop_lag_ms`` in the result say how much the client itself stalled. Off by default: it
    changes process-wide collector state, which only the owner of the process should do (a
    Jupyter kernel that ran a fan-out with it on was seen to lose a cell's reply afterwards).
    ``netra-diag fanout`` and the benchmarks, which own their process, turn it on.

    ``token_for(user_id)`` returns a fresh token for that user; by default tokens are minted with
    the local development secret, which only the embedded service accepts. It is called before
    the ramp for the first connect attempt of every user released within ``PREMINT_HORIZON_S``
    (so the connect phase measures connects, not JWT signing; those tokens' claims are decoded
    there too, ``live.token_facts``), and again on every later attempt (another transport, a
    reconnect). Cassette files are created before the ramp too
    (``netra_diag.recording.reserve_cassettes``); ``prepare_s`` in the result is that time.

    ``secrets``: secrets to keep out of every cassette besides the tokens (the key
    ``token_for`` signs with: a message or the server's echo may quote it), as
    ``Session.connect`` takes them.

    ``expected_events`` is the number of critical events one run of the service's script emits,
    when known; otherwise it is inferred per run (:func:`expected_critical_events`). Never
    raises for a user's failure: it is counted.

    ``on_interrupt``: when the fan-out is cancelled once its ramp has begun (Ctrl-C under
    ``asyncio.run`` cancels the main task), every user stops where it is and closes its session,
    and this is called with what was measured until then (``FanoutResult.interrupted``: runs
    done, the run each user had in flight, runs never sent) before the cancellation goes on.
    """
    from tqdm.auto import tqdm

    from netra_diag.live.session import Session

    check_endpoint(url)
    user_ids = user_ids_for(users)
    check_numbers(
        runs=runs,
        run_timeout=run_timeout,
        connect_timeout=connect_timeout,
        ramp=ramp,
        connect_concurrency=connect_concurrency,
    )
    tokens = token_for or local_tokens()
    given_secrets = tuple(secrets) if token_for else (*secrets, local_secret())
    if together is None:
        together = ramp is None
    out_dir = record_folder(record_dir)
    nofile, _ = raise_nofile_limit(len(user_ids) * _FDS_PER_USER + 64)

    loop = asyncio.get_running_loop()
    states = [
        UserState(user=u, index=i, intended_s=(i / ramp) if ramp else 0.0)
        for i, u in enumerate(user_ids)
    ]
    prepare_start = loop.time()
    first_tokens = premint(states, tokens, PREMINT_HORIZON_S)
    preminted = list(first_tokens.values())
    # What a session works out from its first token (claims, fingerprint, first handshake).
    prepare_tokens(preminted, url, AUTO_ORDER[0] if transport == "auto" else transport)
    reserved = await reserve(states, out_dir)
    t0 = loop.time()
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
    lag_task = asyncio.create_task(sample_loop_lag(lag))

    cpu_start = time.process_time()
    cpu_connected: list[float] = []
    # every user has connected (or failed to)
    connected_gate = Countdown(
        len(states), on_set=lambda: cpu_connected.append(time.process_time())
    )
    finished_gate = Countdown(len(states))  # every user has finished its runs
    concurrency = {"open": 0, "peak": 0}

    async def one_user(st: UserState) -> None:
        try:
            await _user_body(st)
        except asyncio.CancelledError:
            st.interrupted = True  # summarised as stopped by the user, not as failed
            raise
        except Exception as exc:
            # Not a failure the session reports (those are counted where they happen) but a
            # bug or an untranslated error: one user's crash must not end the other users' runs,
            # and its class shows up in ``errors``.
            st.error_class = st.error_class or type(exc).__name__
            st.error = st.error or error_text(exc)
            counters[type(exc).__name__] += 1
        finally:
            connected_gate.done(st.index)
            finished_gate.done(st.index)

    async def _user_body(st: UserState) -> None:
        await sleep_until(loop, t0 + st.intended_s)
        st.thread_id = f"thread-{st.user}"
        cassette: Path | ReservedCassette | None = None
        if out_dir is not None:
            cassette = reserved.get(st.index) or cassette_path(out_dir, st)
            st.cassette = str(cassette_path(out_dir, st))
        user_labels = {**(labels or {}), "fanout_user": st.user, "fanout_index": str(st.index)}
        first = first_tokens.pop(st.index, None)
        issued: str | None = None

        def token() -> str:
            # The pre-minted token serves the first attempt only: every later attempt (another
            # transport, a reconnect) gets a fresh one from the factory.
            nonlocal first, issued
            tok = first if first is not None else tokens(st.user)
            first = None
            issued = tok
            return tok

        async with connect_slots:
            st.actual_s = loop.time() - t0
            try:
                async with asyncio.timeout(connect_timeout):
                    session = await Session.connect(
                        url,
                        token=token,
                        transport=transport,
                        record=cassette,
                        labels=user_labels,
                        secrets=given_secrets,
                    )
            except (NetraDiagError, OSError, TimeoutError) as exc:
                st.error_class = type(exc).__name__
                st.error = error_text(exc)
                st.auth_refused = auth_refusal(exc)
                st.token_fp = fingerprint(issued) if issued else ""
                counters[st.error_class] += 1
                bar.update(runs)
                return
            st.connected_s = loop.time() - t0
        try:
            await _run_user(st, session)
        finally:
            # The token the session used last (a reconnect's fresh one, if any): its fingerprint
            # was worked out for the cassette header already.
            st.token_fp = session.token_fingerprint or ""
            await session.close()

    async def _run_user(st: UserState, session: Session) -> None:
        concurrency["open"] += 1
        concurrency["peak"] = max(concurrency["peak"], concurrency["open"])
        try:
            await _runs_of(st, session)
        finally:
            # Everything received, between runs too, where a leaked event may land (on the
            # socket kept: not the refusals of the transports auto tried before it); after an
            # interrupt too, so that the partial summary judges what did arrive.
            st.events.extend(session.own_history)
            count_late_events(st, expected_events)
            st.bypassed_as = full_user_id(st.bypassed_as, st.events)
            concurrency["open"] -= 1

    async def _runs_of(st: UserState, session: Session) -> None:
        st.server_user_id = session.user_id
        st.transport = session.transport
        st.refused_first = refused_attempts(session.attempts)
        if session.auth.bypass:
            st.bypassed_as = session.auth.server_user_id or "?"
        st.establish_timeouts = [m for m in session.marks if m.name == "establish_timeout"]
        connected_gate.done(st.index)
        if together:
            await connected_gate.wait()
        for r in range(runs):
            if r and session.closed_for_good():
                # The connection dropped during an earlier run (counted there by its close):
                # the runs left were never sent, which is not the same as losing their events.
                info = session.close_info
                code = info.code if info is not None else None
                st.run_rows.extend(not_attempted_row(st, k, code) for k in range(r, runs))
                bar.update(runs - r)
                break
            if r and pace_s > 0:
                await asyncio.sleep(pace_s)
            message = message_for(st.user, r)
            st.contents.append(message)
            start = loop.time() - t0
            seen = len(session.history)  # frames are numbered in arrival order from 0
            try:
                record = await session.run(message, timeout=run_timeout, thread_id=st.thread_id)
            except asyncio.CancelledError:
                got = [te for te in session.own_history if te.index >= seen]
                st.run_rows.append(interrupted_row(st, r, start, got))
                raise
            except NetraDiagError as exc:
                st.run_rows.append(failed_run_row(st, r, start, exc, expected_events))
                counters[type(exc).__name__] += 1
                bar.update(runs - r)
                break
            st.records.append(record)
            st.run_rows.append(run_row(st, r, start, record, expected_events))
            if record.outcome is RunOutcome.CLOSED:
                info = record.close or session.close_info
                counters[close_class(info.code if info is not None else None)] += 1
            elif record.outcome is not RunOutcome.COMPLETED:
                counters[str(record.outcome)] += 1
            bar.update(1)
        # A frame the server sends right after a terminal event (an event after it, an
        # oversized one) is part of what the contract checks judge: let it arrive.
        await session.read_until_quiet()  # a frame right behind a terminal event is judged
        # Hold the session open until every user is done, so all of them are concurrent.
        finished_gate.done(st.index)
        await finished_gate.wait()

    cancelled: asyncio.CancelledError | None = None
    try:
        with collector_quiet(quiet_gc) as gc_pauses:
            users_done = [asyncio.create_task(one_user(st)) for st in states]
            try:
                await asyncio.gather(*users_done)
            except asyncio.CancelledError as exc:
                # gather ends with its first cancelled child: wait for every user to stop and
                # close its session, so that what each one did is all in its state.
                await asyncio.wait(users_done)
                if on_interrupt is None:
                    raise
                cancelled = exc
    finally:
        for item in reserved.values():
            item.release()  # a user that never started leaves no hidden file behind
        forget_prepared(preminted)  # the tokens of users that never connected
        lag_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lag_task
        bar.close()
    elapsed = loop.time() - t0
    result = build_result(
        states,
        url=display_url(url),
        runs=runs,
        expected_events=expected_events,
        errors=counters,
        elapsed_s=elapsed,
        record_dir=str(out_dir) if out_dir is not None else None,
        loop_lag_ms=lag_summary(lag),
        gc_pauses_ms=gc_summary(gc_pauses),
        nofile_limit=nofile,
        peak_concurrent=concurrency["peak"],
        connect_cpu_s=(cpu_connected[0] - cpu_start) if cpu_connected else None,
        prepare_s=t0 - prepare_start,
        interrupted=cancelled is not None,
    )
    if cancelled is not None and on_interrupt is not None:
        on_interrupt(result)
        raise cancelled
    return result
