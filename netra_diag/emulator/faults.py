"""Fault injection: decide which faults hit a run or a connection, turn a run's script into the
steps actually sent, and log every fault that took effect.

The deciding and planning are pure (seeded ``random.Random`` passed in); only ``FaultLog`` writes,
and only to the JSONL file the configuration names. A fault is logged when it takes effect (the
step is executed), so a run cut short by an earlier fault never logs faults it did not reach.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import IO, Any

from netra_diag.emulator.agent import ScriptedEvent
from netra_diag.emulator.config import Fault, FaultPlan

__all__ = [
    "UNKNOWN_EVENT_TYPE",
    "FaultLog",
    "InjectedFault",
    "Step",
    "StepKind",
    "plan_steps",
    "roll_faults",
]

# A type no generation of the service sends, so a client must classify it as unknown.
UNKNOWN_EVENT_TYPE = "agent_telemetry_snapshot"


@dataclass(frozen=True)
class InjectedFault:
    """One fault that took effect. ``connection_id``/``user_id`` are the owner of the run (or the
    connection for connection faults); for ``leak_other_user`` the connection that received the
    leaked event is ``target_connection_id``."""

    fault: Fault
    run_id: str | None
    thread_id: str | None
    user_id: str | None
    connection_id: str
    event_type: str | None
    detail: str
    wall: float
    target_connection_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["fault"] = self.fault.value
        return out


class FaultLog:
    """In-memory list of injected faults, optionally mirrored to a JSONL file (one object per
    line, flushed per fault). Safe to read from another thread."""

    def __init__(self, path: str | None = None) -> None:
        self._items: list[InjectedFault] = []
        self._lock = threading.Lock()
        self._path = path
        self._file: IO[str] | None = None

    def open(self) -> None:
        if self._path and self._file is None:
            self._file = open(self._path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def add(self, item: InjectedFault) -> None:
        with self._lock:
            self._items.append(item)
            if self._file is not None:
                self._file.write(json.dumps(item.to_json(), sort_keys=True) + "\n")
                self._file.flush()

    def snapshot(self) -> list[InjectedFault]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def roll_faults(plan: FaultPlan, rng: random.Random, *, per_connection: bool) -> frozenset[Fault]:
    """The faults that fire this time: each with its probability, connection-level faults when
    ``per_connection`` and run-level faults otherwise. Every fault in the plan consumes one draw
    so that adding a fault does not reshuffle the others."""
    fired: set[Fault] = set()
    for fault, prob in plan.faults.items():
        draw = rng.random()
        if fault.per_connection is per_connection and prob > 0 and draw < prob:
            fired.add(fault)
    return frozenset(fired)


class StepKind(StrEnum):
    SEND = "send"  # render and deliver the event to the run's subscribers
    SEND_RAW = "send_raw"  # send raw text to the requesting connection only
    LEAK = "leak"  # render the event and send it to another user's connection
    ABORT = "abort"  # drop the TCP connection without a close frame
    MARK = "mark"  # send nothing; only log the fault (a dropped event, the start of a stall)


@dataclass(frozen=True)
class Step:
    """One thing to do after sleeping ``delay_s``. ``fault`` is set when this step is where an
    injected fault takes effect (``detail`` says how)."""

    kind: StepKind
    delay_s: float
    event: ScriptedEvent | None = None
    raw: str | None = None
    fault: Fault | None = None
    detail: str = ""

    @property
    def event_type(self) -> str | None:
        return None if self.event is None else self.event.type


def _malformed(event: ScriptedEvent) -> str:
    # A frame cut off mid-string, as a proxy truncating a write would leave it.
    return '{"type": "' + event.type + '", "run_id": "' + str(event.fields.get("run_id")) + '", "'


def plan_steps(
    script: Sequence[ScriptedEvent],
    faults: Iterable[Fault],
    rng: random.Random,
    *,
    stall_s: float,
    max_message_size: int,
) -> list[Step]:
    """Apply run-level ``faults`` to ``script``. Positions are drawn from ``rng``; at least one
    event is sent before a mid-run disconnect. Faults combine: a dropped event and a duplicated
    one, say, are placed independently."""
    active = set(faults)
    steps = [Step(StepKind.SEND, e.delay_s, e) for e in script]
    n = len(steps)
    if n == 0:
        return steps

    def insert_at(lo: int, *, after_terminal: bool = False) -> int:
        if after_terminal:
            return rng.randrange(lo, len(steps) + 1)
        # Up to just before the run's agent_completed: a frame after the terminal event is an
        # ordering fault of its own (event_after_terminal), which unknown_event_type and
        # malformed_frame do not name. An oversized frame may come anywhere: a client must
        # judge its size whenever it arrives.
        ends = [
            k
            for k, s in enumerate(steps)
            if s.event is not None and s.event.type == "agent_completed" and s.fault is None
        ]
        return rng.randrange(lo, max(lo, ends[-1] if ends else len(steps)) + 1)

    if Fault.REORDER in active and n >= 2:
        i = rng.randrange(n - 1)
        a, b = script[i], script[i + 1]
        detail = f"{b.type} #{b.index} sent before {a.type} #{a.index}"
        steps[i] = Step(StepKind.SEND, a.delay_s, b, fault=Fault.REORDER, detail=detail)
        steps[i + 1] = Step(StepKind.SEND, b.delay_s, a)
    if Fault.STALL in active:
        j = rng.randrange(len(steps))
        s = steps[j]
        # Sleep the normal delay, log the stall as it begins, then hold the event for stall_s.
        mark = Step(
            StepKind.MARK,
            s.delay_s,
            s.event,
            fault=Fault.STALL,
            detail=f"stalled {stall_s:g} s before {s.event_type}",
        )
        steps[j] = Step(s.kind, stall_s, s.event, s.raw, s.fault, s.detail)
        steps.insert(j, mark)
    if Fault.DROP_EVENT in active:
        # Only a step no other fault claimed: dropping the event a reorder moved took that
        # step's fault away from it (and found no plain step for it at all, which crashed the
        # run's planning: the client saw close 1011). Without other faults these are the
        # script's events in order, so a seed drops the same event as ever.
        plain = [
            j
            for j, s in enumerate(steps)
            if s.kind is StepKind.SEND and s.event is not None and s.fault is None
        ]
        j = plain[rng.randrange(len(plain))]
        dropped = steps[j].event
        assert dropped is not None
        # The delay still elapses; only the frame is missing.
        steps[j] = Step(
            StepKind.MARK,
            steps[j].delay_s,
            dropped,
            fault=Fault.DROP_EVENT,
            detail=f"{dropped.type} #{dropped.index} not sent",
        )
    if Fault.DUPLICATE_EVENT in active:
        sends = [j for j, s in enumerate(steps) if s.kind is StepKind.SEND]
        if sends:
            j = sends[rng.randrange(len(sends))]
            e = steps[j].event
            assert e is not None
            steps.insert(
                j + 1,
                Step(
                    StepKind.SEND,
                    0.0,
                    e,
                    fault=Fault.DUPLICATE_EVENT,
                    detail=f"{e.type} #{e.index} sent twice",
                ),
            )
    if Fault.UNKNOWN_EVENT_TYPE in active:
        j = insert_at(1)
        fields = {**_ids(script[0].fields), "metrics": {"tokens": 812, "cache_hit": True}}
        fake = ScriptedEvent(UNKNOWN_EVENT_TYPE, "inter_event", 0.0, fields, -1)
        steps.insert(
            j,
            Step(
                StepKind.SEND,
                0.0,
                fake,
                fault=Fault.UNKNOWN_EVENT_TYPE,
                detail=f"sent event type {UNKNOWN_EVENT_TYPE!r}",
            ),
        )
    if Fault.MALFORMED_FRAME in active:
        j = insert_at(1)
        base = script[min(j, n - 1)]
        steps.insert(
            j,
            Step(
                StepKind.SEND_RAW,
                0.0,
                base,
                _malformed(base),
                Fault.MALFORMED_FRAME,
                "sent a truncated JSON frame",
            ),
        )
    if Fault.OVERSIZED_FRAME in active:
        j = insert_at(1, after_terminal=True)
        size = max_message_size + 1024
        fields = {**_ids(script[0].fields), "content": "x" * size, "is_complete": False}
        big = ScriptedEvent("partial_result", "inter_event", 0.0, fields, -1)
        steps.insert(
            j,
            Step(
                StepKind.SEND,
                0.0,
                big,
                fault=Fault.OVERSIZED_FRAME,
                detail=f"partial_result of more than {size} bytes",
            ),
        )
    if Fault.LEAK_OTHER_USER in active:
        leaked = script[rng.randrange(n)]
        j = next((k for k, s in enumerate(steps) if s.event is leaked), len(steps) - 1)
        steps.insert(
            j + 1,
            Step(
                StepKind.LEAK,
                0.0,
                leaked,
                fault=Fault.LEAK_OTHER_USER,
                detail=f"{leaked.type} #{leaked.index} sent to another user",
            ),
        )
    if Fault.DISCONNECT_MID_RUN in active:
        sends = [j for j, s in enumerate(steps) if s.kind is StepKind.SEND]
        # After at least one event and before the last one, so the run is visibly cut.
        candidates = sends[:-1] or sends
        j = candidates[rng.randrange(len(candidates))]
        after = steps[j].event_type
        nxt = next((s for s in steps[j + 1 :] if s.event is not None), None)
        gap = nxt.delay_s if nxt is not None else 0.0
        steps[j + 1 :] = [
            Step(
                StepKind.ABORT,
                gap,
                nxt.event if nxt else None,
                fault=Fault.DISCONNECT_MID_RUN,
                detail=f"TCP connection dropped after {after}",
            )
        ]
    return steps


def _ids(fields: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("run_id", "thread_id", "user_id", "request_id", "agent_name")
    return {k: fields[k] for k in keys if k in fields}
