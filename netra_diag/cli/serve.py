"""``netra-diag serve``: run the embedded reference agent service until Ctrl-C (PROTOCOL.md).

It prints the URL, the auth mode and how to mint a token it accepts; never the secret. It listens
on loopback only unless ``--allow-remote`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import UsageError
from netra_diag.tokens.profiles import PROFILES

if TYPE_CHECKING:
    from netra_diag.emulator import EmulatorConfig, ServiceHandle

__all__ = ["build_config", "mint_hint", "register"]

_EPILOG = """\
faults (--faults NAME[@PROBABILITY],...,stall_s=SECONDS, or ?faults=... in the URL):
  per run:         drop_event (one critical event not sent), duplicate_event (one sent twice),
                   reorder (two neighbours swapped), stall (stall_s seconds before one event),
                   disconnect_mid_run (TCP dropped, no close frame: 1006), malformed_frame
                   (truncated JSON), unknown_event_type (agent_telemetry_snapshot),
                   oversized_frame (partial_result over 1 MiB, anywhere in the run),
                   leak_other_user (one event also sent to another user's connection)
  per connection:  reject_auth (valid credentials refused: AUTH_FAILED, --auth-close code),
                   close_1011_after_first_message, stop_heartbeats (no idle heartbeats),
                   drop_handshake_complete, late_handshake_complete (held stall_s; with
                   --handshake only)
  PROBABILITY defaults to 1 (every run, or every connection); --fault-log records each one.

exit codes: 0 stopped with Ctrl-C or SIGTERM, 2 usage error (bad option, non-loopback host,
missing secret), 5 the port could not be bound.

example:
  netra-diag serve --port 8000 --auth strict
  TOKEN=$(netra-diag token mint --sub u1)
  # then offer subprotocols ["jwt-auth", "jwt.<base64url token>"] to ws://127.0.0.1:8000/ws
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "serve",
        help="run the embedded reference agent service (local stand-in for the real one)",
        description=(
            "Run a protocol-faithful local agent service: /ws and /api/v1/websocket with every "
            "auth transport, agent runs with the five critical events, envelope variants and "
            "fault injection, plus /ws/health and /ws/config over HTTP on the same port."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="listen address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default 8000)")
    p.add_argument(
        "--auth",
        default="strict",
        choices=["strict", "demo", "relaxed", "emergency"],
        help="strict validates like the service; demo/relaxed/emergency accept anything",
    )
    p.add_argument(
        "--profile",
        default="local",
        help=f"token profile the service validates against: {', '.join(PROFILES)} (default local)",
    )
    p.add_argument(
        "--envelope",
        default="a",
        choices=["a", "b", "c", "d", "e", "mixed"],
        help="envelope variant of agent events (PROTOCOL.md §5); per connection: ?envelope=b",
    )
    p.add_argument(
        "--faults",
        default="",
        help="faults to inject, e.g. drop_event,stall@0.5,stall_s=1.5; per connection: ?faults=",
    )
    p.add_argument(
        "--time-scale", type=float, default=1.0, help="multiply every run delay (0 = no sleeps)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed for timing, ids and faults")
    p.add_argument(
        "--idle-heartbeat",
        type=float,
        default=15.0,
        help="seconds of client silence before the server sends a heartbeat (default 15)",
    )
    p.add_argument(
        "--fault-log", metavar="FILE", help="append every injected fault to FILE (JSONL)"
    )
    p.add_argument(
        "--auth-close",
        type=int,
        default=1008,
        choices=[1008, 1011],
        help="close code on auth failure: 1008 (current) or 1011 (older authenticator)",
    )
    p.add_argument(
        "--handshake",
        action="store_true",
        help="the newest generation's handshake on every connection: handshake_response, "
        "wait for handshake_acknowledged, handshake_complete (per connection: ?handshake=on)",
    )
    p.add_argument(
        "--transports",
        metavar="NAMES",
        default=None,
        help="accept credentials only from these transports, comma-separated "
        "(header, subprotocol, query, ticket; default: all)",
    )
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (the service is meant for this machine only)",
    )
    p.set_defaults(func=_run)


def build_config(
    args: argparse.Namespace, environ: dict[str, str] | None = None
) -> tuple[EmulatorConfig, str]:
    """The ``EmulatorConfig`` for parsed ``args``; the secret is the profile's (JWT_SECRET_KEY,
    then the deprecated names; the built-in local secret for ``local``)."""
    from netra_diag.emulator import EmulatorConfig, FaultPlan, TimingProfile
    from netra_diag.tokens import find_secret

    # Named as typed: the configuration's own messages name its fields (idle_heartbeat_s,
    # TimingProfile.time_scale), which no option of this command is called.
    if not (math.isfinite(args.time_scale) and args.time_scale >= 0):
        raise UsageError(
            f"--time-scale must be a factor >= 0 (0 = no sleeps), got {args.time_scale:g}"
        )
    if not (math.isfinite(args.idle_heartbeat) and args.idle_heartbeat > 0):
        raise UsageError(
            f"--idle-heartbeat must be a number of seconds > 0, got {args.idle_heartbeat:g}"
        )
    if args.fault_log is not None and not args.fault_log.strip():
        # ('' was taken as no fault log at all, silently)
        raise UsageError("--fault-log is empty: give a file name, e.g. faults.jsonl")
    transports = _transport_names(args.transports)
    if args.fault_log:
        # Opened for good only once the service listens, where a failure read "cannot listen
        # on 127.0.0.1:8000: Is a directory" (exit 5).
        try:
            with open(args.fault_log, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(f"--fault-log {args.fault_log}: {exc.strerror}") from None
    env = dict(os.environ if environ is None else environ)
    found = find_secret(args.profile, env)
    if found is None:
        raise UsageError(
            f"no signing secret for profile {args.profile!r}: set JWT_SECRET_KEY "
            "(the service and 'netra-diag token mint' must share it)"
        )
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        auth=args.auth,
        profile=args.profile,
        secret=found.value,
        envelope=args.envelope,
        timing=TimingProfile(time_scale=args.time_scale),
        faults=FaultPlan.parse(args.faults),
        idle_heartbeat_s=args.idle_heartbeat,
        seed=args.seed,
        fault_log_path=args.fault_log,
        auth_close_code=args.auth_close,
        allow_remote=args.allow_remote,
        handshake=args.handshake,
        transports=transports,
    ), found.source


def _transport_names(value: str | None) -> frozenset[str] | None:
    """``--transports header,query`` as a set; ``None`` (all) when not given. An empty value
    was taken as "all" while "," was an error; an unknown name among known ones was reported
    as naming none of them ("must name at least one of ...; got ['foo', 'header']")."""
    from netra_diag.emulator.config import CREDENTIAL_TRANSPORTS

    if value is None:
        return None
    names = frozenset(t.strip().lower() for t in value.split(",") if t.strip())
    valid = ", ".join(CREDENTIAL_TRANSPORTS)
    if not names:
        raise UsageError(
            f"--transports {value!r} names no transport; transports must name at least one of "
            f"{valid}"
        )
    unknown = sorted(names - set(CREDENTIAL_TRANSPORTS))
    if unknown:
        listed = ", ".join(repr(u) for u in unknown)
        word = "transport" if len(unknown) == 1 else "transports"
        raise UsageError(
            f"--transports: unknown {word} {listed}; transports must name only {valid}"
        )
    return names


def _run(args: argparse.Namespace) -> int:
    try:
        config, source = build_config(args)
    except UsageError as exc:
        print(f"netra-diag serve: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    try:
        asyncio.run(_serve(config, source))
    except KeyboardInterrupt:  # where signal handlers cannot be installed
        print("\nstopped", file=sys.stderr)
        return int(ExitCode.OK)
    except OSError as exc:
        where = f"[{args.host}]" if ":" in args.host else args.host
        print(
            f"netra-diag serve: error: cannot listen on {where}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return int(ExitCode.CONNECTION)
    return int(ExitCode.OK)


def mint_hint(config: EmulatorConfig) -> str:
    """How to get a token this service accepts: the ``token mint`` command line that works as
    printed (the production profile mints only with ``--allow-production``), or why any token
    does."""
    from netra_diag.tokens import get_profile

    if config.auth.value != "strict":
        return f"any (or none); {config.auth.value} mode assigns synthetic user ids"
    prof = get_profile(config.profile)
    flags = "" if prof.name == "local" else f" --profile {prof.name}"
    if prof.requires_explicit:
        flags += " --allow-production"
    return f"netra-diag token mint --sub u1{flags}"


def _silence_stdout() -> None:
    """Whoever read the banner stopped reading (``URL=$(netra-diag serve | head -1)``): the
    service outlives its banner, and the write error was reported as "cannot listen". What is
    still buffered for the closed pipe would fail again at exit, so stdout goes nowhere now."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _print_banner(svc: ServiceHandle, config: EmulatorConfig, secret_source: str) -> None:
    print(f"reference agent service listening on {svc.url}", flush=True)
    print(
        f"  also: {svc.ws_url('/api/v1/websocket')}, {svc.http_base}/ws/health, "
        f"{svc.http_base}/ws/config"
    )
    print(f"  auth: {config.auth.value} (profile {config.profile}; secret from {secret_source})")
    print(f"  token: {mint_hint(config)}")
    print(
        f"  envelope: {config.envelope}; faults: {config.faults.describe() or 'none'}; "
        f"time scale {config.timing.time_scale:g}"
    )
    if config.fault_log_path:
        print(f"  fault log: {config.fault_log_path}")
    print("  Ctrl-C to stop", flush=True)


async def _serve(config: EmulatorConfig, secret_source: str) -> None:
    from netra_diag.emulator import run_service

    async with run_service(config) as svc:
        # This process only serves from here on: what exists now (modules, classes, the
        # configuration) lives as long as it does, so full collections need not scan it. Each
        # one stops every connection's sends while it runs: 25-35 ms in the middle of 200
        # runs, in the service process of ``benchmarks/bench_latency_accuracy.py`` (which also
        # holds that script's imports), and none at all once frozen.
        gc.freeze()
        try:
            _print_banner(svc, config, secret_source)
        except BrokenPipeError:
            _silence_stdout()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # SIGTERM (a service manager, `kill`) stops as cleanly as Ctrl-C: connections get 1001.
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    print("stopped", file=sys.stderr)
