"""``netra-diag demo``: the main job, against the embedded reference service (no network).

Starts the reference service, mints a token, runs one agent turn and prints what happened:
handshake, auth verdict, each event with its time, outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from netra_diag.cli.exit_codes import ExitCode

__all__ = ["register", "run"]

EPILOG = """\
exit codes:
  0  the turn completed and auth was really validated
  3  contract or auth problem (e.g. auth bypassed)
  4  the run timed out
  5  the service could not be reached

example:
  netra-diag demo
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="main job: run an investigation against the embedded reference service",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--message", default=None, help="the chat message to send")
    parser.set_defaults(func=run)


async def _demo(message: str | None) -> int:
    from netra_diag.emulator import EmulatorConfig, run_service
    from netra_diag.investigation import DEMO_MESSAGE, describe_turn, run_turn
    from netra_diag.live import RunOutcome
    from netra_diag.tokens import find_secret, mint_token

    lookup = find_secret("local", os.environ)
    assert lookup is not None  # the local profile always has its built-in secret
    async with run_service(EmulatorConfig(secret=lookup.value)) as service:
        print(f"reference service on {service.url} (strict auth)")
        token = mint_token("demo-engineer", key=lookup.value, now=time.time())
        turn = await run_turn(service.url, token=token, message=message or DEMO_MESSAGE)
    for line in describe_turn(turn):
        print(line)
    if turn.record.outcome is RunOutcome.TIMEOUT:
        return int(ExitCode.TIMEOUT)
    if turn.auth.bypass or turn.record.outcome is not RunOutcome.COMPLETED:
        return int(ExitCode.CONTRACT)
    return int(ExitCode.OK)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_demo(args.message))
