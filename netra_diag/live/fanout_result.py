"""What a fan-out produced: ``FanoutResult`` (per-user and per-run DataFrames with stable
columns, totals, the isolation verdict, the client's own stalls), built from each user's tally by
``build_result``.

Pure apart from pandas (imported when a result is built): no sockets, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netra_diag.events.isolation import (
    IsolationReport,
    SessionView,
    check_isolation,
)
from netra_diag.live.fanout_judge import contract_errors, exercised, run_error_examples
from netra_diag.live.fanout_rows import (
    INTERRUPTED,
    NOT_ATTEMPTED,
    NOT_SENT,
    RUN_COLUMNS,
    USER_COLUMNS,
    UserState,
    not_sent_row,
    not_started_row,
    own_threads,
    user_row,
)
from netra_diag.live.fanout_text import summary_text
from netra_diag.live.records import RunOutcome

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FanoutResult", "build_result"]


@dataclass(frozen=True)
class FanoutResult:
    """Everything one fan-out produced.

    ``users``: one row per user (``USER_COLUMNS``); ``runs``: one row per run (``RUN_COLUMNS``),
    including runs never started because the user could not connect (outcome ``not_started``).
    ``errors`` counts errors by class: exception classes for failed connects, run outcomes other
    than ``completed`` for runs (a close by its code: ``closed 1011``), and the error findings of
    the event contract (``events.contracts.check_run`` over everything each session received,
    as ``probe`` and ``trace`` judge it) by rule: ``contract: oversized_frame``;
    ``contract_examples`` gives one finding of each rule, naming its user. Runs never sent
    because the user's connection had dropped already are ``runs_not_attempted``, outcome
    ``not_attempted``: nothing is counted lost for them. ``events_lost`` is expected minus
    received critical events, summed over runs; ``expected_known`` says whether the expectation
    came from the service's script (``expected_events``) or was inferred from the runs
    themselves. ``elapsed_s`` runs from the start of the ramp; ``prepare_s`` is the time before
    it (first tokens minted and cassette files created, off the connect path).

    ``interrupted``: the fan-out was stopped (``interrupted_by``: Ctrl-C, SIGTERM) before every
    user was done, and this is what was measured until then: the run each user had in flight is
    ``interrupted`` (what it received is counted, nothing lost), runs never sent are
    ``not_sent``, and users that had not connected yet are neither connected nor connect
    failures (error class ``interrupted``).
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
    prepare_s: float = 0.0
    contract_examples: Mapping[str, str] = field(default_factory=dict)
    # Users who got in only after ``auto`` was refused by other transports, and those refusals
    # counted ("header: closed 1008": 3).
    fallback_users: int = 0
    fallback_refusals: Mapping[str, int] = field(default_factory=dict)
    # Users the server let in as someone other than their token's sub (permissive auth), and
    # the ids it gave them: the tokens were not validated, as probe's auth verdict says.
    bypassed_as: tuple[str, ...] = ()
    interrupted: bool = False
    # What stopped an interrupted fan-out, as its summary's first line names it: the library
    # only sees a cancel; the command that caught the signal knows which one it was.
    interrupted_by: str = "Ctrl-C"

    @property
    def contract_errors(self) -> dict[str, int]:
        """Error findings of the event contract by rule (``oversized_frame``: 10)."""
        prefix = "contract: "
        return {k[len(prefix) :]: v for k, v in self.errors.items() if k.startswith(prefix)}

    @property
    def runs_not_attempted(self) -> int:
        """Runs never sent: the user's connection had dropped during an earlier run."""
        if not len(self.runs):
            return 0
        return int((self.runs["outcome"] == NOT_ATTEMPTED).sum())

    @property
    def runs_interrupted(self) -> int:
        """Runs in flight when the fan-out was interrupted."""
        return self._outcomes(INTERRUPTED)

    @property
    def runs_not_sent(self) -> int:
        """Runs never sent because the fan-out was interrupted first."""
        return self._outcomes(NOT_SENT)

    @property
    def users_not_started(self) -> int:
        """Users the interrupt came before they had connected (not connect failures)."""
        if not len(self.users):
            return 0
        stopped = ~self.users["connected"] & (self.users["error_class"] == INTERRUPTED)
        return int(stopped.sum())

    def _outcomes(self, outcome: str) -> int:
        return int((self.runs["outcome"] == outcome).sum()) if len(self.runs) else 0

    @property
    def sessions_connected(self) -> int:
        return int(self.users["connected"].sum()) if len(self.users) else 0

    @property
    def auth_refusals(self) -> dict[str, int]:
        """Users whose credentials the server refused when they connected, by how it refused
        them (``"closed 1008 'Authentication failed'"``, ``"HTTP 403"``): an authentication
        problem (wrong secret, profile or claims), not a connection failure."""
        if not len(self.users):
            return {}
        shown = self.users["auth_refused"].dropna()
        return {str(k): int(v) for k, v in shown.value_counts().items()}

    @property
    def auth_refused_example(self) -> str | None:
        """The first refused user's error, which quotes the server's last frames (its
        ``AUTH_FAILED`` message says what was wrong with the token)."""
        if not len(self.users):
            return None
        refused = self.users[self.users["auth_refused"].notna()]
        return None if refused.empty else f"{refused.iloc[0]['user']}: {refused.iloc[0]['error']}"

    @property
    def connect_failures(self) -> dict[str, int]:
        """Users that never connected for a reason other than refused credentials, by error
        class (``ConnectFailed``: 3): the service down, the wrong port or path, a timeout."""
        if not len(self.users):
            return {}
        failed = self.users[self._not_connected()]
        shown = failed["error_class"].fillna("unknown")
        return {str(k): int(v) for k, v in shown.value_counts().items()}

    @property
    def connect_failed_example(self) -> str | None:
        """The first such user's error ("could not connect to ...: Connect call failed"): the
        class alone does not say whether the port refused, the name did not resolve or the
        upgrade timed out."""
        if not len(self.users):
            return None
        failed = self.users[self._not_connected()]
        return None if failed.empty else f"{failed.iloc[0]['user']}: {failed.iloc[0]['error']}"

    def _not_connected(self) -> pd.Series:
        """Users that failed to connect: not refused (``auth_refusals``), not stopped by the
        interrupt before they got to."""
        users = self.users
        refused = users["auth_refused"].notna()
        return ~users["connected"] & ~refused & (users["error_class"] != INTERRUPTED)

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
        """All users connected, every run completed, nothing lost, no contamination (never for
        an interrupted fan-out: it did not do all it was asked)."""
        return (
            not self.interrupted
            and self.sessions_connected == self.n_users
            and self.runs_completed == self.runs_total
            and self.events_lost == 0
            and not self.contract_errors
            and self.isolation.verdict.value != "contaminated"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no DataFrames)."""
        return {
            "interrupted": self.interrupted,
            "interrupted_by": self.interrupted_by if self.interrupted else None,
            "url": self.url,
            "users": self.n_users,
            "runs_per_user": self.n_runs_per_user,
            "sessions_connected": self.sessions_connected,
            "runs_total": self.runs_total,
            "runs_completed": self.runs_completed,
            "runs_not_attempted": self.runs_not_attempted,
            "runs_interrupted": self.runs_interrupted,
            "runs_not_sent": self.runs_not_sent,
            "users_not_started": self.users_not_started,
            "events_received": self.events_received,
            "events_expected": self.events_expected,
            "events_lost": self.events_lost,
            "expected_known": self.expected_known,
            "errors": dict(self.errors),
            "run_error_examples": run_error_examples(self.runs),
            "contract": {"errors": self.contract_errors, "examples": dict(self.contract_examples)},
            "auth_failures": {
                "users": sum(self.auth_refusals.values()),
                "reasons": self.auth_refusals,
                "example": self.auth_refused_example,
            },
            "connect_failures": {
                "users": sum(self.connect_failures.values()),
                "classes": self.connect_failures,
                "example": self.connect_failed_example,
            },
            "auth_bypassed": {
                "users": len(self.bypassed_as),
                "server_ids": sorted(set(self.bypassed_as)),
            },
            "auto_fallback": {
                "users": self.fallback_users,
                "refused": dict(self.fallback_refusals),
            },
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
            "prepare_s": round(self.prepare_s, 4),
            "loop_lag_ms": dict(self.loop_lag_ms),
            "gc_pauses_ms": dict(self.gc_pauses_ms),
            "record_dir": self.record_dir,
        }

    def summary(self) -> str:
        """The plain-text summary ``netra-diag fanout`` prints (``live.fanout_text``)."""
        return summary_text(self)


def build_result(
    states: Sequence[UserState],
    *,
    url: str,
    runs: int,
    expected_events: int | None,
    errors: Mapping[str, int],
    elapsed_s: float,
    record_dir: str | None,
    loop_lag_ms: Mapping[str, float],
    gc_pauses_ms: Mapping[str, float],
    nofile_limit: int | None,
    peak_concurrent: int,
    connect_cpu_s: float | None,
    prepare_s: float = 0.0,
    interrupted: bool = False,
) -> FanoutResult:
    """The DataFrames, totals and isolation verdict from every user's tally (``interrupted``:
    stopped before every user was done; see ``FanoutResult``)."""
    import pandas as pd

    user_rows: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    for st in states:
        stopped = st.interrupted and st.connected_s is None and st.error_class is None
        user_rows.append(user_row(st))
        if stopped:  # not a failure to connect: the user never got to
            user_rows[-1].update(error_class=INTERRUPTED, error="interrupted before it connected")
        rows = st.run_rows or []
        if stopped:
            rows = [not_sent_row(st, r) for r in range(runs)]
        elif st.connected_s is None:
            rows = [not_started_row(st, r, expected_events) for r in range(runs)]
        elif len(rows) < runs and st.interrupted:
            rows = rows + [not_sent_row(st, r) for r in range(len(rows), runs)]
        elif len(rows) < runs:
            rows = rows + [not_started_row(st, r, expected_events) for r in range(len(rows), runs)]
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
                thread_ids=own_threads(st),
                contents=st.contents,
                label=st.user,
            )
            for st in states
            if st.connected_s is not None
        ]
    )
    isolation = exercised(isolation, states)
    contract, examples = contract_errors(states, isolation)
    fallback_refusals: dict[str, int] = {}
    for st in states:
        for refused in st.refused_first:
            fallback_refusals[refused] = fallback_refusals.get(refused, 0) + 1
    all_errors = {**errors, **{f"contract: {rule}": n for rule, n in contract.items()}}
    return FanoutResult(
        url=url,
        n_users=len(states),
        n_runs_per_user=runs,
        users=users_df,
        runs=runs_df,
        isolation=isolation,
        errors=all_errors,
        elapsed_s=elapsed_s,
        connect_phase_s=connect_phase,
        events_received=received,
        events_expected=expected,
        events_lost=lost,
        expected_known=expected_events is not None,
        record_dir=record_dir,
        loop_lag_ms=dict(loop_lag_ms),
        nofile_limit=nofile_limit,
        peak_concurrent=peak_concurrent,
        gc_pauses_ms=dict(gc_pauses_ms),
        connect_cpu_s=connect_cpu_s,
        prepare_s=prepare_s,
        contract_examples=examples,
        bypassed_as=tuple(st.bypassed_as for st in states if st.bypassed_as is not None),
        fallback_users=sum(1 for st in states if st.refused_first),
        fallback_refusals=fallback_refusals,
        interrupted=interrupted,
    )
