"""The investigation the demo and the ``investigation_report`` notebook run, as library calls.

Two halves, so a notebook can re-analyse recordings without talking to a service again:

- :func:`collect` (I/O): start the embedded reference service with injected faults, run one
  agent turn for the reader to see (:class:`Turn`), fan out many users, record everything as
  cassettes, and save the service's fault log and the fan-out summary beside them.
- :func:`analyse` (no network): load the cassettes, check every session's event contract,
  measure latency per phase against an SLA file, compare what was injected with what was
  diagnosed, triage a suite's results against a baseline, and put the worst finding first in one
  honest headline (:class:`Investigation`).

Nothing here judges anything the library modules do not already judge: this module wires
``tokens``, ``emulator``, ``live``, ``recording``, ``events``, ``latency`` and ``suites`` together
and turns their verdicts into the report's required checks.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_diag.report.summary import Check, CheckKind, exit_code_for

if TYPE_CHECKING:
    import pandas as pd

    from netra_diag.live import RunRecord

__all__ = [
    "DEFAULT_FAULTS",
    "DEMO_MESSAGE",
    "CollectConfig",
    "Collection",
    "Investigation",
    "ServiceRef",
    "Turn",
    "analyse",
    "bundled_suite",
    "collect",
    "describe_turn",
    "ensure_service",
    "run_turn",
    "token_factory",
]

DEMO_MESSAGE = "Why did last night's golden-path suite fail?"
# A few faults of the kinds engineers meet (PROTOCOL.md §9), at rates that show up in 60 runs.
DEFAULT_FAULTS = "drop_event@0.08,duplicate_event@0.05,stall@0.05"
FAULT_LOG = "injected-faults.ndjson"  # not *.jsonl: load_frames(dir) reads those as cassettes
COLLECTION_FILE = "collection.json"


# -- the service and tokens ---------------------------------------------------------------------


@dataclass
class ServiceRef:
    """A service to talk to: ``url``, and ``stop()`` for an embedded one we started."""

    url: str
    embedded: Any = None  # the ThreadedService when we started it

    @property
    def fault_log(self) -> list[Any]:
        return list(self.embedded.handle.fault_log) if self.embedded is not None else []

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def _secret(profile: str, secret_env: str, environ: Mapping[str, str]) -> str:
    from netra_diag.errors import UsageError
    from netra_diag.tokens import find_secret, get_profile

    prof = get_profile(profile)
    if secret_env and secret_env not in prof.secret_envs and environ.get(secret_env):
        return environ[secret_env]
    lookup = find_secret(prof, environ)
    if lookup is None:
        raise UsageError(f"no signing secret for profile {prof.name}: set ${prof.secret_env}")
    return lookup.value


def ensure_service(
    url: str = "",
    *,
    faults: str = "",
    time_scale: float = 1.0,
    auth: str = "strict",
    seed: int = 0,
    secret_env: str = "JWT_SECRET_KEY",
    fault_log_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServiceRef:
    """``url`` if given, else ``$NETRA_URL`` (set by ``netra-diag lab``), else a new embedded
    reference service in a background thread (``stop()`` it when done)."""
    from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile

    env = os.environ if environ is None else environ
    chosen = url or env.get("NETRA_URL", "")
    if chosen:
        return ServiceRef(chosen)
    config = EmulatorConfig(
        auth=AuthMode(auth),
        secret=_secret("local", secret_env, env),
        faults=FaultPlan.parse(faults),
        timing=TimingProfile(time_scale=time_scale),
        seed=seed,
        fault_log_path=fault_log_path,
    )
    return _started(config)


def _started(config: Any) -> ServiceRef:
    from netra_diag.emulator import start_in_thread

    service = start_in_thread(config)
    return ServiceRef(service.url, service)


def token_factory(
    *,
    profile: str = "local",
    secret_env: str = "JWT_SECRET_KEY",
    ttl: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """``token_for(user_id) -> token``, minting a fresh token per call with the secret from
    ``$secret_env`` (or the profile's own lookup); for ``live.fanout`` and ``Session.connect``."""
    from netra_diag.tokens import mint_token

    key = _secret(profile, secret_env, os.environ if environ is None else environ)

    def token_for(user_id: str) -> str:
        return mint_token(user_id, key=key, now=time.time(), profile=profile, ttl=ttl)

    return token_for


# -- one turn -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """One agent turn as a reader should see it: handshake, auth verdict, events, outcome.

    Holds no token: ``token_fingerprint`` only. ``handshake`` and ``auth`` are the live
    package's ``HandshakeInfo`` and ``AuthVerdict``; ``close`` its ``CloseInfo`` (or ``None``).
    """

    url: str
    token_fingerprint: str
    handshake: Any
    auth: Any
    record: RunRecord
    close: Any = None


async def run_turn(
    url: str,
    *,
    token: str,
    message: str = DEMO_MESSAGE,
    transport: str = "auto",
    timeout: float = 20.0,  # noqa: ASYNC109 - bounds the whole run, as Session.run's does
    record: str | os.PathLike[str] | None = None,
) -> Turn:
    """Connect to ``url`` with ``token``, run one agent turn, close, and return what happened."""
    from netra_diag.live import Session
    from netra_diag.redaction import fingerprint

    async with Session.connect(
        url,
        token=token,
        transport=transport,
        record=Path(record) if record is not None else None,
        labels={"role": "turn"},
    ) as session:
        result = await session.run(message, timeout=timeout)
        handshake, auth = session.handshake, session.auth
    return Turn(url, fingerprint(token), handshake, auth, result, session.close_info)


def _event_detail(event: Any) -> str:
    tool = event.tool_name
    if event.type == "tool_completed" and event.duration_s is not None:
        return f"{tool} ({event.duration_s * 1000:.0f} ms server-side)"
    if tool:
        return str(tool)
    for key in ("reasoning", "thought", "status", "error_code", "error_message"):
        value = event.get(key)
        if value:
            text = str(value)
            return text if len(text) <= 60 else text[:57] + "..."
    return ""


def describe_turn(turn: Turn) -> list[str]:
    """Text lines for a terminal: handshake, auth verdict, each event at its time, outcome."""
    hs, rec = turn.handshake, turn.record
    lines = [f"connected to {turn.url} as token {turn.token_fingerprint}"]
    echo = {True: "echoed", False: "NOT echoed", None: "n/a"}[hs.echoed_token_entry]
    upgrade = f"{hs.upgrade_s * 1000:.1f} ms" if hs.upgrade_s is not None else "?"
    lines.append(
        f"handshake: HTTP {hs.status} via {hs.transport} in {upgrade}; "
        f"subprotocol {hs.selected_subprotocol or '-'} ({echo}); mode {hs.mode or '?'}"
    )
    lines.append(f"auth: {turn.auth}")
    start = rec.sent_t if rec.sent_t is not None else rec.started_t
    lines.append(f"sent: {rec.message!r}")
    for te in rec.events:
        offset = (te.t - start) * 1000
        lines.append(f"  +{offset:8.1f} ms  {te.type:<22} {_event_detail(te.event)}".rstrip())
    first = f"{rec.first_event_s * 1000:.0f} ms" if rec.first_event_s is not None else "none"
    lines.append(
        f"outcome: {rec.outcome} after {rec.duration_s * 1000:.0f} ms "
        f"({len(rec.events)} events, first event {first})"
    )
    if rec.error:
        lines.append(f"error: {rec.error}")
    if turn.close is not None and not turn.close.is_normal:
        lines.append(f"close: {turn.close.explanation()}")
    return lines


# -- collect (I/O) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectConfig:
    """What :func:`collect` does. ``time_scale`` shrinks the service's think/tool delays (0.25 =
    four times faster than the realistic default) so a fan-out fits in seconds; ``faults`` is a
    ``FaultPlan.parse`` string; ``run_timeout`` bounds each run (a dropped terminal event costs
    exactly this long). ``tool_calls`` is the range of tool calls per run: at least one, so that
    every critical event is due in every run and a missing one is the injected fault's doing."""

    users: int = 20
    runs: int = 3
    faults: str = DEFAULT_FAULTS
    time_scale: float = 0.25
    seed: int = 7
    auth: str = "strict"
    run_timeout: float = 5.0
    tool_calls: tuple[int, int] = (1, 2)
    transport: str = "auto"
    profile: str = "local"
    secret_env: str = "JWT_SECRET_KEY"
    message: str = DEMO_MESSAGE

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Collection:
    """What :func:`collect` recorded: cassettes in ``record_dir`` plus ``injected-faults.ndjson`` (what
    the service injected) and ``collection.json`` (this summary)."""

    record_dir: Path
    url: str
    config: CollectConfig
    turn: Turn | None
    fanout: Mapping[str, Any]
    injected: tuple[Mapping[str, Any], ...]
    elapsed_s: float


def _prepare_dir(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / FAULT_LOG).unlink(missing_ok=True)
    return out


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, default=str), "utf-8")


async def collect(
    record_dir: str | os.PathLike[str],
    config: CollectConfig | None = None,
    *,
    url: str = "",
    progress: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Collection:
    """Record one turn and a fan-out against ``url`` or, by default, an embedded reference
    service started here with ``config.faults`` injected (and stopped afterwards)."""
    import contextlib

    from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile, run_service
    from netra_diag.live.fanout import run_fanout

    cfg = config or CollectConfig()
    env = os.environ if environ is None else environ
    out = _prepare_dir(Path(record_dir))
    fault_log = out / FAULT_LOG
    started = time.monotonic()
    token_for = token_factory(profile=cfg.profile, secret_env=cfg.secret_env, environ=env)
    async with contextlib.AsyncExitStack() as stack:
        target = url or env.get("NETRA_URL", "")
        handle = None
        if not target:
            emulator = EmulatorConfig(
                auth=AuthMode(cfg.auth),
                secret=_secret("local", cfg.secret_env, env),
                faults=FaultPlan.parse(cfg.faults),
                timing=TimingProfile(time_scale=cfg.time_scale, tool_calls=cfg.tool_calls),
                seed=cfg.seed,
                fault_log_path=str(fault_log),
            )
            handle = await stack.enter_async_context(run_service(emulator))
            target = handle.url
        turn = await run_turn(
            target,
            token=token_for("demo-engineer"),
            message=cfg.message,
            transport=cfg.transport,
            timeout=cfg.run_timeout,
            record=out / "turn-demo-engineer.jsonl",
        )
        fan = await run_fanout(
            target,
            users=cfg.users,
            runs=cfg.runs,
            token_for=token_for,
            transport=cfg.transport,
            record_dir=out,
            run_timeout=cfg.run_timeout,
            progress=progress,
            message_for=lambda user, index: f"{cfg.message} (user {user}, run {index + 1})",
        )
        injected = tuple(f.to_json() for f in handle.fault_log) if handle is not None else ()
    summary = {
        "url": target,
        "config": cfg.to_dict(),
        "turn": turn.record.summary() | {"auth": turn.auth.to_dict()},
        "fanout": fan.to_dict(),
        "fanout_users": json.loads(fan.users.to_json(orient="records")),
        "injected": list(injected),
        "elapsed_s": round(time.monotonic() - started, 3),
    }
    _write_json(out / COLLECTION_FILE, summary)
    return Collection(
        out, target, cfg, turn, summary["fanout"], injected, time.monotonic() - started
    )


# -- analyse (no network) -----------------------------------------------------------------------


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
            "injected_faults": len(self.injected),
            "injected_detected": int(self.injected["detected"].sum()) if len(self.injected) else 0,
            "fanout": dict(self.collection.get("fanout", {})),
            "triage": self.triage.to_dict() if self.triage is not None else None,
            "notes": list(self.notes),
        }


def _injected_frame(
    record_dir: Path, collection: Mapping[str, Any], findings: Any, metrics: Any
) -> Any:
    """What the service injected, and how the diagnosis saw it: contract findings in that run,
    or (for a stall, which breaks no contract) an event gap at least 80 % of the stall."""
    import pandas as pd

    from netra_diag.emulator import FaultPlan

    rows = list(collection.get("injected", ()))
    if not rows and (record_dir / FAULT_LOG).is_file():
        lines = (record_dir / FAULT_LOG).read_text("utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
    frame = pd.DataFrame(rows, columns=["fault", "run_id", "thread_id", "user_id", "detail"])
    rules: dict[str, set[str]] = {}
    for run_id, rule in zip(findings.get("run_id", ()), findings.get("rule", ()), strict=False):
        rules.setdefault(str(run_id), set()).add(str(rule))
    gaps = metrics[metrics["phase"] == "event_gap"].groupby("run")["value_ms"].max()
    faults = str((collection.get("config") or {}).get("faults", ""))
    stall_ms = FaultPlan.parse(faults).stall_s * 1000 if faults else float("inf")

    def seen_as(fault: str, run_id: Any) -> str:
        if str(run_id) in rules:
            return "contract: " + ", ".join(sorted(rules[str(run_id)]))
        gap = gaps.get(run_id)
        if fault == "stall" and gap is not None and gap >= 0.8 * stall_ms:
            return f"latency: {gap:.0f} ms event gap"
        return ""

    frame["detected_by"] = [
        seen_as(f, r) for f, r in zip(frame["fault"], frame["run_id"], strict=True)
    ]
    frame["detected"] = frame["detected_by"] != ""
    return frame


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
        detail = f"auth could not be judged on {unknown} of {total} sessions (no user id reported)"
        return Check("auth", CheckKind.AUTH, False, detail)
    return Check("auth", CheckKind.AUTH, True, f"token sub matched the server user on all {total}")


def analyse(
    record_dir: str | os.PathLike[str],
    *,
    sla: str = "service",
    results: Sequence[str | os.PathLike[str]] | None = None,
    baseline: Sequence[str | os.PathLike[str]] | None = None,
) -> Investigation:
    """Judge what :func:`collect` (or any fan-out with ``--record``) left in ``record_dir``.

    ``sla``: a bundled SLA name or a TOML path. ``results``/``baseline``: suite result files to
    triage (JUnit XML or pytest JSON); ``None`` for the bundled ones, ``[]`` to skip triage.
    """
    from netra_diag.events.contracts import check_run
    from netra_diag.events.sources import load_cassette_stream
    from netra_diag.latency import evaluate_sla, load_sla, phase_metrics, summarize_latency
    from netra_diag.recording import load_frames

    folder = Path(record_dir)
    cassettes = sorted(folder.glob("*.jsonl"))
    cassettes = [p for p in cassettes if p.name != FAULT_LOG]
    collection_path = folder / COLLECTION_FILE
    collection = json.loads(collection_path.read_text("utf-8")) if collection_path.is_file() else {}
    streams = [load_cassette_stream(p) for p in cassettes]
    contracts = {s.label: check_run(s.events, context=s.context()) for s in streams}
    frames = load_frames(cassettes) if cassettes else load_frames([])
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
    inv.injected = _injected_frame(folder, collection, inv.findings_frame(), metrics)
    if results is None:
        results, baseline = [bundled_suite("current")], [bundled_suite("baseline")]
    if results:
        from netra_diag.suites.triage import triage

        inv.triage = triage(list(results), baseline=list(baseline) if baseline else None)
    inv.checks = _checks(inv)
    inv.headline = _headline(inv)
    return inv


def _checks(inv: Investigation) -> tuple[Check, ...]:
    fan = dict(inv.collection.get("fanout", {}))
    checks: list[Check] = []
    if fan:
        users, connected = int(fan.get("users", 0)), int(fan.get("sessions_connected", 0))
        detail = f"{connected} of {users} sessions connected"
        checks.append(Check("infrastructure", CheckKind.INFRASTRUCTURE, connected == users, detail))
        checks.append(_auth_check(inv.collection))
    failing = [r for r in inv.contracts.values() if not r.ok]
    if not inv.contracts:
        checks.append(Check("contracts", CheckKind.CONTRACT, False, "no recording to check"))
    elif failing:
        worst = min(failing, key=lambda r: (-len(r.errors), r.verdict))
        first = worst.errors[0].message if worst.errors else worst.verdict
        detail = (
            f"{len(failing)} of {len(inv.contracts)} sessions broke the event contract; "
            f"e.g. {first}"
        )
        checks.append(Check("contracts", CheckKind.CONTRACT, False, detail))
    else:
        detail = f"all {len(inv.contracts)} sessions kept the event contract"
        checks.append(Check("contracts", CheckKind.CONTRACT, True, detail))
    isolation = (fan.get("isolation") or {}).get("verdict")
    if isolation:
        checks.append(
            Check(
                "isolation",
                CheckKind.CONTRACT,
                isolation == "isolated",
                f"isolation {isolation}: "
                + ("; ".join((fan.get("isolation") or {}).get("reasons", ())) or "no finding"),
            )
        )
    checks.append(Check("sla", CheckKind.SLA, not inv.sla.breached, inv.sla.headline))
    if inv.triage is not None:
        new = _new_failures(inv.triage)
        checks.append(Check("new_failures", CheckKind.NEW_FAILURES, new == 0, inv.triage.headline))
    return tuple(checks)


def _new_failures(triage: Any) -> int:
    """Regressions plus failing tests the baseline did not have (what fails CI)."""
    diff = triage.diff
    if diff is None:
        return 0
    return len(diff.new_failures) + len(diff.failing_added)


def _headline(inv: Investigation) -> str:
    from netra_diag.report.summary import EXIT_PRIORITY

    failed = sorted(
        (c for c in inv.checks if not c.passed),
        key=lambda c: EXIT_PRIORITY.index(exit_code_for([c])),
    )
    passed = len(inv.checks) - len(failed)
    if not failed:
        return f"all {passed} required checks pass"
    head = "; ".join(c.detail for c in failed)
    return f"{head} ({passed} of {len(inv.checks)} required checks pass)"
