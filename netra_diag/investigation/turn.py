"""One agent turn, as a reader should see it (the first thing ``netra-diag demo`` prints)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netra_diag.live import RunRecord

__all__ = ["DEMO_MESSAGE", "Turn", "describe_turn", "run_turn"]

DEMO_MESSAGE = "Why did last night's golden-path suite fail?"


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
    # Frames received after the run's terminal event, while the client waited for quiet
    # before closing (an agent event among them breaks the event contract).
    after: tuple[Any, ...] = ()


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
        after: tuple[Any, ...] = ()
        if result.ok:
            # A frame the service sends right behind the terminal event (an event after the
            # terminal) is recorded and judged, instead of depending on whether it beat the
            # close; probe and fanout do the same.
            last = result.events[-1].index
            await session.read_until_quiet()
            after = tuple(te for te in session.history if te.index > last)
        handshake, auth = session.handshake, session.auth
    return Turn(url, fingerprint(token), handshake, auth, result, session.close_info, after)


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
    """Text lines for a terminal: handshake, auth verdict, each event at its time, outcome, and
    what came after the terminal event."""
    from netra_diag.events import EventKind

    agent = EventKind.AGENT
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
    for te in turn.after:
        offset = (te.t - start) * 1000
        late = "  << after the terminal event" if te.event.kind is agent else ""
        lines.append(f"  +{offset:8.1f} ms  {te.type:<22} {_event_detail(te.event)}{late}")
    first = f"{rec.first_event_s * 1000:.0f} ms" if rec.first_event_s is not None else "none"
    lines.append(
        f"outcome: {rec.outcome} after {rec.duration_s * 1000:.0f} ms "
        f"({len(rec.events)} events, first event {first})"
    )
    n_late = sum(te.event.kind is agent for te in turn.after)
    if n_late:
        lines.append(
            f"contract: {n_late} agent event{'s' if n_late > 1 else ''} after the terminal event "
            "(event_after_terminal: a client that stopped listening would never see it)"
        )
    if rec.error:
        lines.append(f"error: {rec.error}")
    if turn.close is not None and not turn.close.is_normal:
        lines.append(f"close: {turn.close.explanation()}")
    return lines
