"""Group a stream of events into agent runs, keyed by ``thread_id`` and ``run_id`` (PROTOCOL.md §5).

The envelope variants do not all carry both ids: the bridge variant (b) has ``run_id`` but no
``thread_id``, the old fallback (d) ``thread_id`` but no ``run_id``, and hand-made test frames
often neither. A :class:`RunResolver` fills in what a frame leaves out from what the stream said
elsewhere:

- ``run_id`` only: the thread that run was seen in (any frame carrying both ids);
- ``thread_id`` only: the run currently open in that thread (the thread's only run when the whole
  stream is known up front);
- neither: the run currently open in the session, else an anonymous run ``?/?``.

An ``agent_started`` that carries no run id and comes after the open run's terminal event starts
the next run: a conversation's thread outlives its runs, and the older generation's frames (d) name
only the thread, so a user's second message in a thread is a second run, not events "after the
terminal one". Its key is the thread's next run id when the stream names one elsewhere, else a
numbered run of unknown id (``t1/?#2``, the thread's second). The ended run's ``agent_started``
sent again as it was (its emit time too) stays in that run, where it is a duplicate.

Control frames (heartbeat, pong, handshake, ...) never belong to a run; error and unknown frames
belong to one only when they carry an id. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from netra_diag.events.model import TERMINAL_EVENTS, Event, EventKind, TimedEvent
from netra_diag.events.resends import distinct, event_identity, exact_identity

__all__ = [
    "ANONYMOUS_RUN",
    "Run",
    "RunKey",
    "RunResolver",
    "assign_runs",
    "distinct",
    "event_identity",
    "group_runs",
    "run_member",
]


@dataclass(frozen=True, slots=True)
class RunKey:
    """Identity of one agent run; either id may be unknown (None)."""

    thread_id: str | None
    run_id: str | None
    # Runs without a run id that follow another in the same thread (or session): 1 for the
    # second, 2 for the third; 0 otherwise (see the module docstring).
    seq: int = 0

    def __str__(self) -> str:
        text = f"{self.thread_id or '?'}/{self.run_id or '?'}"
        return f"{text}#{self.seq + 1}" if self.seq else text

    @property
    def sort_key(self) -> tuple[str, str, int]:
        return (self.thread_id or "", self.run_id or "", self.seq)


ANONYMOUS_RUN = RunKey(None, None)


@dataclass(frozen=True, slots=True)
class Run:
    """The events of one run, in arrival order."""

    key: RunKey
    events: tuple[TimedEvent, ...]

    @property
    def start(self) -> float:
        return self.events[0].t if self.events else 0.0

    @property
    def end(self) -> float:
        return self.events[-1].t if self.events else 0.0

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def terminal(self) -> TimedEvent | None:
        """The first terminal event (agent_completed, final_report, agent_error), if any."""
        return next((te for te in self.events if te.event.is_terminal), None)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(te.type for te in self.events)


def run_member(event: Event) -> bool:
    """Whether ``event`` belongs to some run: agent events always; error and unknown frames only
    when they carry a thread or run id; control and invalid frames never."""
    kind = event.kind
    if kind is EventKind.AGENT:
        return True
    if kind in (EventKind.ERROR, EventKind.UNKNOWN):
        return event.thread_id is not None or event.run_id is not None
    return False


@dataclass
class RunResolver:
    """Assigns each run event a :class:`RunKey`, filling in missing ids (see module docstring).

    Feed events in arrival order with :meth:`key_for`. ``prime`` with the whole stream first when it
    is known up front (batch use) so that a thread-only frame seen before its run id resolves to it.
    """

    thread_of_run: dict[str, str] = field(default_factory=dict)
    # Run ids per thread in order of appearance (a dict as an ordered set).
    runs_of_thread: dict[str, dict[str, None]] = field(default_factory=dict)
    open_in_thread: dict[str, RunKey] = field(default_factory=dict)
    current: RunKey | None = None
    # Runs that sent a terminal event, and the exact identity of each run's first agent_started:
    # what tells a thread's next run from the last one's start sent again.
    ended: set[RunKey] = field(default_factory=set)
    started: dict[RunKey, str] = field(default_factory=dict)
    seen: set[RunKey] = field(default_factory=set)

    def prime(self, events: Iterable[TimedEvent | Event]) -> None:
        for item in events:
            event = item.event if isinstance(item, TimedEvent) else item
            if run_member(event):
                self._learn(event.thread_id, event.run_id)

    def _learn(self, thread: str | None, run: str | None) -> None:
        if thread is not None and run is not None:
            self.thread_of_run.setdefault(run, thread)
            self.runs_of_thread.setdefault(thread, {}).setdefault(run, None)

    def key_for(self, event: Event) -> RunKey | None:
        """The run ``event`` belongs to, or None when it belongs to none."""
        if not run_member(event):
            return None
        thread, run = event.thread_id, event.run_id
        self._learn(thread, run)
        if thread is not None and run is not None:
            key = RunKey(thread, run)
        elif run is not None:
            key = RunKey(self.thread_of_run.get(run), run)
        else:
            if thread is not None:
                key = self._open_run_of_thread(thread)
            else:
                # No id at all: the run in progress (or the last one, so that a stray frame after
                # a terminal event shows up as "after the terminal event" instead of vanishing).
                key = self.current if self.current is not None else ANONYMOUS_RUN
            if event.type == "agent_started" and key in self.ended:
                key = self._next_run(key, event)
        if key.thread_id is not None and (
            key.run_id is not None or key.seq or key.thread_id not in self.open_in_thread
        ):
            self.open_in_thread[key.thread_id] = key
        self.current = key
        self.seen.add(key)
        if event.type == "agent_started":
            self.started.setdefault(key, exact_identity(event))
        elif event.type in TERMINAL_EVENTS:
            self.ended.add(key)
        return key

    def _open_run_of_thread(self, thread: str) -> RunKey:
        opened = self.open_in_thread.get(thread)
        if opened is not None:
            return opened
        runs = self.runs_of_thread.get(thread)
        if runs:
            # Seen before its run id: the thread's first run is the one that starts next.
            return RunKey(thread, next(iter(runs)))
        return RunKey(thread, None)

    def _next_run(self, ended: RunKey, start: Event) -> RunKey:
        """The run an id-less ``agent_started`` opens after ``ended`` finished: ``ended`` itself
        when the frame resends its start, else the thread's next run id not seen yet, else a
        numbered run of unknown id."""
        if self.started.get(ended) == exact_identity(start):
            return ended
        thread = ended.thread_id
        for run in self.runs_of_thread.get(thread, {}) if thread is not None else ():
            candidate = RunKey(thread, run)
            if candidate not in self.seen:
                return candidate
        seq = 1 + max(
            (k.seq for k in self.seen if k.thread_id == thread and k.run_id is None), default=0
        )
        return RunKey(thread, None, seq)


def group_runs(
    events: Sequence[TimedEvent], *, resolver: RunResolver | None = None
) -> tuple[Run, ...]:
    """Split ``events`` into runs, in order of each run's first event.

    Events that belong to no run (control, invalid, id-less errors) are left out; use
    :func:`assign_runs` when every event's run (or None) is needed.
    """
    keys = assign_runs(events, resolver=resolver)
    buckets: dict[RunKey, list[TimedEvent]] = {}
    for te, key in zip(events, keys, strict=True):
        if key is not None:
            buckets.setdefault(key, []).append(te)
    return tuple(Run(key, tuple(evs)) for key, evs in buckets.items())


def assign_runs(
    events: Sequence[TimedEvent], *, resolver: RunResolver | None = None
) -> tuple[RunKey | None, ...]:
    """The run of each event (None for events outside any run), aligned with ``events``."""
    if resolver is not None:
        return tuple(resolver.key_for(te.event) for te in events)
    global _last_assigned
    cached = _last_assigned
    # Every check of one check_run asks for the runs of the same stream object: answer from the
    # last result instead of resolving again (the result is immutable, so sharing it is safe).
    if cached is not None and cached[0] is events:
        return cached[1]
    resolver = RunResolver()
    resolver.prime(events)
    keys = tuple(resolver.key_for(te.event) for te in events)
    if isinstance(events, tuple):
        _last_assigned = (events, keys)
    return keys


_last_assigned: tuple[Sequence[TimedEvent], tuple[RunKey | None, ...]] | None = None
