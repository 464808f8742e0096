"""``netra-diag demo``: the main job, a full investigation against the embedded reference service.

1. Start the reference service with a few injected faults, mint a token, run one agent turn and
   print it: handshake, auth verdict, each event with its time, outcome.
2. Fan out many users (each with its own token), recording every session as a cassette.
3. Run the ``investigation_report`` notebook on the recordings: event contracts per session,
   latency against the service's SLA, what was injected against what was diagnosed, and the
   bundled failing suite triaged. It writes an HTML report, the executed notebook and a JSON
   summary into ``--out``.
4. Print the headline (worst finding first) and where the report is.

No network beyond loopback and no account: everything runs on this machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netra_diag.cli.demo_collect import collect_with_progress
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.wording import plural

__all__ = ["REPORT_TIMEOUT_S", "check_line", "register", "run"]

# A report takes ~10 s here. The report bounds its own cells (REPORT_RUN_BUDGET_S, then exit 8
# naming the cell that did not answer); the demo bounds the whole child, kernel start and HTML
# export included, and retries once in a fresh process if even that bound is reached.
REPORT_TIMEOUT_S = 120
REPORT_RUN_BUDGET_S = 90
REPORT_ATTEMPTS = 2
# On Ctrl-C the report child gets SIGINT and this long to kill its kernel and exit (it writes
# nothing once interrupted), then SIGKILL.
REPORT_STOP_S = 10.0

EPILOG = """\
exit codes:
  2  bad arguments (--users, --runs, --time-scale, --faults, --out), before anything runs
  0  the investigation ran and diagnosed every fault the service injected that the recording
     can show (the findings it prints are the point of the demo: the service was told to
     misbehave); a fault no recording can show is named on a "not counted" line instead
  1  an injected fault the recording shows went undiagnosed
  8  the report notebook failed (its HTML still shows what ran)
  with --strict: the report's own class instead (3 contract or auth, 6 SLA, 7 new test
  failures, 4 timeout, 9 infrastructure), as `netra-diag report` exits
  130  interrupted (Ctrl-C): the report is stopped before it writes anything; the line says
     where the partial recordings are

examples:
  netra-diag demo
  netra-diag demo --users 50 --runs 5 --faults "drop_event@0.2,stall@0.1" --out /tmp/report
  netra-diag lab          # the same notebooks in JupyterLab, with the service running
"""


def register(subparsers: Any) -> None:
    from netra_diag.investigation import DEFAULT_FAULTS

    parser = subparsers.add_parser(
        "demo",
        help="main job: investigation report against the embedded reference service",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        default="netra-report",
        metavar="DIR",
        help="where the report and recordings go (default ./netra-report; git-ignored)",
    )
    parser.add_argument("--users", type=int, default=20, help="users to fan out (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="agent runs per user (default 3)")
    parser.add_argument(
        "--faults",
        default=DEFAULT_FAULTS,
        metavar="PLAN",
        # The names are not listed here: the emulator's import would slow every command's
        # start; an unknown name is refused with the list.
        help=f"faults the service injects, 'name@probability,...', '' for none (an unknown "
        f"name is refused with the list of names; default {DEFAULT_FAULTS!r})",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.25,
        help="pace of the service's agent runs: 1.0 realistic, 0.25 four times faster "
        "(default); each run is waited for 5 s at 0.25, longer in proportion at a slower pace",
    )
    parser.add_argument("--seed", type=int, default=7, help="the service's random seed")
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="analyse in this process and skip the notebook and HTML (faster)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit with the report's class of failure (as `netra-diag report` does)",
    )
    parser.set_defaults(func=run)


def _say(text: str = "") -> None:
    print(text, flush=True)


def check_line(check: Any) -> str:
    """One check as the demo prints it; the status padded to its widest ("[not verified]") and
    the name to the longest a report records ("stayed_connected"), so details line up."""
    status = f"[{check.status}]"
    return f"  {status:<14} {check.name:<16} {check.detail}"


def _diagnosis_line(
    injected: int, detected: int, kinds: Counter[str], missed: Mapping[str, int]
) -> str:
    """``diagnosis: 75 of 84 injected faults diagnosed (missed: stall ×5, drop_event ×4;
    injected: drop_event ×62, stall ×22)``: what went undiagnosed is what to look at.
    ``injected`` counts the faults the recording can show (see :func:`_unobservable_line`)."""
    listed = ", ".join(f"{name} ×{n}" for name, n in sorted(kinds.items())) or "none"
    if not injected:
        return "diagnosis: no fault was injected"
    if detected == injected:
        verdict = "all diagnosed"
    else:
        by_kind = sorted(missed.items(), key=lambda item: (-item[1], item[0]))
        verdict = "MISSED: " + (
            ", ".join(f"{name} ×{n}" for name, n in by_kind) or str(injected - detected)
        )
    return (
        f"diagnosis: {detected} of {injected} injected faults diagnosed "
        f"({verdict}; injected: {listed})"
    )


def _unobservable_line(unobservable: Mapping[str, int]) -> str:
    """The faults the service injected that no recording can show, and why: neither diagnosed
    nor missed, so they are named apart instead of failing the demo at random ("" if none)."""
    from netra_diag.investigation.injected import UNOBSERVABLE_WHY

    total = sum(unobservable.values())
    if not total:
        return ""
    listed = ", ".join(f"{name} ×{n}" for name, n in sorted(unobservable.items()))
    reasons = [UNOBSERVABLE_WHY[name] for name in sorted(unobservable) if name in UNOBSERVABLE_WHY]
    why = "; ".join(reasons) or "see the report's injected-and-diagnosed table"
    return (
        f"not counted: {plural(total, 'more injected fault')} the recording cannot show "
        f"({listed}): {why}"
    )


def _fault_counts(
    found: Mapping[str, Any], log: Any
) -> tuple[int, int, Counter[str], dict[str, int], dict[str, int]]:
    """Injected (that the recording can show), diagnosed, injected by kind, missed by kind and
    not observable by kind, from the analysis' summary. Without the analysis' counts every fault
    in the service's log counts as injected and none as diagnosed: nothing is claimed that the
    analysis did not say."""
    if "injected_faults" not in found:
        kinds = Counter(str(f.get("fault")) for f in log)
        return len(log), 0, kinds, dict(kinds), {}
    return (
        int(found["injected_faults"]),
        int(found.get("injected_detected", 0)),
        Counter({str(k): int(n) for k, n in (found.get("injected_by_fault") or {}).items()}),
        dict(found.get("injected_missed") or {}),
        dict(found.get("injected_unobservable") or {}),
    )


def _report_status(summary: Mapping[str, Any], took_s: float) -> str:
    """One line on how the report run ended, on stdout whatever happens to stderr (where the
    report's own progress goes)."""
    status = summary.get("status", "unknown")
    done = "ran" if status == "ok" else f"ended with status {status!r}"
    return f"the notebook {done} in {took_s:.1f} s"


def _report_in_child(recordings: Path, out: Path) -> dict[str, Any] | None:
    """Run the report notebook in a fresh process (``netra-diag report ... --json``).

    A child in its own session can be killed with its kernel (a grandchild) when it overruns
    ``REPORT_TIMEOUT_S``, and its memory is not this process's, which holds the fan-out's."""
    command = [
        sys.executable,
        "-m",
        "netra_diag",
        "report",
        "investigation_report",
        "-p",
        "recordings",
        str(recordings.resolve()),
        "--out",
        str(out),
        "--timeout",
        str(REPORT_RUN_BUDGET_S),
        "--json",
    ]
    done = None
    for attempt in range(1, REPORT_ATTEMPTS + 1):
        # A new session, so a timeout can kill the papermill kernel (a grandchild) with it.
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, _ = child.communicate(timeout=REPORT_TIMEOUT_S)
        except KeyboardInterrupt:
            # Ctrl-C reaches only this process group: the child, in a session of its own, would
            # finish the report and write it after we exit. Stop it and wait for it.
            _stop_child(child)
            raise
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            again = "; retrying once in a fresh process" if attempt < REPORT_ATTEMPTS else ""
            _say(f"  the report did not finish within {REPORT_TIMEOUT_S} s{again}")
            continue
        done = subprocess.CompletedProcess(command, child.returncode, stdout)
        break
    if done is None:
        return None
    try:
        summary: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        _say(f"  the report failed (exit {done.returncode}) and wrote no summary")
        return None
    return summary


def _stop_child(child: subprocess.Popen[str]) -> None:
    """Interrupt the report child and wait for it: SIGINT to its process group (it kills its
    kernel, which leads a session of its own, and writes nothing), SIGKILL after
    ``REPORT_STOP_S`` or at a second Ctrl-C."""
    for sig in (signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, sig)
        try:
            child.communicate(timeout=REPORT_STOP_S)
            return
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            continue
    child.wait()


def _check_arguments(args: argparse.Namespace) -> str:
    """What is wrong with the arguments, naming the option ("" if nothing): checked before the
    banner, so a typo is exit 2 and never mistaken for an undiagnosed fault (exit 1)."""
    from netra_diag.emulator import FaultPlan
    from netra_diag.errors import UsageError

    if args.users < 1:
        return f"--users must be at least 1, got {args.users}"
    if args.runs < 1:
        return f"--runs must be at least 1, got {args.runs}"
    if not args.time_scale > 0:
        return f"--time-scale must be above 0, got {args.time_scale:g}"
    try:
        FaultPlan.parse(args.faults)
    except UsageError as exc:
        return f"--faults: {exc}"
    import os

    from netra_diag.report.artifacts import refuse_secret_in_out
    from netra_diag.report.safety import secret_values

    # Otherwise --out is checked where it is created (report.prepare_out_dir), before the
    # banner too.
    try:
        refuse_secret_in_out(args.out, secret_values(os.environ))
    except UsageError as exc:
        return str(exc)
    return ""


def run(args: argparse.Namespace) -> int:
    from netra_diag import investigation, report
    from netra_diag.errors import UsageError

    problem = _check_arguments(args)
    if problem:
        print(f"netra-diag demo: error: {problem}", file=sys.stderr)
        return int(ExitCode.USAGE)
    started = time.monotonic()
    try:
        out = report.prepare_out_dir(args.out)
    except UsageError as exc:
        # A bad --out is a usage error (2), never the undiagnosed-fault exit (1).
        print(f"netra-diag demo: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    from netra_diag.report.artifacts import check_targets

    earlier = [out / f"investigation_report{e}" for e in (".ipynb", ".html", ".json")]
    try:
        check_targets(out, earlier)
    except UsageError as exc:
        print(f"netra-diag demo: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    for path in earlier:
        # The recordings are about to be replaced: an earlier report left beside them (if this
        # run is interrupted or --no-report) would be read as this run's verdict.
        path.unlink(missing_ok=True)
    recordings = out / "recordings"
    config = investigation.CollectConfig(
        users=args.users,
        runs=args.runs,
        faults=args.faults,
        time_scale=args.time_scale,
        seed=args.seed,
    )
    _say(
        f"netra-diag demo: {plural(args.users, 'user')} × {plural(args.runs, 'run')} against the "
        "embedded reference "
        f"service, injecting: {args.faults or 'nothing'}"
    )
    collection = collect_with_progress(recordings, config)
    _say("\n== one agent turn")
    if collection.turn is not None:
        for line in investigation.describe_turn(collection.turn):
            _say(f"  {line}")
    fan = collection.fanout
    _say("\n== fan-out")
    _say(
        f"  {fan['sessions_connected']}/{fan['users']} sessions, {fan['runs_completed']}/"
        f"{fan['runs_total']} runs completed, {fan['events_lost']} critical events lost, "
        f"isolation: {fan['isolation']['verdict']}; recorded in {recordings}"
    )

    notebook_failed = False
    html_path: Path | None = None
    if args.no_report or report.notebooks_dir() is None:
        if not args.no_report:
            _say("\n(no notebooks/ folder found: analysing here, without the HTML report)")
        inv = investigation.analyse(recordings)
        headline, checks = inv.headline, inv.checks
        found = inv.to_summary()
        exit_class = report.exit_code_for(checks)
    else:
        _say("\n== report")
        # Said before the wait, so the section is never an empty header when the report's own
        # progress goes to stderr (redirected, or not a terminal).
        _say(f"  running the investigation_report notebook on {recordings} ...")
        report_started = time.monotonic()
        try:
            summary = _report_in_child(recordings, out)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(f"recordings kept in {recordings}") from None
        if summary is None:
            return int(ExitCode.NOTEBOOK)
        checks = tuple(report.Check.from_dict(c) for c in summary.get("checks", ()))
        headline = str(summary.get("headline", ""))
        notebook_failed = summary.get("status") != "ok"
        found = (summary.get("values") or {}).get("investigation") or {}
        exit_class = ExitCode(int(summary.get("exit_code", ExitCode.NOTEBOOK)))
        html_name = (summary.get("artifacts") or {}).get("html")
        html_path = out / html_name if html_name else None
        _say(f"  {_report_status(summary, time.monotonic() - report_started)}")
        for warning in summary.get("warnings", ()):
            _say(f"  warning: {warning}")

    _say("\n== headline (worst first)")
    _say(f"  {headline}")
    for check in checks:
        _say(check_line(check))
    injected, detected, kinds, missed, unobservable = _fault_counts(found, collection.injected)
    _say(f"  {_diagnosis_line(injected, detected, kinds, missed)}")
    hidden = _unobservable_line(unobservable)
    if hidden:
        _say(f"  {hidden}")
    _say("")
    if html_path is not None:
        _say(f"report: {html_path} (executed notebook and JSON summary beside it)")
    _say(
        f"report exit class: {int(exit_class)} ({exit_class.name}); demo took "
        f"{time.monotonic() - started:.1f} s"
    )
    _say("explore it interactively: netra-diag lab")
    if args.strict:
        return int(exit_class)
    if notebook_failed:
        return int(ExitCode.NOTEBOOK)
    if detected < injected:
        return int(ExitCode.FAILURE)
    return int(ExitCode.OK)
