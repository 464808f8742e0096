"""Judge a recorded investigation (no network): contracts, latency, injected vs diagnosed, triage.

The verdicts are the library's own (``events.contracts``, ``latency``, ``suites.triage``,
``live.judge_auth``); this module turns them into the report's required checks
(:class:`~netra_diag.report.summary.Check`) and one headline, worst first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_diag.investigation.collect import COLLECTION_FILE, FAULT_LOG
from netra_diag.investigation.inputs import damage_caveat, find_cassettes
from netra_diag.report.summary import Check, CheckKind, exit_code_for
from netra_diag.wording import plural

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Investigation", "analyse", "bundled_suite"]


def bundled_suite(name: str) -> Path:
    """A bundled suite result (``current`` or ``baseline``): JUnit XML of the service's
    golden-path, auth-flow and mission-critical suites as PROTOCOL.md §10 describes them."""
    path = resources.files("netra_diag").joinpath("data", "suites", f"{name}.xml")
    return Path(str(path))


@dataclass
class Investigation:
    """Everything :func:`analyse` found; ``checks`` are the report's required checks."""

    record_dir: Path
    streams: list[Any]
    contracts: dict[str, Any]  # cassette name -> ContractReport
    frames: Any  # recording.Frames(frames, events, runs)
    metrics: pd.DataFrame
    latency: Any  # LatencySummary
    sla: Any  # SlaReport
    injected: pd.DataFrame
    collection: Mapping[str, Any]
    triage: Any = None  # TriageReport, or None without suite results
    checks: tuple[Check, ...] = ()
    headline: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # lines the loader skipped, by cassette

    @property
    def exit_code(self) -> int:
        return int(exit_code_for(self.checks))

    def findings_frame(self) -> pd.DataFrame:
        """Every contract finding of every cassette, worst first, with its cassette."""
        import pandas as pd

        parts = []
        for name, report in self.contracts.items():
            frame = report.to_frame()
            if len(frame):
                frame.insert(0, "cassette", name)
                parts.append(frame)
        if not parts:
            return pd.DataFrame(columns=["cassette", "rule", "severity", "run", "message"])
        combined: pd.DataFrame = pd.concat(parts, ignore_index=True)
        return combined

    def to_summary(self) -> dict[str, Any]:
        """JSON-ready verdicts and counts (what ``report.Summary`` records)."""
        failing = [n for n, r in self.contracts.items() if not r.ok]
        return {
            "headline": self.headline,
            "checks": [c.to_dict() for c in self.checks],
            "sessions": len(self.streams),
            "contracts": {
                "failing_sessions": len(failing),
                "findings_by_rule": self.findings_frame()["rule"]
                .astype(str)
                .value_counts()
                .to_dict(),
            },
            "sla": self.sla.to_dict() if self.sla is not None else None,
            **_injected_counts(self.injected),
            "fanout": dict(self.collection.get("fanout", {})),
            "triage": self.triage.to_dict() if self.triage is not None else None,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


def _injected_counts(injected: pd.DataFrame) -> dict[str, Any]:
    """The summary's fault counts. ``injected_faults`` counts only the faults the recording can
    show (a diagnosis could have seen them); the rest are ``injected_unobservable``, by fault and
    event (``"drop_event (agent_thinking)"``): neither counted as diagnosed nor as missed."""
    if not len(injected):
        return {
            "injected_faults": 0,
            "injected_detected": 0,
            "injected_missed": {},
            "injected_by_fault": {},
            "injected_unobservable": {},
        }
    seen = injected[injected["observable"]]
    hidden = injected[~injected["observable"]]
    return {
        "injected_faults": len(seen),
        "injected_detected": int(seen["detected"].sum()),
        # which kinds of fault went undiagnosed, and how often
        "injected_missed": seen.loc[~seen["detected"], "fault"]
        .astype(str)
        .value_counts()
        .to_dict(),
        "injected_by_fault": seen["fault"].astype(str).value_counts().to_dict(),
        "injected_unobservable": _fault_names(hidden).value_counts().to_dict(),
    }


def _fault_names(injected: pd.DataFrame) -> pd.Series:
    """``drop_event (agent_thinking)``: a fault with the event it hit, when the log names one."""
    events = injected["event_type"].fillna("").astype(str)
    names = injected["fault"].astype(str)
    return names.where(events == "", names + " (" + events + ")")


def _injected_frame(
    record_dir: Path | None,
    collection: Mapping[str, Any],
    findings: Any,
    metrics: Any,
    streams: Sequence[Any] = (),
) -> Any:
    """What the service injected (the collection's list, else its fault log in ``record_dir``),
    and how the diagnosis saw it (:func:`~netra_diag.investigation.injected.injected_frame`)."""
    from netra_diag.emulator import FaultPlan
    from netra_diag.investigation.injected import injected_frame

    rows = list(collection.get("injected", ()))
    if not rows and record_dir is not None and (record_dir / FAULT_LOG).is_file():
        lines = (record_dir / FAULT_LOG).read_text("utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    faults = str((collection.get("config") or {}).get("faults", ""))
    stall_ms = FaultPlan.parse(faults).stall_s * 1000 if faults else float("inf")
    return injected_frame(rows, findings, metrics, stall_ms=stall_ms, streams=streams)


def _auth_check(collection: Mapping[str, Any]) -> Check:
    from netra_diag.live import judge_auth

    users = list(collection.get("fanout_users", ()))
    turn_auth = (collection.get("turn") or {}).get("auth") or {}
    verdicts = [
        judge_auth(u.get("server_user_id"), u.get("user")) for u in users if u.get("connected")
    ]
    bypass = sum(v.bypass for v in verdicts) + bool(turn_auth.get("bypass"))
    unknown = sum(v.validated is None for v in verdicts)
    total = len(verdicts) + bool(turn_auth)
    if bypass:
        return Check(
            "auth", CheckKind.AUTH, False, f"auth bypassed on {bypass} of {total} sessions"
        )
    if unknown:
        detail = (
            f"auth not judged on {unknown} of {plural(total, 'session')}: no server user id "
            "reported"
        )
        # Not judged is not failed (exit 0, status 'not verified'), as from the cassettes.
        return Check("auth", CheckKind.AUTH, True, detail, verified=False)
    detail = f"token sub matched the server user on all {plural(total, 'session')}"
    fallback = dict((collection.get("fanout") or {}).get("auto_fallback") or {})
    if fallback.get("users"):
        # Not a failure (a service may take credentials on some transports only), but a
        # transport that refused a valid token is the first thing to look at.
        refused = ", ".join(f"{how} ×{n}" for how, n in sorted(fallback["refused"].items()))
        detail += (
            f"; {plural(int(fallback['users']), 'session')} got in only on a later transport "
            f"after a refusal ({refused})"
        )
    return Check("auth", CheckKind.AUTH, True, detail)


def analyse(
    record_dir: str | os.PathLike[str],
    *,
    sla: str = "service",
    results: Sequence[str | os.PathLike[str]] | None = None,
    baseline: Sequence[str | os.PathLike[str]] | None = None,
) -> Investigation:
    """Judge what :func:`collect` (or any fan-out with ``--record``) left in ``record_dir``,
    or the cassettes it names (one file, or comma-separated files: judged on their own, without
    their folder's fan-out summary and fault log).

    ``sla``: a bundled SLA name or a TOML path. ``results``/``baseline``: suite result files to
    triage (JUnit XML or pytest JSON); ``[]`` to skip triage; ``None`` (not given): the bundled
    example and its baseline for recordings :func:`collect` made against the embedded reference
    service (``netra-diag demo``), and for any other recordings no triage but a ``new_failures``
    check that is *not verified* (the bundled example's failures are not theirs).
    """
    from netra_diag.errors import RecordingError
    from netra_diag.events.contracts import check_run
    from netra_diag.events.sources import load_cassette_stream
    from netra_diag.latency import evaluate_sla, load_sla, phase_metrics, summarize_latency
    from netra_diag.recording import load_frames
    from netra_diag.suites.merge import require_directory

    parts = [p.strip() for p in str(record_dir).split(",") if p.strip()]
    if len(parts) > 1 or (parts and Path(parts[0]).expanduser().is_file()):
        # Cassettes named one by one: what their folder says about a whole collection (its
        # fan-out summary, its fault log) is not theirs; they are judged on their own.
        cassettes = find_cassettes(str(record_dir))
        collection: dict[str, Any] = {}
        folder, fault_dir = cassettes[0].parent, None
    else:
        folder = require_directory(record_dir, "recordings")
        # An empty folder is refused (UsageError naming the parameter), not an empty
        # investigation.
        cassettes = [p for p in find_cassettes(folder) if p.name != FAULT_LOG]
        collection_path = folder / COLLECTION_FILE
        collection = (
            json.loads(collection_path.read_text("utf-8")) if collection_path.is_file() else {}
        )
        fault_dir = folder
    # The loader skips lines it cannot read; each is a warning the report shows. A file that is
    # no cassette at all is skipped the same way when others are there to read.
    damage: list[str] = []
    streams = []
    readable: list[Path] = []
    for path in cassettes:
        try:
            streams.append(load_cassette_stream(path))
            readable.append(path)
        except RecordingError as exc:
            if len(cassettes) < 2 or (path == cassettes[-1] and not streams):
                raise  # (nothing readable at all: say what is wrong with it)
            damage.append(f"{exc}: skipped")
    contracts = {s.label: check_run(s.events, context=s.context()) for s in streams}
    frames = load_frames(readable, on_warning=damage.append)
    metrics = phase_metrics(frames.frames)
    inv = Investigation(
        record_dir=folder,
        streams=streams,
        contracts=contracts,
        frames=frames,
        metrics=metrics,
        latency=summarize_latency(metrics),
        sla=evaluate_sla(load_sla(sla), metrics),
        injected=None,  # type: ignore[arg-type]  # filled below, needs the findings
        collection=collection,
    )
    inv.injected = _injected_frame(fault_dir, collection, inv.findings_frame(), metrics, streams)
    suite_given = results is not None
    if results is None and collection.get("embedded_service") is True:
        # The demo's own recording: the bundled example is the demo's suite. Anyone else's
        # recordings are never graded against it (its failures are not theirs).
        results, baseline = [bundled_suite("current")], [bundled_suite("baseline")]
    if results:
        from netra_diag.suites.triage import triage

        inv.triage = triage(list(results), baseline=list(baseline) if baseline else None)
    inv.warnings = damage
    inv.checks = _checks(inv) + (() if suite_given or inv.triage else (_NO_RESULTS,))
    inv.headline = _headline(inv)
    return inv


# results=None for recordings not made against the embedded service: no suite to triage.
_NO_RESULTS = Check(
    "new_failures",
    CheckKind.NEW_FAILURES,
    True,
    "no results given (-p results FILE triages your suite; -p results none leaves this check out)",
    verified=False,
)


def _checks(inv: Investigation) -> tuple[Check, ...]:
    from netra_diag.investigation.cassette_checks import cassette_checks
    from netra_diag.investigation.contract_check import contract_check

    fan = dict(inv.collection.get("fanout", {}))
    checks: list[Check] = []
    if fan:
        users, connected = int(fan.get("users", 0)), int(fan.get("sessions_connected", 0))
        # The agent turn is a session too (its cassette is checked with the fan-out's): count
        # it here as the contracts and auth checks do, so every check counts the same sessions.
        turn = 1 if (inv.collection.get("turn") or {}) else 0
        detail = f"{connected + turn} of {plural(users + turn, 'session')} connected" + (
            f" ({plural(users, 'fan-out user')} and the agent turn)" if turn else ""
        )
        checks.append(Check("infrastructure", CheckKind.INFRASTRUCTURE, connected == users, detail))
        checks.append(_auth_check(inv.collection))
    # Without a fan-out summary, infrastructure, auth and isolation are read from the cassettes.
    from_cassettes = [] if fan else cassette_checks(inv.streams, inv.contracts)
    checks += [c for c in from_cassettes if c.name != "isolation"]
    checks += contract_check(inv.streams, inv.contracts)
    isolation = dict(fan.get("isolation") or {})
    if isolation.get("verdict"):
        verdict = isolation["verdict"]
        notes = [str(r) for r in isolation.get("reasons", ())]
        if verdict == "contaminated":
            # The evidence first: the verdict's notes alone (ids "not checked") read as if the
            # contamination were what was not checked.
            notes.insert(0, _contamination_evidence(inv, int(isolation.get("findings") or 0)))
        reasons = "; ".join(note for note in notes if note)
        detail = f"cross-user isolation: {verdict}" + (f" ({reasons})" if reasons else "")
        # "cannot judge" (one user, or users the server cannot tell apart) is no failure:
        # the check is not verified, as when it is read from the cassettes.
        judged = verdict in ("isolated", "contaminated")
        passed = verdict != "contaminated"
        checks.append(Check("isolation", CheckKind.CONTRACT, passed, detail, verified=judged))
    checks += [c for c in from_cassettes if c.name == "isolation"]
    required_missing = any(r.check.required for r in inv.sla.missing)
    checks.append(
        Check(
            "sla",
            CheckKind.SLA,
            not inv.sla.breached,
            inv.sla.headline,
            # A pass on a handful of samples proves little: not verified, as latency_sla says.
            verified=not required_missing and not inv.sla.weak_passes,
        )
    )
    if inv.triage is not None:
        # As netra-diag triage and the suite_triage report judge it: failing tests without a
        # baseline fail too (new_failures alone left them "not verified", exit 0)
        from netra_diag.report.triage_checks import triage_checks

        checks.extend(triage_checks(inv.triage))
    return tuple(checks)


def _contamination_evidence(inv: Investigation, n_findings: int) -> str:
    """What made the fan-out call isolation contaminated: the sessions whose recording holds
    another user's event (their ``foreign_event`` findings), or the fan-out's own count."""
    receivers = [
        label
        for label, report in inv.contracts.items()
        if any(str(f.rule) == "foreign_event" for f in report.errors)
    ]
    if receivers:
        shown = ", ".join(receivers[:3]) + (", ..." if len(receivers) > 3 else "")
        return (
            f"another user's events reached {plural(len(receivers), 'session')}: {shown} "
            "(foreign_event)"
        )
    if n_findings:
        return f"{plural(n_findings, 'cross-user id or content')} found by the fan-out"
    return ""


def _headline(inv: Investigation) -> str:
    from netra_diag.report.summary import EXIT_PRIORITY

    failed = sorted(
        (c for c in inv.checks if not c.passed),
        key=lambda c: EXIT_PRIORITY.index(exit_code_for([c])),
    )
    passed = sum(c.passed and c.verified for c in inv.checks)
    unverified = sum(c.passed and not c.verified for c in inv.checks)
    tail = f", {unverified} not verified for lack of data" if unverified else ""
    caveat = damage_caveat(inv.warnings)
    tail += f"; {caveat}" if caveat else ""
    if not failed:
        # A pass resting on a handful of samples says so in the headline, not only in a detail.
        weak = len(inv.sla.weak_passes)
        little = (
            f"; {plural(weak, 'SLA check')} passed on too few samples to mean much" if weak else ""
        )
        if unverified:
            return f"{passed} of {len(inv.checks)} required checks pass{tail}{little}"
        return f"all {passed} required checks pass{tail}{little}"
    head = "; ".join(c.detail for c in failed)
    # A dash, not brackets: "3 still failing (3 of 6 required checks pass)" read as one claim.
    return f"{head} — {passed} of {len(inv.checks)} required checks pass{tail}"
