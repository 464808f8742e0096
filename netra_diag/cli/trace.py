"""``netra-diag trace CASSETTE... -o trace.json``: recorded sessions as a Perfetto trace, with a
contract verdict per cassette.

Each cassette becomes one process in the Chrome trace-event file (runs as tracks, tool calls as
slices joined by flow arrows, frames as instants, ping RTT as a counter, findings as instants named
after their rule). The command also prints, per cassette, its runs and the one-line contract
verdict, so the terminal says what is wrong before anyone opens the trace.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.events.contracts import ContractReport
    from netra_diag.events.timeline import Timeline

__all__ = ["register", "run"]

EPILOG = """\
A directory argument means every *.jsonl below it. The trace opens in Perfetto
(ui.perfetto.dev, "Open trace file") or chrome://tracing; times are milliseconds on the
client clock since each recording started.

exit codes:
  0  trace written (whatever the verdicts, unless --strict)
  2  a cassette named alone is missing or unreadable, no cassette among several can be
     read, a directory holds no cassette, or the output cannot be written (among several,
     one that is no cassette, e.g. a --fault-log file, is skipped with a note and counted
     in the 'wrote' line)
  3  --strict and at least one cassette fails its event contract, is INCONCLUSIVE (no
     agent event, or every run cut short by the client: no run was seen whole), or its auth
     was bypassed (DEMO/RELAXED mode: the token was not validated, so the run proves nothing)

examples:
  netra-diag trace recordings/run.jsonl -o trace.json
  netra-diag trace recordings/ -o trace.json --html timeline.html --stall-threshold 2
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "trace",
        help="export cassettes as a Perfetto/Chrome trace and print each one's contract verdict",
        description=(
            "Export recorded sessions (cassettes) as Chrome trace-event JSON for Perfetto, "
            "and print each cassette's runs and event-contract verdict."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "cassettes", nargs="+", metavar="CASSETTE", help="cassette files (.jsonl) or directories"
    )
    parser.add_argument(
        "-o",
        "--output",
        default="trace.json",
        help="where to write the trace-event JSON (default trace.json; '-' for stdout)",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="also write an interactive plotly timeline of every run to FILE (needs plotly)",
    )
    parser.add_argument(
        "--stall-threshold",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds of silence in an open run drawn as a stall (default 5)",
    )
    parser.add_argument(
        "--gap-threshold",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds without any frame drawn as a socket gap (default 5)",
    )
    parser.add_argument(
        "--max-gap",
        type=float,
        default=30.0,
        metavar="S",
        help="contract: most seconds allowed between two events of a run (default 30)",
    )
    parser.add_argument(
        "--max-run",
        type=float,
        default=300.0,
        metavar="S",
        help="contract: most seconds allowed for one run (default 300)",
    )
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        help="do not treat the cassette's user as the owner of every event (skip the "
        "cross-user check)",
    )
    parser.add_argument(
        "--raw-chars",
        type=int,
        default=512,
        metavar="N",
        help="characters of each frame's (scrubbed) text kept in the trace (default 512)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 3 when any cassette fails its event contract or was recorded with its "
        "auth bypassed",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from netra_diag.cli.trace_attempts import add_attempt_slices, attempt_lines, attempts_of
    from netra_diag.errors import RecordingError, UsageError
    from netra_diag.events.auth_evidence import bypass_evidence
    from netra_diag.events.contracts import ContractConfig, check_run
    from netra_diag.events.sources import load_cassette_stream
    from netra_diag.events.timeline import TimelineConfig, build_timeline
    from netra_diag.events.trace import build_trace, dumps_trace, trace_offset
    from netra_diag.recording import find_cassettes

    if args.raw_chars < 0:
        print(
            f"netra-diag trace: error: --raw-chars must be >= 0, got {args.raw_chars}",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE)
    for name in ("stall_threshold", "gap_threshold", "max_gap", "max_run"):
        value = getattr(args, name)
        if not value > 0:
            flag = "--" + name.replace("_", "-")
            print(f"netra-diag trace: error: {flag} must be > 0, got {value}", file=sys.stderr)
            return int(ExitCode.USAGE)
    for flag, value in (("-o", args.output), ("--html", args.html)):
        if value is not None and not value.strip():
            # ('' was written as the current folder: "cannot write : Is a directory")
            print(f"netra-diag trace: error: {flag} is empty: give a file name", file=sys.stderr)
            return int(ExitCode.USAGE)
    try:
        paths = find_cassettes(args.cassettes)
    except RecordingError as exc:
        print(f"netra-diag trace: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    timeline_config = TimelineConfig(
        gap_threshold_s=args.gap_threshold, stall_threshold_s=args.stall_threshold
    )
    contract_config = ContractConfig(max_gap_s=args.max_gap, max_run_s=args.max_run)
    # With the trace on stdout, the summary goes to stderr so the JSON stays clean.
    say = sys.stderr if args.output == "-" else sys.stdout
    timelines: list[Timeline] = []
    reports: list[ContractReport | None] = []
    attempts = []  # per timeline: the openings whose attempts are worth listing
    failed = 0
    unreadable = 0
    for path in paths:
        try:
            stream = load_cassette_stream(path)
        except RecordingError as exc:
            if len(paths) < 2:
                print(f"netra-diag trace: error: {exc}", file=sys.stderr)
                return int(ExitCode.USAGE)
            # One file that is no cassette does not make the others unreadable.
            print(f"netra-diag trace: note: {exc}: skipped", file=sys.stderr)
            unreadable += 1
            continue
        context = stream.context(contract_config, isolation=not args.no_isolation)
        report = check_run(stream.events, context=context)
        timeline = build_timeline(
            stream.events,
            stream.marks,
            config=timeline_config,
            label=stream.label,
            end=stream.end,
        )
        timelines.append(timeline)
        reports.append(report)
        attempts.append(attempts_of(stream.marks))
        # (INCONCLUSIVE, every run cut short by the client, holds no error, yet no run was seen
        # whole: nothing a --strict gate may pass on, as no agent event at all is not)
        failed += not report.ok or report.verdict.startswith("INCONCLUSIVE")
        # (runs seen only through other users' leaked events are not this session's)
        foreign = report.foreign_runs
        own = [k for k in timeline.runs if k not in foreign]
        runs = ", ".join(str(k) for k in own[:5]) + (" …" if len(own) > 5 else "")
        leaked = len(timeline.runs) - len(own)
        print(
            f"{path}: {plural(len(own), 'run')}"
            + (f" ({runs})" if runs else "")
            + (f", {leaked} leaked from other users" if leaked else "")
            + f", {plural(len(stream.events), 'frame')} received, "
            + plural(len(report.findings), "finding"),
            file=say,
        )
        bypass = bypass_evidence(stream, report)
        if bypass and report.ok and (args.strict or not report.auth_bypassed):
            # A contract that held over a session whose token was never validated proves
            # nothing (PROTOCOL.md §9): said first, never as a pass. (The contract's own verdict
            # says so when the server handed out a synthetic user id; a recorded 'bypass'
            # outcome with another id is said here.) Exit 3 only with --strict, as any verdict.
            failed += args.strict
            status = "FAIL (--strict)" if args.strict else "NOT PROVEN"
            print(f"  {status}: auth was bypassed ({bypass}); the run proves nothing", file=say)
            print(f"  contract: {report.verdict}", file=say)
        else:
            print(f"  {report.verdict}", file=say)
        # (after the verdict, which a reader looks for first: how the session got in)
        for line in attempt_lines(attempts[-1]):
            print(line, file=say)
        if _cut_mid_session(stream.marks):
            # (a writer killed, a CI job cancelled: "run never completed" alone reads as the
            # service's fault)
            print("  note: the recording stops mid-session (no close recorded)", file=say)
        for line in _interrupted_lines(stream.marks):
            print(line, file=say)
        for warning in stream.warnings:
            print(f"  note: {warning}", file=say)
    if not timelines:
        print("netra-diag trace: error: no readable cassette among them", file=sys.stderr)
        return int(ExitCode.USAGE)
    trace = build_trace(timelines, reports=reports, raw_chars=args.raw_chars)
    for pid, (timeline, groups) in enumerate(zip(timelines, attempts, strict=True), 1):
        add_attempt_slices(trace, pid, groups, trace_offset(timeline))
    text = dumps_trace(trace)
    try:
        if args.output == "-":
            sys.stdout.write(text + "\n")
        else:
            _make_folder(args.output)
            Path(args.output).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        print(
            f"netra-diag trace: error: cannot write {args.output}: {exc.strerror}", file=sys.stderr
        )
        return int(ExitCode.USAGE)
    if args.output != "-":
        n = len(trace["traceEvents"])
        skipped = f" ({unreadable} unreadable, skipped)" if unreadable else ""
        print(
            f"wrote {args.output}: {n} trace events from "
            f"{plural(len(timelines), 'cassette')}{skipped}"
        )
    if args.html:
        try:
            from netra_diag.charts.timeline import timeline_figure
        except ModuleNotFoundError as exc:
            raise UsageError(f"--html needs plotly ({exc}); pip install 'netra-diag[viz]'") from exc
        figure = timeline_figure(timelines, reports=reports)
        try:
            _make_folder(args.html)
            figure.write_html(args.html, include_plotlyjs=True)
        except OSError as exc:
            print(
                f"netra-diag trace: error: cannot write {args.html}: {exc.strerror}",
                file=sys.stderr,
            )
            return int(ExitCode.USAGE)
        print(f"wrote {args.html}", file=say)
    if args.strict and failed:
        return int(ExitCode.CONTRACT)
    return int(ExitCode.OK)


def _make_folder(path: str) -> None:
    """The folder of an output file, created if missing, as ``--record`` creates its own: a
    fresh ``out/trace.json`` failed with "No such file or directory" after the whole analysis."""
    # (one that cannot be made, a file in its place, is left to the write, whose error says
    # "Not a directory" rather than mkdir's "File exists")
    with contextlib.suppress(OSError):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _interrupted_lines(marks: Sequence[Any]) -> list[str]:
    """A note for each run the client itself stopped in flight (``run_interrupted``: probe or
    fanout stopped by Ctrl-C or SIGTERM, a CI job's timeout): its "never completed" above is
    the interrupt's doing, which the verdict alone made read as the service's."""
    lines = []
    for mark in marks:
        if mark.name != "run_interrupted":
            continue
        data = mark.data or {}
        ids = [str(data[k]) for k in ("thread_id", "run_id") if data.get(k)]
        run = f"run {'/'.join(ids)}" if ids else "a run"
        n = data.get("n_events")
        after = f" after {plural(n, 'frame')}" if isinstance(n, int) else ""
        lines.append(
            f"  note: the client stopped {run} in flight{after} (Ctrl-C, SIGTERM or a "
            "cancelled task): it was cut by the client, not left unfinished by the service"
        )
    return lines


def _cut_mid_session(marks: Sequence[Any]) -> bool:
    """Whether the last connection a cassette opened has no close recorded after it: the
    recording ended before the session did."""
    names = [m.name for m in marks]
    if "connect_start" not in names:
        return False
    last = len(names) - 1 - names[::-1].index("connect_start")
    return "close" not in names[last:] and "error" not in names[last:]
