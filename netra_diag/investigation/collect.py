"""Record an investigation: a service with injected faults, one turn, a fan-out (I/O)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_diag.investigation.service import secret_for, token_factory
from netra_diag.investigation.turn import DEMO_MESSAGE, Turn, run_turn

__all__ = [
    "COLLECTION_FILE",
    "DEFAULT_FAULTS",
    "FAULT_LOG",
    "CollectConfig",
    "Collection",
    "collect",
]

# A few faults of the kinds engineers meet (PROTOCOL.md §9), at rates that show up in 60 runs.
DEFAULT_FAULTS = "drop_event@0.08,duplicate_event@0.05,stall@0.05"
FAULT_LOG = "injected-faults.ndjson"  # not *.jsonl: load_frames(dir) reads those as cassettes
COLLECTION_FILE = "collection.json"
TURN_CASSETTE = "turn-demo-engineer.jsonl"
# The slowest run at the default pace (0.25) takes ~3 s, a 2 s stall included: 5 s is its wait.
_BASE_RUN_TIMEOUT_S = 5.0
_BASE_TIME_SCALE = 0.25


@dataclass(frozen=True)
class CollectConfig:
    """What :func:`collect` does. ``time_scale`` shrinks the service's think/tool delays (0.25 =
    four times faster than the realistic default) so a fan-out fits in seconds; ``faults`` is a
    ``FaultPlan.parse`` string; ``run_timeout`` bounds each run (a dropped terminal event costs
    exactly this long); ``None``: 5 s at the default pace, longer in proportion at a slower one
    (:attr:`run_timeout_s`). ``tool_calls`` is the range of tool calls per run: at least one,
    so that every critical event is due in every run and a missing one is the injected fault's
    doing."""

    users: int = 20
    runs: int = 3
    faults: str = DEFAULT_FAULTS
    time_scale: float = 0.25
    seed: int = 7
    auth: str = "strict"
    run_timeout: float | None = None
    tool_calls: tuple[int, int] = (1, 2)
    transport: str = "auto"
    profile: str = "local"
    secret_env: str = "JWT_SECRET_KEY"
    message: str = DEMO_MESSAGE

    @property
    def run_timeout_s(self) -> float:
        """How long the client waits for a run. A run's timeline scales with ``time_scale``: a
        fixed 5 s cut every run short from a pace of ~1.0 on, and each cut-off run then read as
        the service breaking its contract (no agent_completed)."""
        if self.run_timeout is not None:
            return self.run_timeout
        return _BASE_RUN_TIMEOUT_S * max(1.0, self.time_scale / _BASE_TIME_SCALE)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {
            "run_timeout": self.run_timeout_s
        }


@dataclass(frozen=True)
class Collection:
    """What :func:`collect` recorded: cassettes in ``record_dir``, plus what the service
    injected (``injected-faults.ndjson``) and this summary (``collection.json``)."""

    record_dir: Path
    url: str
    config: CollectConfig
    turn: Turn | None
    fanout: Mapping[str, Any]
    injected: tuple[Mapping[str, Any], ...]
    elapsed_s: float
    # Recorded against an embedded reference service started here (faults injected), not the
    # ``url`` given.
    embedded: bool = True

    @property
    def caveat(self) -> str:
        """What a reader must know about where this was recorded: ``""`` for the embedded
        service; otherwise that the service was someone else's and ``faults`` were not
        injected."""
        if self.embedded:
            return ""
        faults = self.config.faults
        skipped = f"; faults {faults!r} were not injected" if faults else ""
        return f"recorded against {self.url} (the url given), not an embedded service{skipped}"


def _checked(cfg: CollectConfig) -> tuple[Any, Any, Any]:
    """``cfg``'s fault plan, timing and auth mode; raises
    :class:`~netra_diag.errors.UsageError` for a value that cannot run (``users`` 0, an unknown
    fault, ...) before anything is recorded, or a previous collection removed."""
    from netra_diag.emulator import AuthMode, FaultPlan, TimingProfile
    from netra_diag.errors import UsageError

    if cfg.users < 1:
        raise UsageError(f"users must be >= 1, got {cfg.users}")
    if cfg.runs < 0:
        raise UsageError(f"runs must be >= 0, got {cfg.runs}")
    if not cfg.run_timeout_s > 0:
        raise UsageError(f"run_timeout must be > 0 seconds, got {cfg.run_timeout_s}")
    try:
        auth = AuthMode(cfg.auth)
    except ValueError:
        known = ", ".join(m.value for m in AuthMode)
        raise UsageError(f"auth: unknown mode {cfg.auth!r}; modes are {known}") from None
    faults = FaultPlan.parse(cfg.faults)
    timing = TimingProfile(time_scale=cfg.time_scale, tool_calls=cfg.tool_calls)
    return faults, timing, auth


def _prepare_dir(out: Path) -> Path:
    """``out``, created; a previous collection's files in it are removed first (its cassettes
    would be read as this one's: a run with fewer users would analyse the earlier run's extra
    users). A folder is a previous collection when it holds the turn's cassette, the fault log
    or ``collection.json``; a folder holding other cassettes is refused
    (:class:`~netra_diag.errors.UsageError`), left as it is."""
    from netra_diag.errors import UsageError

    ours = (out / TURN_CASSETTE, out / FAULT_LOG, out / COLLECTION_FILE)
    earlier = any(path.exists() for path in ours)
    others = sorted(out.glob("*.jsonl")) if out.is_dir() and not earlier else []
    if others:
        # Someone's own cassettes (a fanout --record folder, ...): this collection's files
        # would overwrite some of them and be analysed together with the rest.
        raise UsageError(
            f"record_dir {out} holds cassettes of no earlier collection ({len(others)}: "
            f"{others[0].name}{', ...' if len(others) > 1 else ''}): give an empty folder, or "
            "read them with recordings"
        )
    out.mkdir(parents=True, exist_ok=True)
    if earlier:
        for cassette in out.glob("*.jsonl"):
            cassette.unlink(missing_ok=True)
        for path in ours:
            path.unlink(missing_ok=True)
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

    from netra_diag.emulator import EmulatorConfig, run_service
    from netra_diag.live.fanout import run_fanout

    cfg = config or CollectConfig()
    env = os.environ if environ is None else environ
    # Every value is checked before the folder is touched: a refused one (a typo in faults)
    # must leave the previous collection in it as it was.
    faults, timing, auth = _checked(cfg)
    token_for = token_factory(profile=cfg.profile, secret_env=cfg.secret_env, environ=env)
    service_secret = secret_for("local", cfg.secret_env, env)
    out = _prepare_dir(Path(record_dir))
    fault_log = out / FAULT_LOG
    started = time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        # Only the url given: $NETRA_URL (set by `netra-diag lab`) is for the notebooks' `url`
        # parameters; a collection without a url is the embedded service's, faults injected,
        # as the demo and the notebooks' help say.
        target = url
        handle = None
        if not target:
            emulator = EmulatorConfig(
                auth=auth,
                secret=service_secret,
                faults=faults,
                timing=timing,
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
            timeout=cfg.run_timeout_s,
            record=out / TURN_CASSETTE,
        )
        fan = await run_fanout(
            target,
            users=cfg.users,
            runs=cfg.runs,
            token_for=token_for,
            transport=cfg.transport,
            record_dir=out,
            run_timeout=cfg.run_timeout_s,
            progress=progress,
            message_for=lambda user, index: f"{cfg.message} (user {user}, run {index + 1})",
        )
        injected = tuple(f.to_json() for f in handle.fault_log) if handle is not None else ()
    summary = {
        "url": target,
        # Recorded against the embedded reference service (the demo's own recording): the only
        # recordings the bundled example suite belongs with (``analyse`` reads this).
        "embedded_service": handle is not None,
        "config": cfg.to_dict(),
        "turn": turn.record.summary() | {"auth": turn.auth.to_dict()},
        "fanout": fan.to_dict(),
        "fanout_users": json.loads(fan.users.to_json(orient="records")),
        "injected": list(injected),
        "elapsed_s": round(time.monotonic() - started, 3),
    }
    _write_json(out / COLLECTION_FILE, summary)
    return Collection(
        out,
        target,
        cfg,
        turn,
        summary["fanout"],
        injected,
        time.monotonic() - started,
        embedded=handle is not None,
    )
