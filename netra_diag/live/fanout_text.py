"""The plain-text summary of a fan-out (``FanoutResult.summary``): one line per measure, the
failure lines only when there is something to say, and a first line that says when the run was
interrupted, so that a partial result is never read as a whole one.

Pure: no sockets, no clock, no pandas beyond the result's own properties.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from netra_diag.live.endpoint import upgrade_hint
from netra_diag.live.fanout_judge import run_error_examples
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.live.fanout_result import FanoutResult

__all__ = ["summary_text"]

_REFUSED_WITH = re.compile(r" refused with HTTP (\d{3})\b")


def summary_text(self: FanoutResult) -> str:
    """Every line of the summary (``self`` is the result, as in the method it serves)."""
    lost = f"{self.events_lost} of {self.events_expected} expected critical events lost"
    if not self.expected_known:
        lost += " (expectation inferred from the runs)"
    if not self.expected_known and not self.events_expected and not self.events_received:
        # Nothing to infer from: "0 of 0 lost" read as a clean result.
        lost = "no run got far enough to say how many were expected"
    elif not self.expected_known and not self.events_received and self.runs_total:
        # Nothing seen: the count is the protocol's minimum per run (started, one thinking
        # step, completed), not a measure; "9 of 9 lost" read as counted events.
        lost = (
            "none in any run (each should have had at least agent_started, one "
            "agent_thinking and agent_completed)"
        )
    errors = ", ".join(f"{k} ×{v}" for k, v in sorted(self.errors.items())) or "none"
    not_run = _not_run(self)
    waiting = self.users_not_started
    lines = [
        f"fan-out {plural(self.n_users, 'user')} × {plural(self.n_runs_per_user, 'run')} "
        f"against {self.url}"
        + (
            f": INTERRUPTED ({self.interrupted_by}) after {self.elapsed_s:.2f} s, "
            "what was measured until then"
            if self.interrupted
            else ""
        ),
        f"  sessions connected: {self.sessions_connected}/{self.n_users} "
        f"({self.connect_rate:.0f}/s over {self.connect_phase_s:.2f} s; "
        f"{self.peak_concurrent} open at once"
        + (f"; {waiting} not connected yet when interrupted" if waiting else "")
        + ")",
        f"  runs completed:     {self.runs_completed}/{self.runs_total}"
        + (f" ({'; '.join(not_run)})" if not_run else ""),
        f"  events:             {self.events_received} critical received; {lost}",
        f"  errors by class:    {errors}",
        *(f"    e.g. {example[:300]}" for example in run_error_examples(self.runs).values()),
        *(f"    e.g. {example[:300]}" for example in self.contract_examples.values()),
        *_connect_lines(self),
        *_auth_lines(self),
        *_bypass_lines(self),
        *_fallback_lines(self),
        *("  " + line for line in self.isolation.summary().splitlines()),
        f"  elapsed:            {self.elapsed_s:.2f} s"
        + (f" (+ {self.prepare_s:.2f} s preparing)" if self.prepare_s >= 0.005 else ""),
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


def _not_run(self: FanoutResult) -> list[str]:
    """The runs that were neither completed nor failed, by why: so that the runs line, with the
    error classes, accounts for every run."""
    out = []
    if self.runs_not_attempted:
        out.append(f"{self.runs_not_attempted} not attempted: the user's connection had dropped")
    if self.runs_interrupted:
        out.append(f"{self.runs_interrupted} in flight when interrupted")
    if self.runs_not_sent:
        out.append(f"{self.runs_not_sent} not sent: interrupted first")
    return out


def _bypass_lines(self: FanoutResult) -> list[str]:
    if not self.bypassed_as:
        return []
    ids = sorted(set(self.bypassed_as))
    shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
    return [
        f"  auth bypassed:      {len(self.bypassed_as)} of {self.n_users} users were let in "
        f"as someone other than their token's sub ({shown}): permissive auth (DEMO/RELAXED/"
        "EMERGENCY) did not validate the tokens, so the run proves nothing about them"
    ]


def _fallback_lines(self: FanoutResult) -> list[str]:
    if not self.fallback_users:
        return []
    how = ", ".join(f"{k} ×{v}" for k, v in sorted(self.fallback_refusals.items()))
    return [
        f"  auto fallback:      {self.fallback_users} of {self.n_users} users got in only "
        f"after the server refused another transport ({how}): a transport this service "
        "does not take, or credentials refused now and then; the sessions were judged on "
        "the transport kept"
    ]


def _connect_lines(self: FanoutResult) -> list[str]:
    failures = self.connect_failures
    if not failures:
        return []
    how = ", ".join(f"{k} ×{v}" for k, v in sorted(failures.items()))
    lines = [f"  not connected:      {sum(failures.values())} of {self.n_users} users ({how})"]
    example = self.connect_failed_example
    if example:
        lines.append(f"    e.g. {example[:600]}")
        # (the HTTP status of a refused upgrade, as HandshakeRejected words it)
        status = _REFUSED_WITH.search(example)
        hint = upgrade_hint(int(status.group(1))) if status else None
        if hint and set(failures) == {"HandshakeRejected"}:
            lines.append(f"    hint: {hint}")
    return lines


def _auth_lines(self: FanoutResult) -> list[str]:
    refusals = self.auth_refusals
    if not refusals:
        return []
    n = sum(refusals.values())
    how = ", ".join(f"{k} ×{v}" for k, v in sorted(refusals.items()))
    lines = [
        f"  auth failed:        {n} of {self.n_users} users: the server refused the "
        f"credentials ({how}); check the secret, --profile and claims "
        "(netra-diag token verify), and that the service takes credentials by this transport "
        "(--transport auto tries each; the reason below says which it refused)"
    ]
    example = self.auth_refused_example
    if example:
        lines.append(f"    e.g. {example[:600]}")
    return lines
