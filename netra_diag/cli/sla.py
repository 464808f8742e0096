"""``netra-diag sla check SLA_FILE CASSETTES...``: gate CI on latency SLAs measured from recordings.

``sla show SLA_FILE`` validates an SLA file and lists its checks.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.wording import plural

__all__ = ["register", "run_check", "run_show"]

_EPILOG = """\
SLA_FILE is a TOML file of [[check]] entries, or a built-in name: 'service' (PROTOCOL.md §8, the
service's own numbers) or 'remediation' (PROTOCOL.md §10, the remediation report's table).
CASSETTES are recordings (.jsonl) or directories searched for them; one named twice, or a
byte-for-byte copy of another, is read once (warned). Checks the recordings cannot
measure are reported as "no data", never as a pass; give such values with --context. Recordings
of different service generations (only the newest sends a handshake) checked together, or as
baseline and current, are warned of on stderr (and in the JSON's "warnings").

A check of your own (`sla show FILE` validates it and lists its checks):
  [[check]]
  id = "tool-p95"
  phase = "tool_duration"   # connect, auth, time_to_established, first_event, run_total, …
  statistic = "p95"         # pNN, median, mean, min, max, count, rate, success_rate
  comparison = "<"          # a limit on a duration is '<' or '<='
  threshold = "2 s"         # with its unit: ms, s, min, %, /s, MB
  source = "client"         # tool_duration is also reported by the server
  where = { tool = "cost_analyzer" }

Reading the table: a PASS can still prove little, and the first line says so: "passed on too
few samples to mean much" (a p95 of 30 samples is about its maximum; the 95 % CI column then
reads "≥ x", no upper bound) or "passed only on the attempts that finished" (runs with no
terminal event, tools that never completed, failed connects: counted at their worst they would
fail it, though what is known of them does not). Either still exits 0 unless --strict. A run
the client gave up on (run_end outcome timeout) took at least as long as it was waited for,
and its last event was followed by a silence at least that long (an event_gap): a limit
('<', '<=') that these lower bounds already break FAILS, with the reason ("5 runs timed out
after 4 s, so max ≥ 4 s"; the observed column reads "≥ 4 s"), and exits 6.

exit codes:
  0  every required check passed (and, with --baseline, no phase regressed)
  2  usage error: a bad SLA file (the message names the line and field; a check no value
     could pass, such as success_rate >= 150 % or max < 0 ms, is one), an unreadable
     cassette (or several, none readable), a directory without cassettes, or a bad
     --context name or value
     (names: memory_peak=SIZE, suite_duration=DURATION, suite_success=K/N or %)
  6  SLA breach: a required check failed, a required check had no data or no check
     passed on data at all (unless --allow-missing), or a phase regressed against
     --baseline; with --strict also a required check that passed on too few samples or
     only on the attempts that finished

A regression is a median (or, with enough samples, p95) that is slower than the baseline with
a bootstrap interval wholly above zero, by more than 5 % of the baseline and more than 1 ms;
smaller shifts are reported as "within noise".

examples:
  netra-diag sla check service runs/*.jsonl
  netra-diag sla check my_sla.toml runs/ --baseline last_week/ --json
  netra-diag sla check remediation runs/ --context memory_peak=229.5MB --context suite_duration=32s
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sla",
        help="check latency SLAs (TOML) against recordings; compare with a baseline",
        description="Measure per-phase latency from recordings and check it against SLAs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="sla_command", metavar="SUBCOMMAND")
    check = sub.add_parser(
        "check",
        help="evaluate an SLA file against cassettes; exit 6 on a breach",
        description="Evaluate an SLA file against cassettes.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "sla_file", metavar="SLA_FILE", help="SLA TOML file, or 'service' / 'remediation'"
    )
    check.add_argument(
        "cassettes", metavar="CASSETTES", nargs="+", help="cassette files or directories"
    )
    check.add_argument(
        "--baseline",
        metavar="CASSETTES",
        nargs="+",
        default=None,
        help="baseline cassettes: compare median and p95 per phase and fail on a regression",
    )
    check.add_argument(
        "--json", action="store_true", help="print one JSON document instead of text"
    )
    check.add_argument(
        "--context",
        metavar="PHASE=VALUE",
        action="append",
        default=[],
        help="a measurement recordings cannot carry, e.g. memory_peak=229.5MB, "
        "suite_duration=31.95s, suite_success=1/4 (repeatable)",
    )
    check.add_argument(
        "--allow-missing",
        action="store_true",
        help="do not fail when a required check has no data (it is still reported)",
    )
    check.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        help="confidence level of the intervals (default 0.95): order statistics for "
        "percentiles, Wilson for success rates, bootstrap for means and baseline differences",
    )
    check.add_argument(
        "--summary", action="store_true", help="also print the per-phase latency summary"
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="exit 6 when a required check passed without proof (too few samples, or only "
        "on the attempts that finished)",
    )
    check.set_defaults(func=run_check)
    show = sub.add_parser(
        "show",
        help="validate an SLA file and list its checks",
        description="Validate an SLA file and list its checks.",
        epilog="exit codes: 0 valid, 2 invalid (the message names the line and field)",
    )
    show.add_argument("sla_file", metavar="SLA_FILE", help="SLA TOML file, or a built-in name")
    show.set_defaults(func=run_show)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return int(ExitCode.USAGE)


def _error(message: str) -> int:
    print(f"netra-diag sla: error: {message}", file=sys.stderr)
    return int(ExitCode.USAGE)


def _parse_context(items: list[str]) -> dict[str, list[str]]:
    """``--context NAME=VALUE`` items, checked whatever the SLA: NAME must be a context phase
    (``CONTEXT_PHASES``) and VALUE a quantity of its kind."""
    import difflib

    from netra_diag.errors import UsageError
    from netra_diag.latency.sla import CONTEXT_PHASES

    context: dict[str, list[str]] = {}
    known = ", ".join(CONTEXT_PHASES)
    for item in items:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise UsageError(f"--context {item!r}: expected PHASE=VALUE, e.g. memory_peak=229.5MB")
        if key not in CONTEXT_PHASES:
            close = difflib.get_close_matches(key, list(CONTEXT_PHASES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"--context {item!r}: unknown name {key!r}{hint}; known: {known}")
        problem = _context_problem(key, value)
        if problem:
            raise UsageError(f"--context {item!r}: {problem}")
        context.setdefault(key, []).append(value)
    return context


def _context_problem(key: str, value: str) -> str:
    """Why ``value`` is not a measurement of ``key`` ("" when it is one)."""
    from netra_diag.latency.sla import CONTEXT_PHASES
    from netra_diag.latency.units import Dimension, parse_quantity

    wanted = CONTEXT_PHASES[key]
    if wanted is Dimension.FRACTION:
        left, slash, right = value.replace(" ", "").partition("/")
        if slash:
            if left.isdigit() and right.isdigit() and int(right) > 0 and int(left) <= int(right):
                return ""
            return f"expected successes/attempts such as 1/4, got {value!r}"
    try:
        quantity = parse_quantity(value)
    except ValueError as exc:
        return str(exc)
    if quantity.value < 0:
        return f"must not be negative, got {value!r}"
    if wanted is Dimension.FRACTION:
        if quantity.dimension in (Dimension.FRACTION, Dimension.COUNT) and quantity.value <= 1:
            return ""
        return f"{key} is a share: 1/4, 25 % or 0.25; got {value!r}"
    example = {Dimension.MEMORY: "229.5MB", Dimension.TIME: "31.95s"}[wanted]
    if quantity.dimension is Dimension.COUNT:
        # A bare number would be read in the canonical unit (bytes, ms): 229.5 for the report's
        # 229.5 MB, 31.95 for its 31.95 s, both passing by a factor of a thousand or a million.
        return f"{key} needs a unit, e.g. {example}; got {value!r}"
    if quantity.dimension is not wanted:
        return f"{key} is a {wanted}, e.g. {example}; got {value!r} ({quantity.dimension})"
    return ""


def run_show(args: argparse.Namespace) -> int:
    from netra_diag.errors import ConfigFileError
    from netra_diag.latency.sla import load_sla

    try:
        spec = load_sla(args.sla_file)
    except ConfigFileError as exc:
        return _error(str(exc))
    source = f" — {spec.source}" if spec.source else ""
    print(f"{spec.name}: {plural(len(spec.checks), 'check')}{source}")
    for check in spec.checks:
        flags = "" if check.required else " (optional)"
        # Everything that decides which rows count and how: a reader of this list should not
        # need the file to know what "rate > 50 /s" or a filtered check measures.
        extra = []
        if check.statistic == "rate":
            extra.append(f"over bursts of {check.burst} events")
        if check.sustained_ms:
            extra.append(f"sustained {check.sustained_ms / 1000:g} s")
        if check.source:
            extra.append(f"source {check.source}")
        extra += [f"{k} = {v!r}" for k, v in check.where.items()]
        if check.min_samples > 1:
            extra.append(f"at least {check.min_samples} samples")
        how = f" ({', '.join(extra)})" if extra else ""
        print(f"  {check.id}: {check.phase} {check.rule}{how}{flags}")
        if check.direction_note:
            print(f"    warning: {check.direction_note}")
    return int(ExitCode.OK)


def run_check(args: argparse.Namespace) -> int:
    from netra_diag.cli.output import emit
    from netra_diag.cli.sla_gaps import distinct_cassettes, gap_warnings, require_readable
    from netra_diag.errors import ConfigFileError, RecordingError, UsageError
    from netra_diag.latency import (
        SlaGate,
        compare_latency,
        evaluate_sla,
        load_sla,
        phase_metrics,
        summarize_latency,
    )
    from netra_diag.latency.openings import summarize_openings
    from netra_diag.recording import find_cassettes, load_frames

    if not 0 < args.confidence < 1:
        return _error(
            f"--confidence must lie between 0 and 1 (0.95 for 95 %), got {args.confidence:g}"
        )
    # Damaged lines are skipped by the loader; the numbers below rest on what is left, so say so.
    warnings: list[str] = []
    baseline_handshake = (0, 0)
    try:
        spec = load_sla(args.sla_file)
        context = _parse_context(args.context)
        paths = distinct_cassettes(find_cassettes(args.cassettes), warnings)
        current = load_frames(paths, on_warning=warnings.append)
        require_readable(paths, current.frames, " ".join(args.cassettes))
        warnings += gap_warnings(paths, current.frames)
        metrics = phase_metrics(current.frames)
        baseline = None
        if args.baseline:
            baseline_paths = distinct_cassettes(
                find_cassettes(args.baseline), warnings, "baseline: "
            )
            frames = load_frames(
                baseline_paths, on_warning=lambda w: warnings.append(f"baseline {w}")
            )
            require_readable(baseline_paths, frames.frames, "baseline " + " ".join(args.baseline))
            warnings += [f"baseline {w}" for w in gap_warnings(baseline_paths, frames.frames)]
            baseline = phase_metrics(frames.frames)
            baseline_handshake = _handshake_share(frames.frames)
        report = evaluate_sla(spec, metrics, context=context, confidence=args.confidence)
    except (ConfigFileError, RecordingError, UsageError) as exc:
        return _error(str(exc))
    comparison = (
        compare_latency(baseline, metrics, confidence=args.confidence)
        if baseline is not None
        else None
    )
    # A comparison pointing the unusual way is said before the numbers: read literally, such
    # a check's PASS is the opposite of what its author likely meant.
    warnings += [f"check {c.id!r}: {c.direction_note}" for c in spec.checks if c.direction_note]
    warnings += _generation_warnings(
        _handshake_share(current.frames), baseline_handshake if args.baseline else None
    )
    used = {check.phase for check in spec.checks}
    for name in sorted(set(context) - used):
        warnings.append(f"--context {name}: SLA {spec.name!r} has no check on {name}; ignored")
    gate = SlaGate(report, comparison, allow_missing=args.allow_missing)
    unproven = [r.check.id for r in report.weak_passes if r.check.required]
    strict_fail = bool(args.strict and unproven)
    code = ExitCode.SLA_BREACH if gate.failed or strict_fail else ExitCode.OK
    summary = summarize_latency(metrics, confidence=args.confidence) if len(metrics) else None
    openings = summarize_openings(current.frames)
    # Said only when the SLA checks a figure the left-out attempts would have changed.
    connection_checked = bool(used & {"connect", "auth", "handshake", "time_to_established"})
    if args.json:
        doc: dict[str, Any] = {
            "exit_code": int(code),
            "strict": bool(args.strict),
            "unproven_required": unproven,
            "cassettes": args.cassettes,
            "metrics_rows": len(metrics),
            "warnings": warnings,
            **gate.to_dict(),
            "openings": openings.to_dict(),
            "summary": _records(summary.to_frame()) if summary is not None else [],
            "summary_warnings": list(summary.warnings) if summary is not None else [],
        }
        emit(json.dumps(doc, indent=2, default=str, allow_nan=False) + "\n")
        return int(code)
    for warning in warnings:
        print(f"netra-diag sla: warning: {warning}", file=sys.stderr)
    lines = [gate.headline, *report.text().splitlines()[1:]]
    if connection_checked and openings.matters:
        lines.append(openings.text())
    missing_required = gate.missing_required
    if missing_required and args.allow_missing:
        lines.append(
            f"--allow-missing: {plural(len(missing_required), 'required check')} without data "
            "ignored"
        )
    if strict_fail:
        lines.append(
            f"--strict: {plural(len(unproven), 'required check')} passed without proof "
            f"({', '.join(unproven)}): exit 6"
        )
    if comparison is not None:
        lines += ["", comparison.text()]
    if args.summary:
        lines += ["", summary.text() if summary is not None else "no latency samples"]
    emit("\n".join(lines) + "\n")
    return int(code)


def _handshake_share(frames: Any) -> tuple[int, int]:
    """(cassettes that got the newest generation's handshake_response, cassettes)."""
    if frames.empty or "type" not in frames.columns:
        return 0, 0
    every = int(frames["cassette"].nunique())
    newest = int(frames.loc[frames["type"] == "handshake_response", "cassette"].nunique())
    return newest, every


def _generation_warnings(current: tuple[int, int], baseline: tuple[int, int] | None) -> list[str]:
    """Recordings of different service generations (PROTOCOL.md §5: only the newest sends a
    handshake) checked or compared as one: their latencies are not of one service."""
    out = []
    newest, every = current
    if 0 < newest < every:
        out.append(
            f"{newest} of {every} cassettes come from the newest service generation (a "
            "handshake_response) and the others from an older one: their latencies are "
            "checked together"
        )
    if baseline is not None and every and baseline[1]:
        now, before = newest / every, baseline[0] / baseline[1]
        if (now == 0) != (before == 0) or (now == 1) != (before == 1):
            out.append(
                f"the baseline's cassettes ({baseline[0]} of {baseline[1]} with a handshake) and "
                f"the current ones ({newest} of {every}) come from different service "
                "generations: a difference may be the generation's, not a regression"
            )
    return out


def _records(frame: Any) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-safe dicts (NaN becomes null)."""
    loaded: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return loaded
