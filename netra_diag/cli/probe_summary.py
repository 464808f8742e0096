"""What ``netra-diag probe`` shows: one line per frame as it comes, and the summary after the
run (handshake and what the endpoint was expected to send, auth verdict, events, latency marks,
close), as text or as the ``--json`` document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from netra_diag.endpoints import endpoint_protocol
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.events.model import TimedEvent
    from netra_diag.live import RunRecord, Session

__all__ = [
    "build_summary",
    "endpoint_report",
    "format_frame",
    "latency_marks",
    "print_refusal",
    "print_summary",
    "recording_line",
    "refusal_report",
    "tidy_cut_frames",
    "whole_words",
]


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


def latency_marks(session: Session, run: RunRecord | None) -> dict[str, float | None]:
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


def build_summary(session: Session, run: RunRecord | None, problems: list[str]) -> dict[str, Any]:
    """The probe's summary document (``--json`` prints it as is, adding ``exit_code``)."""
    close = session.close_info
    return {
        "url": session.url,
        "endpoint": endpoint_report(session.url, session.marks),
        "handshake": session.handshake.to_dict(),
        "auth": session.auth.to_dict(),
        "run": run.summary() if run is not None else None,
        "event_counts": dict(Counter(e.type for e in run.events)) if run else {},
        "contract_problems": problems,
        "latency": latency_marks(session, run),
        "close": close.to_dict() if close else None,
        "recording": str(session.recording_path) if session.recording_path else None,
        "recorded_frames_in": len(session.history) if session.recording_path else None,
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


def print_summary(summary: dict[str, Any], out: TextIO) -> None:
    hs, auth = summary["handshake"], summary["auth"]
    print("\n== handshake", file=out)
    print(f"  {summary['url']}  transport={hs['transport']}  HTTP {hs['status']}", file=out)
    for line in _endpoint_lines(summary["endpoint"]):
        print(f"  {line}", file=out)
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
        # (the frames it ends with are the server's error frame: its reason is said above whole)
        explained = str(close["explanation"]).split(" Last frames: ")[0]
        print(f"== close: {explained}", file=out)
    if summary.get("recording"):  # (a summary built elsewhere may not carry it)
        # Said last, beside the close: a session cut short (1006) is exactly the one whose
        # cassette the reader goes to next, and it holds every frame up to the cut.
        print(
            f"== {recording_line(summary['recording'], summary.get('recorded_frames_in'))}",
            file=out,
        )


def recording_line(path: str, frames_in: int | None) -> str:
    """``recording: run.jsonl (12 frames received, each written as it came)``."""
    got = f"{plural(frames_in, 'frame')} received, " if frames_in is not None else ""
    return f"recording: {path} ({got}each written as it came)"


def endpoint_report(url: str, marks: Sequence[Any]) -> dict[str, Any]:
    """What the endpoint's protocol says it sends (``netra_diag.endpoints``, PROTOCOL.md §1)
    beside what the session did and saw: whether it waited for ``connection_established``
    (``/ws/test`` never sends one), whether one came, and how long it waited in vain."""
    names = {m.name for m in marks}
    waited = next((m.data.get("waited_s") for m in marks if m.name == "establish_timeout"), None)
    return {
        **endpoint_protocol(url).to_dict(),
        "awaited_established": "establish_not_expected" not in names,
        "established_seen": "connection_established" in names,
        "establish_timeout_s": waited,
    }


def _endpoint_lines(endpoint: dict[str, Any]) -> list[str]:
    """Said only where it differs from the main endpoint, or nothing came."""
    seen = endpoint["established_seen"]
    if not endpoint["sends_connection_established"]:
        came = "one came after all (its user is judged below)" if seen else "none came"
        return [
            f"endpoint {endpoint['path']}: {endpoint['description']}",
            f"connection_established: not expected here, so not waited for; {came}",
        ]
    waited = endpoint["establish_timeout_s"]
    if not seen and isinstance(waited, int | float):
        return [f"connection_established: none within the {waited:g} s establish timeout"]
    return []


# How much of the server's reason a refusal shows: its AUTH_FAILED messages run to a few hundred
# characters; more than this is no reason but a body (an HTML error page behind a proxy).
_REASON_CHARS = 1500
# ``closecodes.CloseInfo.explanation`` shows each of the last frames cut at this many characters.
_EXPLAINED_FRAME_CHARS = 160


def whole_words(text: str, limit: int) -> str:
    """``text``, or, longer than ``limit``, as much of it as fits cut after a whole word and
    ending in '…' (said as cut, never a word cut in half)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # (one very long word, a JSON blob: cut inside it rather than lose it)
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"


def tidy_cut_frames(text: str, last_frames: Sequence[str]) -> str:
    """``text`` (a close explanation) with each of ``last_frames`` that it shows cut short (at
    ``_EXPLAINED_FRAME_CHARS``, mid-word) cut after a whole word instead, ending in '…'."""
    for frame in last_frames:
        if len(frame) > _EXPLAINED_FRAME_CHARS:
            head = frame[:_EXPLAINED_FRAME_CHARS]
            text = text.replace(head, whole_words(frame, _EXPLAINED_FRAME_CHARS))
    return text


def refusal_report(path: str, exc: Exception, refusal: str | None) -> dict[str, Any] | None:
    """What a session refused before it opened shows of its handshake, the auth verdict and the
    close, read from its cassette ``path`` (the attempts, the upgrade, the server's error frame
    and the close are all in it, scrubbed): ``{"handshake", "auth", "close"}`` shaped as in the
    summary of a session that opened. ``refusal``: ``live.auth_verdict.auth_refusal(exc)``
    (``None``: the credentials were not what was refused, e.g. a 1003). ``None`` when the
    cassette cannot be read."""
    from netra_diag.errors import RecordingError
    from netra_diag.live.opening import TOKENLESS_TRANSPORTS
    from netra_diag.recording import load_cassette
    from netra_diag.recording_format import FrameRecord, MarkRecord

    try:
        cassette = load_cassette(path)
    except RecordingError:
        return None
    records = cassette.records
    marks = [r for r in records if isinstance(r, MarkRecord)]
    starts = [
        i for i, r in enumerate(records) if isinstance(r, MarkRecord) and r.name == "connect_start"
    ]
    # The last attempt's own records: auto's earlier attempts were refused on their own terms.
    last = records[starts[-1] :] if starts else records
    last_marks = [r for r in last if isinstance(r, MarkRecord)]
    upgrade = next(
        (m.data for m in reversed(last_marks) if m.name in ("upgrade_done", "handshake_rejected")),
        {},
    )
    close = next((dict(m.data) for m in reversed(last_marks) if m.name == "close"), None)
    error: dict[str, Any] = {}
    for frame in last:
        if isinstance(frame, FrameRecord) and frame.dir == "in" and frame.type == "error_message":
            error = _json_object(frame.text)
    offered = upgrade.get("offered")
    handshake = {
        "url": cassette.header.endpoint,
        "transport": upgrade.get("transport") or cassette.header.transport,
        "status": upgrade.get("status", getattr(exc, "status", None)),
        "offered_subprotocols": list(offered) if isinstance(offered, list) else [],
        "selected_subprotocol": upgrade.get("subprotocol"),
        "echoed_token_entry": upgrade.get("echoed"),
        "attempts": [dict(m.data) for m in marks if m.name == "transport_attempt"],
    }
    handshake["subprotocol_note"] = _selected_name_note(handshake)
    said = error.get("error_message")
    reason = (
        str(said)
        if said
        else str(getattr(exc, "body", "") or getattr(exc, "reason", "") or exc).strip()
    )
    auth = {
        "server_user_id": None,
        # (a transport that sends no token had no sub to compare: live.opening's tokenless ones)
        "token_sub": (
            None if handshake["transport"] in TOKENLESS_TRANSPORTS else cassette.header.user
        ),
        "validated": False,
        "bypass": False,
        "refused": refusal is not None,
        "refused_by": refusal,
        "error_code": error.get("error_code"),
        "reason": whole_words(" ".join(reason.split()), _REASON_CHARS),
        "details": error.get("details"),
    }
    if close is not None:
        frames = close.get("last_frames")
        shown = [str(f) for f in frames] if isinstance(frames, list) else []
        close["explanation"] = tidy_cut_frames(str(close.get("explanation", "")), shown)
    return {"handshake": handshake, "auth": auth, "close": close}


def _json_object(text: str | None) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _selected_name_note(handshake: dict[str, Any]) -> str | None:
    """Why a subprotocol handshake carried no token the service read: it selected a plain name
    (``jwt``) while the token went in an entry without a prefix it reads (PROTOCOL.md §2: the
    known-bad ``["jwt", "<jwt>"]``)."""
    selected = handshake["selected_subprotocol"]
    offered = [str(o) for o in handshake["offered_subprotocols"]]
    if not selected or "." in selected:
        return None
    from netra_diag.tokens.extraction import TOKEN_PREFIXES

    prefixed = tuple(f"{name}." for name in TOKEN_PREFIXES)
    bare = [o for o in offered if o != selected and not o.startswith(prefixed)]
    if not any(len(o) >= 10 for o in bare):
        return None
    prefixes = ", ".join(prefixed)
    return (
        f"the service selected the plain name {selected!r}: it reads a token only from an "
        f"entry prefixed {prefixes} (PROTOCOL.md §2), so the bare token entry was never read"
    )


def print_refusal(report: dict[str, Any], out: TextIO) -> None:
    """The handshake, auth and close sections of a session refused before it opened."""
    hs, auth, close = report["handshake"], report["auth"], report["close"]
    status = f"  HTTP {hs['status']}" if hs["status"] is not None else ""
    print("\n== handshake", file=out)
    print(f"  {hs['url']}  transport={hs['transport']}{status}", file=out)
    for a in hs["attempts"]:
        print(f"  attempt {a.get('transport')}: {_attempt_text(a)}", file=out)
    if hs["offered_subprotocols"] or hs["selected_subprotocol"]:
        print(
            f"  subprotocol offered={hs['offered_subprotocols']} selected="
            f"{hs['selected_subprotocol']} echoed_token_entry={hs['echoed_token_entry']}",
            file=out,
        )
    if hs["subprotocol_note"]:
        print(f"  {hs['subprotocol_note']}", file=out)
    state = "REFUSED" if auth["refused"] else "NOT validated"
    how = [str(x) for x in (auth["refused_by"], auth["error_code"]) if x]
    if auth["token_sub"]:
        how.append(f"token sub {auth['token_sub']!r}")
    said = f" ({'; '.join(how)})" if how else ""
    print(f"== auth: {state}{said}: {auth['reason']}", file=out)
    if close:
        # (the frames it ends with are the server's error frame: its reason is said above whole)
        explained = str(close["explanation"]).split(" Last frames: ")[0]
        print(f"== close: {explained}", file=out)
