"""Playing one accepted recorded connection to a client (docs/cassette-format.md, "Replay").

``play_connection`` plays a ``ConnectionPlan``'s incoming frames in segments: segment 0 timed
from the connection, then for each message the client sent in the recording it waits for the
client to send one and plays the frames that followed it, timed from that moment. It ends with the
recorded close code and reason at its recorded offset (no close frame at all for 1006: the TCP
connection is dropped), or waits for the client's close if the client closed in the recording.

Precision: each send has an absolute deadline on ``loop.time()`` (never accumulated sleeps, so
errors do not add up); the coroutine sleeps until ~1 ms before it and busy-waits the rest, because
the event loop's timers wake up to a millisecond late. ``ReplayOutcome.lateness_ms`` reports how
late each frame still was (on a loaded machine the OS scheduler adds milliseconds no process can
avoid).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from netra_diag.live.replay_plan import (
    UNPROMPTED_CLIENT_TYPES,
    Answer,
    ConnectionPlan,
    ReplayStep,
    client_type,
)

__all__ = ["ReplayOutcome", "play_connection"]

# Codes that never travel in a close frame (RFC 6455 §7.4.1): replaying them means dropping the
# TCP connection (1006) or sending an empty close frame (1005).
_NO_FRAME_CODES = frozenset({1006, 1015})
# Busy-wait the last 1.2 ms before a deadline: the loop's timers wake ~0.7 ms late at the median
# (epoll's millisecond resolution); a longer spin buys nothing and, on a loaded machine, makes the
# scheduler preempt the spinning process.
_SPIN_S = 0.0012


@dataclass(slots=True)
class ReplayOutcome:
    """What happened during one replayed connection. Lateness is how far after its deadline each
    frame was handed to the socket: the replay's own scheduling error. ``connection`` is the
    recorded connection played (1-based), ``answer`` what was done with the upgrade
    (``http_status`` for a recorded refusal). ``frames_recorded`` and ``messages_recorded``
    are what the recorded connection held; ``played_through`` is false when the client left
    (or stopped sending) before the replay reached the recording's end."""

    frames_sent: int = 0
    client_messages: int = 0
    close_code: int | None = None
    client_closed_first: bool = False
    lateness_ms: list[float] = field(default_factory=list)
    finished: bool = False
    connection: int = 1
    answer: Answer = "upgrade"
    http_status: int | None = None
    frames_recorded: int = 0
    messages_recorded: int = 0
    played_through: bool = False
    # What the replay waits for from the client right now ("" while it is sending): a client
    # that never sends its message would otherwise leave the replay silent.
    waiting_for: str = ""
    # What the client brought that the replay does not check (replay_client.client_notes).
    notes: tuple[str, ...] = ()

    @property
    def cut_short(self) -> bool:
        """An accepted connection that ended before the replay reached the recording's end:
        recorded frames (or the recorded close) never reached the client."""
        return self.finished and self.answer == "upgrade" and not self.played_through

    @property
    def frames_unsent(self) -> int:
        return max(0, self.frames_recorded - self.frames_sent)

    @property
    def max_lateness_ms(self) -> float:
        return max(self.lateness_ms, default=0.0)


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    remaining = deadline - loop.time()
    if remaining > _SPIN_S:
        await asyncio.sleep(remaining - _SPIN_S)
    # The last stretch is a busy-wait; it blocks this loop for at most _SPIN_S.
    while loop.time() < deadline:
        pass


async def play_connection(
    ws: ServerConnection, plan: ConnectionPlan, outcome: ReplayOutcome, *, speed: float
) -> None:
    """Play ``plan`` on the upgraded ``ws`` at ``speed``, filling in ``outcome`` as it goes;
    returns when the connection is over (whoever closed it). ``outcome.finished`` is the
    caller's to set."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    messages: asyncio.Queue[float | None] = asyncio.Queue()

    async def read_client() -> None:
        try:
            async for message in ws:
                if client_type(message) not in UNPROMPTED_CLIENT_TYPES:
                    outcome.client_messages += 1
                    messages.put_nowait(loop.time())
        except ConnectionClosed:
            pass
        finally:
            messages.put_nowait(None)

    reader = asyncio.create_task(read_client())
    try:
        await _play(ws, plan, loop, start, messages, outcome, 1.0 / speed)
    except ConnectionClosed:
        outcome.client_closed_first = True
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _play(
    ws: ServerConnection,
    plan: ConnectionPlan,
    loop: asyncio.AbstractEventLoop,
    anchor: float,
    messages: asyncio.Queue[float | None],
    outcome: ReplayOutcome,
    scale: float,
) -> None:
    prompts = len(plan.segments) - 1
    for index, segment in enumerate(plan.segments):
        if index > 0:
            after = sum(1 for seg in plan.segments[index:] for s in seg if s.action == "send")
            outcome.waiting_for = (
                f"the client's message {index} of {prompts} (the recorded client sent one here; "
                f"{after} recorded frame{'' if after == 1 else 's'} follow it)"
            )
            received = await messages.get()
            outcome.waiting_for = ""
            if received is None:
                outcome.client_closed_first = True
                return
            anchor = received
        for step in segment:
            deadline = anchor + step.offset_s * scale
            await _sleep_until(loop, deadline)
            if step.action == "close":
                outcome.close_code = step.code
                outcome.played_through = True
                await _close(ws, step)
                return
            await ws.send(step.text if step.text is not None else step.data or b"")
            outcome.lateness_ms.append((loop.time() - deadline) * 1e3)
            outcome.frames_sent += 1
    # Nothing left to play: keep the connection as the recording left it until the client
    # closes it.
    outcome.played_through = True
    outcome.waiting_for = "the client to close the connection (everything recorded was sent)"
    await ws.wait_closed()
    outcome.waiting_for = ""
    outcome.client_closed_first = True
    outcome.close_code = ws.close_code


async def _close(ws: ServerConnection, step: ReplayStep) -> None:
    if step.code is None or step.code in _NO_FRAME_CODES:
        ws.transport.abort()  # 1006: the peer sees the TCP connection drop, no close frame
        return
    if step.code == 1005:
        ws.protocol.send_close()  # an empty close frame: "no status received"
        await ws.wait_closed()
        return
    try:
        await ws.close(step.code, step.reason)
    except ValueError:
        # A code RFC 6455 §7.4 forbids on the wire: drop the connection rather than invent one.
        ws.transport.abort()
