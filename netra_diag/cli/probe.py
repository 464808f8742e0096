"""``netra-diag probe [URL]``: one authenticated session and one run, every frame shown live, then
a summary: handshake, auth verdict, events, latency marks, close explanation.

Without URL the embedded reference service is started in this process, so the command works
offline. Exit codes separate the classes of failure (see ``_EPILOG``). What is shown lives in
``cli.probe_summary``; what is concluded (problems, exit code) in ``cli.probe_verdict``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import TYPE_CHECKING, Any, TextIO

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.probe_summary import (
    build_summary,
    format_frame,
    print_refusal,
    print_summary,
    refusal_report,
    tidy_cut_frames,
)
from netra_diag.cli.probe_verdict import (
    exit_code_for,
    handshake_problems,
    minimal_contract_problems,
)
from netra_diag.closecodes import AUTH_STAGE_CLOSE_CODES
from netra_diag.errors import UsageError

if TYPE_CHECKING:
    from netra_diag.events.model import TimedEvent

__all__ = [
    "exit_code_for",
    "format_frame",
    "handshake_problems",
    "minimal_contract_problems",
    "register",
]

_DEFAULT_TIME_SCALE = 0.2

_EPILOG = """\
Without URL, the embedded reference service runs in this process (loopback, port 0) with
--auth/--faults/--time-scale, and the token is minted with the local development secret.
--auth/--faults/--time-scale with a URL are a usage error (that service has its own).
With URL, the token comes from --token-env NAME, or is minted for --sub with the secret of
--profile (JWT_SECRET_KEY, or --secret-env NAME). A --token-env value copied with what was
around the token (Bearer, quotes, TOKEN=) is read as 'token inspect' reads it, with a note on
stderr. Tokens are never printed: fingerprints only.

exit codes: 0 ok, 2 usage error, 3 contract or auth problem (auth bypass, 1008 or any close
right after AUTH_FAILED, HTTP 401/403, no supported subprotocol 1003 or 1002, agent error,
missing or misordered critical events, handshake_complete never sent, the request only
acknowledged as a type the service does not run: an echo endpoint such as /ws/test, said as
soon as the ack comes), 4 the run timed out, 5 could not connect, upgrade refused (other
statuses) or connection lost (1006, 1001 the server going away, 1011 after the session was
accepted), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM, as CI or 'timeout' sends it):
the session is closed, no summary (with --json, one object: interrupted_by, exit_code,
recording); the last line on stderr names the --record cassette, which holds everything
received until then

examples:
  netra-diag probe
  netra-diag probe --auth demo                       # exit 3: auth bypass
  netra-diag probe --faults disconnect_mid_run       # exit 5: closed 1006, explained
  netra-diag probe ws://127.0.0.1:8000/ws --transport subprotocol --sub u1 --record probe.jsonl
  netra-diag probe ws://127.0.0.1:8000/ws --transport ticket --sub u1
  TOKEN=... netra-diag probe wss://staging.example/ws --token-env TOKEN --json
"""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "probe",
        help="open one session, run one message, show every frame and explain the outcome",
        description=(
            "Connect with a token by one transport (or auto), send one message, print every frame "
            "live with its time, then summarise the handshake, the auth verdict (server user vs "
            "token sub), the events, latency marks and how the connection closed."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "url", nargs="?", help="ws:// or wss:// endpoint; omit to probe the embedded one"
    )
    p.add_argument(
        "--transport",
        default="auto",
        help="auto (header, subprotocol, query, then ticket in turn), header, subprotocol, "
        "subprotocol-raw, test-helper, bearer, query, ticket (a single-use ticket from POST "
        "/api/websocket/ticket on the URL's own host, fresh per attempt), none, or "
        "bad:<format> (default auto)",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument("--token-env", metavar="NAME", help="read the token from this env variable")
    who.add_argument("--sub", help="mint a token for this user id (default probe-user)")
    who.add_argument("--no-token", action="store_true", help="send no credentials at all")
    p.add_argument("--profile", default="local", help="token profile for minting (default local)")
    p.add_argument("--secret-env", metavar="NAME", help="env variable holding the signing secret")
    p.add_argument("--message", default="Summarise last week's cloud costs", help="text to send")
    p.add_argument("--thread-id", help="thread id to send with the message")
    p.add_argument(
        "--record",
        metavar="FILE",
        help="write the session to this cassette (JSONL), each frame as it comes: a session "
        "cut short, or refused, keeps what happened until then; the summary names the file",
    )
    p.add_argument("--timeout", type=float, default=30.0, help="run timeout in seconds (30)")
    p.add_argument(
        "--open-timeout", type=float, default=10.0, help="connect timeout in seconds (10)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON summary instead of text")
    emb = p.add_argument_group("embedded service (only without URL)")
    # Defaults None: given with a URL at all, they are a usage error (live_options).
    emb.add_argument(
        "--auth",
        default=None,
        choices=["strict", "demo", "relaxed", "emergency"],
        help="auth mode of the embedded service (default strict)",
    )
    emb.add_argument("--faults", default=None, help="faults to inject, e.g. stall,stall_s=3")
    emb.add_argument("--time-scale", type=float, default=None, help="delay scale (default 0.2)")
    p.set_defaults(func=run)


async def _probe(args: argparse.Namespace, url: str, embedded: bool, out: TextIO) -> int:
    """Without ``--record``, the session is recorded all the same, into a cassette of its own
    deleted afterwards: a session refused before it opened leaves no ``Session`` to ask, and its
    cassette is where its attempts, upgrade, the server's error frame and the close are (the
    summary of a session that opened does not name that file)."""
    if args.record:
        return await _probe_recorded(args, url, embedded, out, args.record)
    try:
        private = tempfile.TemporaryDirectory(prefix="netra-diag-probe-")
    except OSError:  # (no writable temporary folder: probed all the same, without it)
        return await _probe_recorded(args, url, embedded, out, None)
    with private:
        own = os.path.join(private.name, "session.jsonl")
        return await _probe_recorded(args, url, embedded, out, own)


async def _probe_recorded(
    args: argparse.Namespace, url: str, embedded: bool, out: TextIO, cassette: str | None
) -> int:
    from netra_diag.cli.probe_token import token_source
    from netra_diag.errors import ConnectFailed, HandshakeRejected, RecordingError, SessionClosed
    from netra_diag.live import Session
    from netra_diag.live.auth_verdict import auth_refusal

    def show(direction: str, te: TimedEvent) -> None:
        if not args.json:
            print(format_frame(direction, te), file=out, flush=True)

    token, secret = token_source(args, embedded)
    try:
        session = await Session.connect(
            url,
            token=token,
            secrets=(secret,) if secret else (),
            transport=args.transport,
            record=cassette,
            open_timeout=args.open_timeout,
            on_frame=show,
        )
    except (HandshakeRejected, SessionClosed) as exc:
        # Refused credentials (1008, AUTH_FAILED then any close, HTTP 401/403) are an auth
        # problem, and so is a subprotocol the server would not take (1002/1003): the handshake's
        # format is wrong, the connection is fine. Anything else is not.
        at_auth = isinstance(exc, SessionClosed) and exc.code in AUTH_STAGE_CLOSE_CODES
        refusal = auth_refusal(exc)
        if not (refusal or at_auth):
            return _fail(args, out, exc, None)
        # Refused at the handshake: still the handshake, the auth verdict (with the server's
        # whole reason) and the close, as for a session that opened.
        report = refusal_report(cassette, exc, refusal) if cassette else None
        return _fail(args, out, exc, ExitCode.CONTRACT, report)
    except ConnectFailed as exc:
        return _fail(args, out, exc, None)
    except RecordingError as exc:
        # The cassette could not be started (a folder that cannot be created or written, /proc):
        # the option's problem, not the service's.
        raise UsageError(f"--record {args.record}: {exc.reason}") from exc
    try:
        run = await session.run(args.message, timeout=args.timeout, thread_id=args.thread_id)
        if run.ok:
            await session.read_until_quiet()  # a frame right behind the terminal is judged
    finally:
        await session.close()
    # Everything received, not only the run's events up to its terminal one; but only on the
    # socket kept: the refusals of the transports auto tried first are its attempts, not faults.
    problems = minimal_contract_problems(run, session.own_history) if run.ok else []
    problems += handshake_problems(session.marks)
    summary = build_summary(session, run, problems)
    if not args.record:  # (the probe's own cassette, deleted on return: not the user's)
        summary["recording"] = summary["recorded_frames_in"] = None
    code = exit_code_for(run, session, problems)
    if args.json:
        print(json.dumps({**summary, "exit_code": int(code)}, indent=2, default=str), file=out)
    else:
        print_summary(summary, out)
        print(f"exit {int(code)} ({code.name.lower()})", file=out)
    return int(code)


def _fail(
    args: argparse.Namespace,
    out: TextIO,
    exc: Exception,
    code: ExitCode | None,
    report: dict[str, Any] | None = None,
) -> int:
    """The failure, after (for a refusal) ``report``'s handshake, auth and close sections: as
    text, or as one ``--json`` document with the same fields."""
    final = code or ExitCode.CONNECTION
    close = report["close"] if report else None
    frames = close.get("last_frames") if close else None
    shown_frames = [str(f) for f in frames] if isinstance(frames, list) else []
    message = tidy_cut_frames(str(exc), shown_frames)
    # The cassette of a session that never opened holds its attempts (refusals, the server's
    # error frame, the close): what to trace next, so it is named as on success.
    recorded = args.record if args.record and os.path.exists(args.record) else None
    from netra_diag.live.endpoint import upgrade_hint

    hint = upgrade_hint(getattr(exc, "status", None))
    if args.json:
        doc: dict[str, Any] = {
            "error": type(exc).__name__,
            "message": message,
            "exit_code": int(final),
        }
        if hint:
            doc["hint"] = hint
        for attr in ("status", "code", "reason", "explanation", "url", "body"):
            if hasattr(exc, attr):
                doc[attr] = getattr(exc, attr)
        if "explanation" in doc:
            doc["explanation"] = tidy_cut_frames(str(doc["explanation"]), shown_frames)
        if report is not None:
            doc |= report
        doc["recording"] = recorded
        print(json.dumps(doc, indent=2, default=str), file=out)
    else:
        if report is not None:
            print_refusal(report, out)
        lead = "" if report is not None else "\n"  # (print_refusal began with its own)
        print(f"{lead}== failed: {type(exc).__name__}: {message}", file=out)
        if hint:
            print(f"  hint: {hint}", file=out)
        if recorded:
            print(f"== recording: {recorded} (the connect attempts, as they happened)", file=out)
        print(f"exit {int(final)} ({final.name.lower()})", file=out)
    return int(final)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except UsageError as exc:
        print(f"netra-diag probe: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from netra_diag.cli.live_options import (
        check_live_options,
        check_record_file,
        fill_embedded_defaults,
    )
    from netra_diag.cli.sigterm import TERMINATED, Terminated, until_sigterm
    from netra_diag.live.handshake import check_transport

    check_live_options(args)
    fill_embedded_defaults(args, auth="strict", faults="", time_scale=_DEFAULT_TIME_SCALE)
    # Before the banner and the embedded service: what cannot work whatever the server does.
    check_transport(args.transport, has_token=True)  # a known name
    try:
        check_transport(args.transport, has_token=not args.no_token)
    except UsageError as exc:
        raise UsageError(
            f"--transport {args.transport} sends a token, but --no-token sends none: use "
            "--transport none (or auto), or drop --no-token"
        ) from exc
    if args.sub is not None and not args.sub.strip():
        # (it was replaced by the default, probe-user, without a word)
        raise UsageError("--sub is empty: give the user id to mint the token for")
    if not args.message.strip():
        # (the service answers an empty message with INVALID_MESSAGE: a contract verdict, exit 3,
        # on what is the caller's slip)
        raise UsageError("--message is empty: give the text the agent should answer")
    if args.record is not None:  # (an empty one too: it is refused)
        check_record_file(args.record)

    async def main() -> int:
        if args.url:
            return await _probe(args, args.url, False, sys.stdout)
        from netra_diag.emulator import (
            AuthMode,
            EmulatorConfig,
            FaultPlan,
            TimingProfile,
            run_service,
        )

        cfg = EmulatorConfig(
            auth=AuthMode(args.auth),
            faults=FaultPlan.parse(args.faults),
            # At least one tool call, so a healthy run shows all five critical events.
            timing=TimingProfile(time_scale=args.time_scale, tool_calls=(1, 2)),
        )
        async with run_service(cfg) as svc:
            if not args.json:
                print(f"embedded service at {svc.url} (auth {args.auth})", flush=True)
            return await _probe(args, svc.url, True, sys.stdout)

    try:
        return asyncio.run(until_sigterm(main(), []))
    except Terminated:
        # The session was closed as on Ctrl-C (its close is in the cassette); the frames came
        # out live above, so there is no summary to add, only where they were kept.
        print(f"terminated (SIGTERM){_kept(args)}", file=sys.stderr)
        _stopped_json(args, "SIGTERM", TERMINATED)
        return TERMINATED
    except KeyboardInterrupt:
        _stopped_json(args, "SIGINT", 130)
        raise KeyboardInterrupt(_kept(args).removeprefix(": ")) from None


def _stopped_json(args: argparse.Namespace, signal_name: str, code: int) -> None:
    """With ``--json``, a stopped probe still prints one JSON object (a CI step piping it to jq
    got nothing and failed on that, not on the interrupt): what stopped it and where the
    frames received until then were kept."""
    if args.json:
        kept = args.record if args.record and os.path.exists(args.record) else None
        shown = {"interrupted_by": signal_name, "exit_code": code, "recording": kept}
        print(json.dumps(shown), flush=True)


def _kept(args: argparse.Namespace) -> str:
    """``: the cassette FILE holds ...`` for the line a stopped probe ends with."""
    if not args.record or not os.path.exists(args.record):
        return ""
    return f": the cassette {args.record} holds what was received until then"
