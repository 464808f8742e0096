"""``netra-diag probe [URL]``: one authenticated session and one run, every frame shown live, then
a summary: handshake, auth verdict, events, latency marks, close explanation.

Without URL the embedded reference service is started in this process, so the command works
offline. Exit codes separate the classes of failure (see ``_EPILOG``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.closecodes import AUTH_FAILURE_CODES, AUTH_STAGE_CLOSE_CODES
from netra_diag.errors import UsageError
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.events.model import TimedEvent
    from netra_diag.live import RunRecord, Session

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
--profile (JWT_SECRET_KEY, or --secret-env NAME). Tokens are never printed: fingerprints only.

exit codes: 0 ok, 2 usage error, 3 contract or auth problem (auth bypass, 1008 or any close
right after AUTH_FAILED, HTTP 401/403, no supported subprotocol 1003 or 1002, agent error,
missing or misordered critical events, handshake_complete never sent, the request only
acknowledged as a type the service does not run: an echo endpoint such as /ws/test, said as
soon as the ack comes), 4 the run timed out,
5 could not connect, upgrade refused (other statuses) or connection lost (1006, 1011 after the
session was accepted)

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
    p.add_argument("--record", metavar="FILE", help="write the session to this cassette (JSONL)")
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


def _token_source(args: argparse.Namespace, embedded: bool) -> tuple[Any, str | None]:
    """(the session's token source, the secret it signs with, if it mints): the secret is
    handed to the session too, so that the recording scrubs it wherever it shows up (a
    message quoting it, the server's echo of that message)."""
    from netra_diag.tokens import LOCAL_DEV_SECRET, find_secret, get_profile, mint_token

    if args.no_token:
        return None, None
    if args.token_env:
        value = os.environ.get(args.token_env)
        if not value:
            raise UsageError(f"environment variable {args.token_env} is not set (or empty)")
        return value.strip(), None
    sub = args.sub or "probe-user"
    prof = get_profile(args.profile)
    if embedded:
        secret = LOCAL_DEV_SECRET
    elif args.secret_env:
        secret = os.environ.get(args.secret_env, "")
        if not secret:
            raise UsageError(f"environment variable {args.secret_env} is not set (or empty)")
    else:
        found = find_secret(prof, os.environ)
        if found is None:
            raise UsageError(
                f"no secret for profile {prof.name}: set {prof.secret_env}, pass --secret-env, "
                "or give a ready token with --token-env"
            )
        secret = found.value
    return lambda: mint_token(sub, key=secret, now=time.time(), profile=prof), secret


def format_frame(direction: str, te: TimedEvent) -> str:
    """``+   12.3 ms  ← agent_started  run=r1 thread=t1``."""
    arrow = "←" if direction == "in" else "→"
    ev = te.event
    label = ev.type or f"<invalid: {(ev.problem or '')[:60]}>"
    extras = [
        f"{k}={v}"
        for k, v in (
            ("run", ev.run_id),
            ("thread", ev.thread_id),
            ("user", ev.user_id),
            ("tool", ev.tool_name),
            ("code", ev.error_code),
        )
        if v
    ]
    return f"+{te.t * 1e3:9.1f} ms  {arrow} {label}" + ("  " + " ".join(extras) if extras else "")


def minimal_contract_problems(
    run: RunRecord, events: Sequence[TimedEvent] | None = None
) -> list[str]:
    """Error findings of ``events.contracts.check_run`` over ``events`` (default: the run's own
    events; ``probe`` passes everything the session received, so that a frame arriving after
    the terminal event, an oversized or unreadable one included, is judged as well as one
    arriving before it); where that module is missing, a minimal check of the run: the 5
    critical events present, ``agent_started`` first, ``agent_completed`` last."""
    try:
        from netra_diag.events.contracts import check_run
    except ImportError:
        pass
    else:
        stream = run.events if events is None else events
        return [str(getattr(f, "message", f)) for f in check_run(stream).errors]
    from netra_diag.events.model import CRITICAL_EVENTS

    problems: list[str] = []
    types = [e.type for e in run.agent_events]
    missing = [t for t in CRITICAL_EVENTS if t not in types]
    if missing:
        problems.append(f"critical events never observed: {', '.join(missing)}")
    if types and types[0] != "agent_started":
        problems.append(f"first agent event is {types[0]}, not agent_started")
    if types and types[-1] != "agent_completed":
        problems.append(f"last agent event is {types[-1]}, not agent_completed")
    return problems


def handshake_problems(marks: Sequence[Any]) -> list[str]:
    """The newest generation's handshake left unfinished (PROTOCOL.md §5): the client answered
    ``handshake_response`` and waited its establish timeout for a ``handshake_complete`` that
    never came (an ``establish_timeout`` mark awaiting it), then went on. That generation refuses
    requests until it; a client that waits for it, as it must, never sends its message."""
    out = []
    for mark in marks:
        if mark.name == "establish_timeout" and mark.data.get("awaiting") == "handshake_complete":
            waited = mark.data.get("waited_s")
            within = f" within {waited:g} s" if isinstance(waited, int | float) else ""
            out.append(
                f"handshake_complete never arrived{within} after handshake_response was "
                "acknowledged (newest generation, PROTOCOL.md §5): the service refuses requests "
                "until it, so a client that waits for it never sends its message; the probe went "
                "on without it"
            )
    return out


def exit_code_for(run: RunRecord | None, session: Session | None, problems: list[str]) -> ExitCode:
    """Timeout > connection > contract/auth > ok."""
    from netra_diag.live import RunOutcome

    if run is not None and run.outcome is RunOutcome.TIMEOUT:
        return ExitCode.TIMEOUT
    if run is not None and run.outcome is RunOutcome.CLOSED:
        code = run.close.code if run.close else None
        return ExitCode.CONTRACT if code in AUTH_FAILURE_CODES else ExitCode.CONNECTION
    if session is not None and session.auth.bypass:
        return ExitCode.CONTRACT
    if problems or (run is not None and not run.ok):
        return ExitCode.CONTRACT
    return ExitCode.OK


def _latency(session: Session, run: RunRecord | None) -> dict[str, float | None]:
    marks = session.marks

    def at(name: str, after: float | None = None, transport: str | None = None) -> float | None:
        return next(
            (
                m.t
                for m in marks
                if m.name == name
                and (after is None or m.t >= after)
                and (transport is None or m.data.get("transport") == transport)
            ),
            None,
        )

    def ms(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round((b - a) * 1e3, 3)

    # The attempt kept (auto may have tried others first): its own upgrade and establishment,
    # not the first attempt's upgrade against the kept one's connection_established.
    first = at("connect_start")
    start = at("connect_start", transport=session.transport) or first
    out = {
        "upgrade_ms": ms(start, at("upgrade_done", start, session.transport)),
        "established_ms": ms(start, at("connection_established", start)),
    }
    if first is not None and start is not None and start > first:
        out["auto_tried_ms"] = ms(first, start)  # the refused attempts before it
    if run is not None:
        out["first_event_ms"] = None if run.first_event_s is None else run.first_event_s * 1e3
        out["run_ms"] = run.duration_s * 1e3
        rtts = sorted(run.rtt_ms or session.rtt_ms)
        out["rtt_median_ms"] = rtts[len(rtts) // 2] if rtts else None
    offset = session.clock_offset
    out["clock_offset_ms"] = None if offset is None else offset.offset_s * 1e3
    return out


def _summary(session: Session, run: RunRecord | None, problems: list[str]) -> dict[str, Any]:
    close = session.close_info
    return {
        "url": session.url,
        "handshake": session.handshake.to_dict(),
        "auth": session.auth.to_dict(),
        "run": run.summary() if run is not None else None,
        "event_counts": dict(Counter(e.type for e in run.events)) if run else {},
        "contract_problems": problems,
        "latency": _latency(session, run),
        "close": close.to_dict() if close else None,
        "recording": str(session.recording_path) if session.recording_path else None,
    }


def _attempt_text(attempt: dict[str, Any]) -> str:
    """``closed 1008 after 4.0 ms: Authentication failed``: what auto saw of one transport."""
    text = str(attempt["outcome"])
    if attempt.get("close_code"):
        text += f" {attempt['close_code']}"
    elif attempt.get("status"):
        text += f" HTTP {attempt['status']}"
    took = attempt.get("duration_s")
    if isinstance(took, int | float):
        text += f" after {took * 1e3:.1f} ms"
    detail = " ".join(str(attempt.get("detail") or "").split())
    if detail and attempt["outcome"] != "validated":
        text += f": {detail if len(detail) <= 240 else detail[:239] + '…'}"
    return text


def _print_summary(summary: dict[str, Any], out: TextIO) -> None:
    hs, auth = summary["handshake"], summary["auth"]
    print("\n== handshake", file=out)
    print(f"  {summary['url']}  transport={hs['transport']}  HTTP {hs['status']}", file=out)
    for a in hs["attempts"]:
        print(f"  attempt {a['transport']}: {_attempt_text(a)}", file=out)
    if hs["offered_subprotocols"]:
        print(
            f"  subprotocol offered={hs['offered_subprotocols']} selected="
            f"{hs['selected_subprotocol']} echoed_token_entry={hs['echoed_token_entry']}",
            file=out,
        )
    state = (
        "BYPASS"
        if auth["bypass"]
        else {True: "validated", False: "NOT validated"}.get(auth["validated"], "unknown")
    )
    print(f"== auth: {state}: {auth['reason']}", file=out)
    run = summary["run"]
    if run:
        print(f"== run: {run['outcome']}  events={run['n_events']}", file=out)
        counts = summary["event_counts"]
        # An unreadable frame has no type: named as such, not as a bare "×1".
        shown = ", ".join(f"{k or '<invalid frame>'}×{v}" for k, v in counts.items())
        print("  " + (shown or "(no events)"), file=out)
        if run["error"]:
            print(f"  error: {run['error']}", file=out)
        if run["n_foreign"]:
            print(
                f"  foreign: {plural(run['n_foreign'], 'event')} of another thread, run or user "
                "received during the run (kept; not counted as this run's)",
                file=out,
            )
    for problem in summary["contract_problems"]:
        print(f"  contract: {problem}", file=out)
    lat = {k: v for k, v in summary["latency"].items() if v is not None}
    print("== latency: " + "  ".join(f"{k}={v:.1f}" for k, v in lat.items()), file=out)
    close = summary["close"]
    if close:
        print(f"== close: {close['explanation']}", file=out)


async def _probe(args: argparse.Namespace, url: str, embedded: bool, out: TextIO) -> int:
    from netra_diag.errors import ConnectFailed, HandshakeRejected, SessionClosed
    from netra_diag.live import Session
    from netra_diag.live.auth_verdict import auth_refusal

    def show(direction: str, te: TimedEvent) -> None:
        if not args.json:
            print(format_frame(direction, te), file=out, flush=True)

    token, secret = _token_source(args, embedded)
    try:
        session = await Session.connect(
            url,
            token=token,
            secrets=(secret,) if secret else (),
            transport=args.transport,
            record=args.record,
            open_timeout=args.open_timeout,
            on_frame=show,
        )
    except (HandshakeRejected, SessionClosed) as exc:
        # Refused credentials (1008, AUTH_FAILED then any close, HTTP 401/403) are an auth
        # problem, and so is a subprotocol the server would not take (1002/1003): the handshake's
        # format is wrong, the connection is fine. Anything else is not.
        at_auth = isinstance(exc, SessionClosed) and exc.code in AUTH_STAGE_CLOSE_CODES
        return _fail(args, out, exc, ExitCode.CONTRACT if auth_refusal(exc) or at_auth else None)
    except ConnectFailed as exc:
        return _fail(args, out, exc, None)
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
    summary = _summary(session, run, problems)
    code = exit_code_for(run, session, problems)
    if args.json:
        print(json.dumps({**summary, "exit_code": int(code)}, indent=2, default=str), file=out)
    else:
        _print_summary(summary, out)
        print(f"exit {int(code)} ({code.name.lower()})", file=out)
    return int(code)


def _fail(args: argparse.Namespace, out: TextIO, exc: Exception, code: ExitCode | None) -> int:
    final = code or ExitCode.CONNECTION
    if args.json:
        doc = {"error": type(exc).__name__, "message": str(exc), "exit_code": int(final)}
        for attr in ("status", "code", "reason", "explanation", "url", "body"):
            if hasattr(exc, attr):
                doc[attr] = getattr(exc, attr)
        print(json.dumps(doc, indent=2, default=str), file=out)
    else:
        print(f"\n== failed: {type(exc).__name__}: {exc}", file=out)
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
    if not args.message.strip():
        # (the service answers an empty message with INVALID_MESSAGE: a contract verdict, exit 3,
        # on what is the caller's slip)
        raise UsageError("--message is empty: give the text the agent should answer")
    if args.record:
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

    return asyncio.run(main())
