"""``netra-diag fanout [URL]``: many concurrent users, each with its own token and thread."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

from netra_diag.cli.arguments import positive_int
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.fanout_interrupt import interruptible, print_result, report_interrupted
from netra_diag.cli.sigterm import TERMINATED, Terminated, until_sigterm

if TYPE_CHECKING:
    from pathlib import Path

    from netra_diag.live.fanout import FanoutResult

__all__ = ["exit_code_for", "parse_ramp", "register"]

# The embedded service runs a fixed script so the expected events per run are known exactly:
# agent_started, 2 × agent_thinking, tool_executing + tool_completed, agent_completed.
_EMBEDDED_THINKING = 2
_EMBEDDED_TOOLS = 1
EMBEDDED_EXPECTED_EVENTS = 2 + _EMBEDDED_THINKING + 2 * _EMBEDDED_TOOLS
_DEFAULT_TIME_SCALE = 0.01

_EPILOG = """\
Without URL, the embedded reference service is started in this process (strict auth, a fixed
script of 6 critical events per run, delays scaled by --time-scale) and tokens are minted with
the local development secret. With URL, tokens are minted per user with the secret of --profile
(JWT_SECRET_KEY, or --secret-env NAME); the secret is never printed.

Prints: sessions connected, runs completed (and runs not attempted because the user's
connection had dropped), critical events lost (expected vs received), errors by class (a close
by its code, "closed 1011"; a failed run's class with the first such run's error; the event
contract's errors over every frame each session received on the socket it kept, as probe and
trace judge them, "contract: oversized_frame", with an example; a run cut by a close or a
timeout is counted once, by that class, not again as the findings that only say it stopped:
no_terminal, unfinished_tool, event types never sent), users that could not connect
("not connected", with the first one's error) or whose credentials were refused ("auth
failed") or not validated ("auth bypassed"), users that --transport auto got in only after
other transports were refused ("auto fallback", not an error by itself), the isolation verdict
(cross-user contamination, PROTOCOL.md §7; events another user's are counted there, not as
contract errors) and, on the embedded service, the faults it injected ("injected faults",
from its fault log, to set against what was found).

exit codes: 0 ok, 2 usage error, 3 contamination, authentication refused (close 1008, any
close right after AUTH_FAILED, HTTP 401/403) or bypassed (users let in under ids other than
their token's sub: demo-user-001, relaxed_<n>), events lost, runs ended by agent error or a
close frame (1011), contract errors (unusable or oversized frames, events after the terminal
one), or isolation not judgeable because users share one server id (auth bypass), 4 runs timed
out, 5 users could not connect or lost the connection (1006: no close frame; 1001: the server
went away, e.g. restarted), as probe says,
130 interrupted (Ctrl-C): the summary covers what was measured until then, its first line
says INTERRUPTED (Ctrl-C) (a run in flight counts what it received and loses nothing, runs
never sent are "not sent", users not connected yet are no connect failures; --json has
"interrupted": true), 143 terminated (SIGTERM, as CI or 'timeout' sends it): the same
partial summary, its first line says INTERRUPTED (SIGTERM), --json has "interrupted_by":
"SIGTERM". With --record the last line on stderr names the folder, whose cassettes hold
everything received until then

--record DIR refuses a folder that already holds cassettes (*.jsonl) from an earlier run,
naming how many (exit 2): the two runs would be read as one. --overwrite removes them first.
More --users than this process may hold open (ulimit -n: a socket per user, its cassette, the
embedded server's end) are refused too (exit 2), naming how many fit.

examples:
  netra-diag fanout --users 150 --runs 30 --ramp 50/s --record cassettes/
  netra-diag fanout --users 150 --record cassettes/ --overwrite     # replace the last run's
  netra-diag fanout ws://127.0.0.1:8000/ws --users 20 --runs 3 --transport subprotocol --json
"""

_NEGATIVE_VALUE = re.compile(r"^-(?:\d+|\d*\.\d+)(?:[eE][-+]?\d+)?(?:\s*/\s*s(?:ec)?)?$")
_RAMP = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?:/\s*s(?:ec)?)?\s*$")


def parse_ramp(text: str) -> float:
    """``"50/s"``, ``"50"`` or ``"2.5/sec"`` → users per second."""
    match = _RAMP.match(text)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(
            f"bad ramp {text!r}: expected a positive rate in users per second, e.g. 50/s"
        )
    return float(match.group(1))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "fanout",
        help="many concurrent users with their own tokens: runs, lost events, isolation",
        description="Open one session per user, run requests on each, record everything and "
        "check that no user received another user's events.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # "--ramp -5/s" would otherwise be read as an unknown option "-5/s" ("expected one
    # argument"): rates that look negative are values, which parse_ramp then explains.
    parser._negative_number_matcher = _NEGATIVE_VALUE
    parser.add_argument(
        "url",
        nargs="?",
        metavar="URL",
        help="WebSocket endpoint (default: start the embedded reference service)",
    )
    parser.add_argument(
        "--users", type=positive_int, default=10, help="concurrent users (default 10)"
    )
    parser.add_argument(
        "--runs",
        type=positive_int,
        default=1,
        help="runs per user, one after the other (default 1)",
    )
    parser.add_argument(
        "--ramp",
        type=parse_ramp,
        default=None,
        metavar="RATE",
        help="start users at RATE per second, e.g. 50/s (default: all at once)",
    )
    parser.add_argument(
        "--record",
        metavar="DIR",
        default=None,
        help="write one cassette per user into DIR (created if missing); a DIR that already "
        "holds cassettes (*.jsonl) is refused (exit 2) unless --overwrite is given",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="with --record: remove the *.jsonl cassettes already in DIR before the run, so "
        "that the folder holds this run only",
    )
    parser.add_argument(
        "--transport",
        choices=("auto", "header", "subprotocol", "query", "ticket"),
        default="auto",
        help="how each session carries its token (default auto)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds per run before it times out (default 30)",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=64,
        help="connects in flight at once (default 64; keeps under the listen backlog)",
    )
    parser.add_argument(
        "--user-prefix", default="fanout-user", help="user ids are PREFIX-0000, PREFIX-0001, …"
    )
    parser.add_argument(
        "--profile", default="local", help="token profile for minting (default local)"
    )
    parser.add_argument(
        "--secret-env",
        metavar="NAME",
        default=None,
        help="environment variable holding the signing secret (default: the profile's)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )
    embedded = parser.add_argument_group("embedded service (only without URL)")
    # Defaults None: given with a URL at all, they are a usage error (live_options).
    embedded.add_argument(
        "--auth",
        choices=("strict", "demo", "relaxed", "emergency"),
        default=None,
        help="auth mode of the embedded service (default strict)",
    )
    embedded.add_argument(
        "--faults", default=None, help="faults to inject, e.g. leak_other_user@0.1,drop_event"
    )
    embedded.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="scale of the embedded agent's delays (default 0.01; 1 = realistic seconds)",
    )
    parser.set_defaults(func=run)


def exit_code_for(result: FanoutResult) -> ExitCode:
    """The most important failure class first: contamination, refused credentials (1008,
    HTTP 401/403), connects and connections lost (1006), timeouts, then lost events / bad runs
    / contract errors in the frames received / unjudgeable isolation."""
    verdict = result.isolation.verdict.value
    if verdict == "contaminated":
        return ExitCode.CONTRACT
    if result.auth_refusals:  # refused credentials are an auth problem, not a lost connection
        return ExitCode.CONTRACT
    if result.bypassed_as:  # let in unvalidated (probe's BYPASS): nothing about tokens proven
        return ExitCode.CONTRACT
    if result.sessions_connected < result.n_users:
        return ExitCode.CONNECTION
    if _connections_lost(result):  # dropped without a close frame: not the event contract
        return ExitCode.CONNECTION
    outcomes = result.runs["outcome"].value_counts().to_dict() if len(result.runs) else {}
    if outcomes.get("timeout", 0):
        return ExitCode.TIMEOUT
    if result.events_lost or result.runs_completed < result.runs_total:
        return ExitCode.CONTRACT
    if result.contract_errors:  # the frames probe and trace fail: unusable, oversized, late
        return ExitCode.CONTRACT
    if verdict == "cannot judge" and result.isolation.shared_ids:
        return ExitCode.CONTRACT
    return ExitCode.OK


# A server going away (1001: shut down, restarted, a Cloud Run instance replaced) is the
# connection lost as much as one dropped without a close frame: neither says anything of the
# event contract. (It was exit 3, as a contract problem, when `serve` was stopped mid-run.)
_GOING_AWAY = 1001


def _connections_lost(result: FanoutResult) -> int:
    """Runs cut by a connection dropped without a close frame (1006) or by the server going
    away (1001), which ``probe`` calls a connection lost (exit 5) as well."""
    from netra_diag.closecodes import ABNORMAL_CLOSURE

    runs = result.runs
    if not len(runs):
        return 0
    lost = runs["close_code"].isin([ABNORMAL_CLOSURE, _GOING_AWAY])
    return int(((runs["outcome"] == "closed") & lost).sum())


def _token_factory(args: argparse.Namespace, secret: str | None = None) -> tuple[Any, str]:
    """(``token_for(user_id)``, the secret it signs with: handed to the fan-out as well, so
    that no cassette holds it)."""
    import time

    from netra_diag.errors import UsageError
    from netra_diag.tokens import find_secret, get_profile, mint_token

    prof = get_profile(args.profile)
    if secret is not None:
        pass  # the embedded service's own secret
    elif args.secret_env:
        secret = os.environ.get(args.secret_env)
        if not secret:
            raise UsageError(f"environment variable {args.secret_env} is not set (or empty)")
    else:
        found = find_secret(prof, os.environ)
        if found is None:
            raise UsageError(
                f"no secret for profile {prof.name}: set {prof.secret_env} or pass --secret-env"
            )
        secret = found.value

    def token_for(user_id: str) -> str:
        return mint_token(user_id, key=secret, now=time.time(), profile=prof)

    return token_for, secret


def run(args: argparse.Namespace) -> int:
    import asyncio

    from netra_diag.cli.live_options import (
        check_descriptors,
        check_live_options,
        check_record_dir,
        fill_embedded_defaults,
    )
    from netra_diag.errors import UsageError

    try:
        # Before any service starts or user connects: a bad option is one usage error.
        check_live_options(args)
        fill_embedded_defaults(args, auth="strict", faults="", time_scale=_DEFAULT_TIME_SCALE)
        if args.overwrite and args.record is None:
            raise UsageError("--overwrite applies to --record DIR, which is not given")
        old = (
            check_record_dir(args.record, overwrite=args.overwrite)
            if args.record is not None
            else []
        )
        check_descriptors(args)
        sigterm: list[int] = []
        try:
            result, injected = asyncio.run(until_sigterm(_fanout(args, old), sigterm))
        except Terminated:
            # Before the ramp began (nothing measured, nothing to summarise), or a second
            # SIGTERM while the users were stopping.
            print(
                f"netra-diag fanout: terminated (SIGTERM): no summary{_kept(args)}", file=sys.stderr
            )
            return TERMINATED
        except KeyboardInterrupt:
            # Ctrl-C before the ramp began, or a second one while the users were stopping: no
            # summary (``main`` prints the line and exits 130). Cassettes are flushed per frame:
            # what was recorded until then is there to trace.
            if args.record:
                raise KeyboardInterrupt(f"no summary{_kept(args)}") from None
            raise
    except UsageError as exc:
        print(f"netra-diag fanout: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if result.interrupted or sigterm:
        return report_interrupted(args, result, injected, terminated=bool(sigterm))
    code = exit_code_for(result)
    print_result(result, injected, int(code), code.name.lower(), args.json)
    return int(code)


def _kept(args: argparse.Namespace) -> str:
    """``; the cassettes recorded so far are in DIR``, or ``; nothing was recorded`` when the
    fan-out was stopped before any user wrote one (it named an empty folder)."""
    if not args.record:
        return ""
    from pathlib import Path

    if not any(Path(args.record).glob("*.jsonl")):
        return f"; nothing was recorded in {args.record}"
    return f"; the cassettes recorded so far are in {args.record}"


async def _fanout(
    args: argparse.Namespace, old_cassettes: list[Path]
) -> tuple[FanoutResult, dict[str, int] | None]:
    """The fan-out, and the faults the embedded service injected (None against a URL: what a
    remote service did is not known); ``old_cassettes`` (``--overwrite``) are removed once every
    option has been checked, just before the run."""
    from netra_diag.cli.live_options import remove_cassettes
    from netra_diag.live.fanout import run_fanout

    progress = sys.stderr.isatty() if args.progress is None else args.progress
    partial: list[FanoutResult] = []
    common: dict[str, Any] = {
        "users": [f"{args.user_prefix}-{i:04d}" for i in range(args.users)],
        "runs": args.runs,
        "ramp": args.ramp,
        "transport": args.transport,
        "record_dir": args.record,
        "run_timeout": args.timeout,
        "connect_concurrency": args.concurrency,
        "progress": progress,
        # This process exists only for the fan-out, so it may quiet the collector.
        "quiet_gc": True,
        "on_interrupt": partial.append,
    }
    if args.url:
        token_for, secret = _token_factory(args)
        remove_cassettes(old_cassettes)
        fanout = run_fanout(args.url, token_for=token_for, secrets=(secret,), **common)
        return await interruptible(fanout, partial), None

    from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile, run_service

    config = EmulatorConfig(
        auth=AuthMode(args.auth),
        timing=TimingProfile(
            time_scale=args.time_scale,
            thinking_steps=(_EMBEDDED_THINKING, _EMBEDDED_THINKING),
            tool_calls=(_EMBEDDED_TOOLS, _EMBEDDED_TOOLS),
        ),
        faults=FaultPlan.parse(args.faults),
    )
    token_for, secret = _token_factory(args, config.secret)
    remove_cassettes(old_cassettes)
    async with run_service(config) as svc:
        if not args.json:
            print(f"embedded service at {svc.url} (auth {args.auth})", flush=True)
        fanout = run_fanout(
            svc.url,
            token_for=token_for,
            secrets=(secret,),
            expected_events=EMBEDDED_EXPECTED_EVENTS,
            labels={"service": "embedded"},
            **common,
        )
        result = await interruptible(fanout, partial)
        injected = Counter(str(item.fault) for item in svc.fault_log)
    return result, dict(injected)
