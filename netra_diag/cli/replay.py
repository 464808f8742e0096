"""``netra-diag replay FILE``: serve a cassette back over a real WebSocket with its timing."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.sigterm import TERMINATED
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.live.replay import ReplayOutcome, ReplayPlan

__all__ = ["banner", "register"]

# How long a stopped replay waits for the connections in flight to end, so that each gets its line
# (a client that left just before the signal); one still playing then is left unreported.
_SETTLE_S = 0.5

_EPILOG = """\
Serves FILE on ws://HOST:PORT/ws (any path is accepted). A cassette holds one connection per
opening handshake of the recorded session (several if it reconnected); client connections get them
in turn: the first client connection plays the first recorded connection, the next one (e.g. a
session reconnecting after the replayed close) the second, and so on. Each is answered as the
recorded server answered: an accepted upgrade selects the recorded subprotocol, plays the frames
the server sent at their recorded offsets (after each message the client sent in the recording,
the replay waits for the client to send one) and ends as the recording did (the recorded close
code and reason; 1006: the TCP connection is dropped without a close frame; a close the client
started: the replay waits for the client's); a refused upgrade gets the recorded HTTP status and
body; an upgrade that got no answer is dropped before any answer.

A cassette recorded with --transport ticket also holds the session's ticket requests (POST
/api/websocket/ticket), without the tickets: they are answered in turn as recorded, an issued
ticket by a fresh single-use one, and an upgrade with ?ticket= must carry a ticket this replay
issued and nobody used (else HTTP 403).

Other credentials and the path are not checked: a client with no token, another user's token or
the wrong path still gets the recorded session, and a note under its replay line says so.

Connections beyond the recorded ones are refused with HTTP 503, whose body says how many
connections the cassette held; with --loop the cassette starts over from its first connection
instead. Without --loop the command ends --linger seconds after every recorded connection has been
played (so a client reconnecting after the last one is still told so by a 503, not by a refused
TCP connection). Prints the URL, then one line per replayed connection.

exit codes: 0 ok (every recorded connection played through, or Ctrl-C or SIGTERM with --loop),
1 a client left before its recorded connection was played through (its line says CUT SHORT and
what was never sent), 2 usage error (bad file, port in use, non-loopback host), 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM, as a CI script stopping the replay sends it); after either,
the last line says which recorded connections were played, and which never were

example:
  netra-diag replay run.jsonl --port 8001 --speed 2
  netra-diag probe ws://127.0.0.1:8001/ws --sub u1
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="serve a recorded session (cassette) back over a WebSocket with its original timing",
        description="Serve a recorded session back over a real WebSocket with its timing.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="cassette (.jsonl) to replay")
    parser.add_argument(
        "--port", type=int, default=8001, help="port to listen on (default 8001; 0 = any free)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="time scale: 2 plays twice as fast, 0.5 half as fast (default 1.0)",
    )
    parser.add_argument(
        "--loop",
        action="store_true",
        help="keep serving until Ctrl-C, starting the cassette over after its last recorded "
        "connection (default: refuse connections beyond the recorded ones with HTTP 503 and "
        "stop once every recorded connection has been played)",
    )
    parser.add_argument(
        "--linger",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="without --loop: keep refusing late connections with HTTP 503 for this long after "
        "the last recorded connection ended, then exit (default 2; a session's first reconnect "
        "comes after about 1 s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from netra_diag.errors import RecordingError, UsageError

    try:
        if Path(args.file).is_dir():
            found = sorted(Path(args.file).rglob("*.jsonl"))
            example = f" (e.g. {found[0]}, of {len(found)})" if found else " (it holds none)"
            raise UsageError(f"{args.file}: is a folder; replay serves one cassette{example}")
        return asyncio.run(_serve(args))
    except (UsageError, RecordingError) as exc:
        print(f"netra-diag replay: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        if not args.loop:
            raise
        print("stopped", file=sys.stderr)  # --loop runs until Ctrl-C: that is the normal end
        return int(ExitCode.OK)


def banner(file: str, plan: ReplayPlan, speed: float) -> str:
    """``replaying run.jsonl (1 connection, 9 frames, 1 client message; recorded 0.313 s,
    0.157 s at speed 2)``: the recorded duration and the played one, each speed named once."""
    n = plan.n_connections
    return (
        f"replaying {file} ({plural(n, 'connection')}, {plural(plan.n_frames, 'frame')}, "
        f"{plural(plan.n_client_messages, 'client message')}; recorded {plan.duration_s:.3f} s, "
        f"{plan.duration_s / speed:.3f} s at speed {speed:g})"
    )


def _age_note(plan: ReplayPlan, now: float) -> str:
    """Frames are served as recorded, server timestamps included: a client that measures its
    clock against them (probe's clock_offset_ms) measures the recording's age."""
    if plan.started_wall is None or plan.n_frames == 0 or now - plan.started_wall < 1.0:
        return ""
    age = now - plan.started_wall
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172800, "h", 3600)):
        if age < limit:
            when = f"{age / size:.0f} {unit}"
            break
    else:
        when = f"{age / 86400:.0f} days"
    return (
        f"frames carry the server timestamps of the recording, made {when} ago: a clock offset "
        "measured against this replay is that age, not clock skew"
    )


# The replay's own timing bar (its tests hold it to this): past it, a client's measured latencies
# carry the replay's lateness.
LATE_MS = 5.0


def replay_line(outcome: ReplayOutcome, which: str, plan: ReplayPlan) -> str:
    """The line for one finished replayed connection."""
    if outcome.answer == "reject":
        return f"{which}: refused the upgrade with HTTP {outcome.http_status}"
    if outcome.answer == "drop":
        return f"{which}: dropped before answering the upgrade"
    how = "client closed" if outcome.client_closed_first else f"closed {outcome.close_code}"
    text = (
        f"{which}: {plural(outcome.frames_sent, 'frame')} sent, "
        f"{plural(outcome.client_messages, 'client message')}, {how}, "
        f"max lateness {outcome.max_lateness_ms:.2f} ms"
    )
    late = sum(ms > LATE_MS for ms in outcome.lateness_ms)
    if late:
        text += (
            f"; LATE: {late} of {plural(len(outcome.lateness_ms), 'frame')} over {LATE_MS:g} ms "
            "behind the recording (a busy machine?): latencies measured against this replay "
            "are off by as much"
        )
    if outcome.cut_short:
        text += f"; CUT SHORT: {cut_short_text(outcome, plan)}"
    return text


def cut_short_text(outcome: ReplayOutcome, plan: ReplayPlan) -> str:
    """What a client that left early never got: ``7 of 9 recorded frames never sent; the
    client sent 0 of the 1 message the recorded client sent``."""
    parts = []
    if outcome.frames_unsent:
        parts.append(
            f"{outcome.frames_unsent} of {plural(outcome.frames_recorded, 'recorded frame')} "
            "never sent"
        )
    close = plan.connections[outcome.connection - 1].close
    if close is not None:
        parts.append(f"the recorded close {close.code or 1006} never sent")
    if outcome.client_messages < outcome.messages_recorded:
        parts.append(
            f"the client sent {outcome.client_messages} of the "
            f"{plural(outcome.messages_recorded, 'message')} the recorded client sent"
        )
    return "; ".join(parts) or "the client closed before the recording's end"


class _Waits:
    """Says what the replay waits for, once each: a client connection for the next recorded
    connection (a session that reconnected, or ``--transport auto`` trying transports in turn,
    recorded several), or, after ``QUIET_S`` of silence, a client message or close."""

    QUIET_S = 5.0

    def __init__(self, plan: ReplayPlan, clock: Callable[[], float]) -> None:
        self.plan = plan
        self.clock = clock
        self.next_said = 0
        self.since: dict[int, tuple[str, float]] = {}
        self.said: set[tuple[int, str]] = set()
        self.tickets_said = False

    def say(self, outcomes: Sequence[ReplayOutcome], tickets_answered: int = 0) -> None:
        n, given = self.plan.n_connections, len(outcomes)
        asked = self.plan.n_tickets
        done = given >= n and all(o.finished for o in outcomes)
        if done and tickets_answered < asked and not self.tickets_said:
            self.tickets_said = True
            print(
                f"waiting for ticket request {tickets_answered + 1} of {asked} (POST "
                "/api/websocket/ticket): the recorded session asked for one before "
                "connecting; a client on another transport never will; Ctrl-C to stop",
                flush=True,
            )
        if 0 < given < n and given > self.next_said and all(o.finished for o in outcomes):
            self.next_said = given
            print(
                f"waiting for a client connection to play recorded connection {given + 1} of "
                f"{n} ({self.plan.connections[given].describe()}): the recorded session "
                f"connected {n} times (it reconnected, or --transport auto tried one transport "
                "after another); Ctrl-C to stop",
                flush=True,
            )
        now = self.clock()
        for number, outcome in enumerate(outcomes, start=1):
            text = "" if outcome.finished else outcome.waiting_for
            if not text:
                self.since.pop(number, None)
                continue
            seen, since = self.since.setdefault(number, (text, now))
            if seen != text:
                self.since[number] = (text, now)
            elif now - since >= self.QUIET_S and (number, text) not in self.said:
                self.said.add((number, text))
                print(f"replay {number}: waiting {now - since:.0f} s for {text}", flush=True)

    def unplayed(self, outcomes: Sequence[ReplayOutcome], tickets_answered: int = 0) -> str:
        """The summary an interrupted replay ends with."""
        n = self.plan.n_connections
        done = [o for o in outcomes[:n] if o.finished]
        text = f"stopped after {len(done)} of {plural(n, 'recorded connection')} played"
        short = sum(o.cut_short for o in done)
        if short:
            text += f" ({short} cut short)"
        still = len(outcomes[:n]) - len(done)
        if still:
            text += f"; {still} still playing"
        if len(outcomes) < n:
            text += f"; never requested: recorded connection {len(outcomes) + 1}"
            text += f" to {n}" if len(outcomes) + 1 < n else ""
        if tickets_answered < self.plan.n_tickets:
            text += (
                f"; {tickets_answered} of {plural(self.plan.n_tickets, 'recorded ticket request')}"
                " answered"
            )
        return text


async def _serve(args: argparse.Namespace) -> int:
    import asyncio

    from netra_diag.errors import UsageError
    from netra_diag.live.replay import serve_cassette

    if not args.linger >= 0:
        raise UsageError(f"--linger must be >= 0 seconds, got {args.linger}")
    async with serve_cassette(
        args.file, host=args.host, port=args.port, speed=args.speed, repeat=args.loop
    ) as rs:
        plan = rs.plan
        n = plan.n_connections
        print(banner(args.file, plan, args.speed))
        if n > 1:
            for number, connection in enumerate(plan.connections, start=1):
                print(f"  connection {number}: {connection.describe()}")
        for number, ticket in enumerate(plan.tickets, start=1):
            print(f"  ticket request {number}: {ticket.describe()}")
        for warning in rs.warnings:
            print(f"  warning: {warning}")
        age = _age_note(plan, time.time())
        if age:
            print(f"  note: {age}")
        print(rs.url, flush=True)
        reported: set[int] = set()
        refused = tickets_answered = bad_tickets = 0

        def report(outcome: ReplayOutcome, number: int) -> None:
            which = f"replay {number} (recorded connection {outcome.connection}/{n})"
            line(outcome, which)
            extra = outcome.client_messages - outcome.messages_recorded
            notes = list(outcome.notes)
            if outcome.answer == "upgrade" and extra > 0:
                notes.append(
                    f"the client sent {plural(outcome.client_messages, 'message')}, the recorded "
                    f"client {outcome.messages_recorded}: the replay answers only the recorded "
                    f"ones, so {plural(extra, 'message')} got no answer"
                )
            for note in notes:
                print(f"  note: {note}", flush=True)

        def line(outcome: ReplayOutcome, which: str) -> None:
            print(replay_line(outcome, which, plan), flush=True)

        loop = asyncio.get_running_loop()
        played_at: float | None = None

        def poll() -> int | None:
            nonlocal refused, tickets_answered, bad_tickets, played_at
            if rs.refused > refused:
                refused = rs.refused
                print(
                    f"refused {plural(refused, 'connection')} beyond the recorded ones (HTTP 503)"
                )
            for number, text in enumerate(rs.tickets.answers[tickets_answered:], start=1):
                print(f"ticket request {tickets_answered + number}: {text}", flush=True)
            tickets_answered = len(rs.tickets.answers)
            if rs.tickets.refused_upgrades > bad_tickets:
                bad_tickets = rs.tickets.refused_upgrades
                print(
                    f"refused {plural(bad_tickets, 'upgrade')} with a ticket this replay did "
                    "not accept"
                )
            if not args.loop and rs.played:
                played_at = loop.time() if played_at is None else played_at
                if loop.time() - played_at >= args.linger:
                    short = sum(o.cut_short for o in rs.outcomes)
                    if not short:
                        return int(ExitCode.OK)
                    print(
                        f"replay incomplete: {plural(short, 'connection')} of "
                        f"{len(rs.outcomes)} ended before the recording did (see CUT SHORT "
                        "above): the client did not get everything that was recorded",
                        flush=True,
                    )
                    return int(ExitCode.FAILURE)
            return None

        waits = _Waits(plan, loop.time)
        # SIGTERM (a CI script stopping the replay it started) ends it as Ctrl-C does: with the
        # summary of what was played, not silently.
        task = asyncio.current_task()
        terminated = False

        def on_term() -> None:
            nonlocal terminated
            terminated = True
            if task is not None:
                task.cancel()

        # (Not on Windows, nor in a thread other than the main one.)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, on_term)

        def report_finished() -> None:
            for number, outcome in enumerate(list(rs.outcomes), start=1):
                if outcome.finished and number not in reported:
                    reported.add(number)
                    report(outcome, number)

        try:
            while True:  # without --loop, until every recorded connection was played
                report_finished()
                waits.say(rs.outcomes, len(rs.tickets.answers))
                code = poll()
                if code is not None:
                    return code
                await asyncio.sleep(0.1)
        except asyncio.CancelledError:
            # A connection that ended since the last look, or whose client left just before the
            # signal while its playback had yet to notice, still gets its line: a moment for
            # those in flight to end, then each finished one is reported.
            idle = asyncio.ensure_future(rs.wait_idle())
            await asyncio.wait([idle], timeout=_SETTLE_S)
            idle.cancel()
            report_finished()
            if not args.loop:
                print(waits.unplayed(rs.outcomes, len(rs.tickets.answers)), flush=True)
            if not terminated:
                raise
            print("stopped by SIGTERM", file=sys.stderr)
            return int(ExitCode.OK) if args.loop else TERMINATED  # 143, as fanout and probe
