"""``netra-diag replay FILE``: serve a cassette back over a real WebSocket with its timing."""

from __future__ import annotations

import argparse
import sys

from netra_diag.cli.exit_codes import ExitCode

__all__ = ["register"]

_EPILOG = """\
Serves FILE on ws://HOST:PORT/ws (any path is accepted): on connect the recorded subprotocol is
selected, frames the server sent are played at their recorded offsets (after each message the
client sent in the recording, the replay waits for the client to send one), and the connection is
closed with the recorded close code. Prints the URL, then one line per replayed connection.

exit codes: 0 ok (replay ended, or Ctrl-C with --loop), 2 usage error (bad file, port in use,
non-loopback host), 130 interrupted

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
        help="keep serving: replay to every client that connects until Ctrl-C "
        "(default: stop after the first replay ends)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from netra_diag.errors import RecordingError, UsageError

    try:
        return asyncio.run(_serve(args))
    except (UsageError, RecordingError) as exc:
        print(f"netra-diag replay: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        if not args.loop:
            raise
        print("stopped", file=sys.stderr)  # --loop runs until Ctrl-C: that is the normal end
        return int(ExitCode.OK)


async def _serve(args: argparse.Namespace) -> int:
    import asyncio

    from netra_diag.live.replay import ReplayOutcome, serve_cassette

    async with serve_cassette(
        args.file, host=args.host, port=args.port, speed=args.speed, repeat=args.loop
    ) as rs:
        plan = rs.plan
        print(
            f"replaying {args.file} ({plan.n_frames} frames, {plan.n_client_messages} client "
            f"message(s), {plan.duration_s:.3f} s at speed 1) at speed {args.speed:g}"
        )
        for warning in rs.warnings:
            print(f"  warning: {warning}")
        print(rs.url, flush=True)
        reported: set[int] = set()

        def report(outcome: ReplayOutcome, n: int) -> None:
            how = "client closed" if outcome.client_closed_first else f"closed {outcome.close_code}"
            print(
                f"replay {n}: {outcome.frames_sent} frames sent, {outcome.client_messages} "
                f"client message(s), {how}, max lateness {outcome.max_lateness_ms:.2f} ms",
                flush=True,
            )

        if not args.loop:
            report(await rs.wait_finished(), 1)
            return int(ExitCode.OK)
        while True:  # until Ctrl-C
            await asyncio.sleep(0.2)
            for n, outcome in enumerate(rs.outcomes, start=1):
                if outcome.finished and n not in reported:
                    reported.add(n)
                    report(outcome, n)
