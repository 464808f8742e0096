"""``netra-diag triage``: what is failing, why, and what is new, from test results (JUnit XML,
pytest-json-report or jest --json).

Reads one run (files, shard directories), optionally a baseline run, a directory of recordings
made with ``pytest --netra-record DIR`` and a history directory of earlier runs, and prints the
honest headline first, then a per-suite table, the failure clusters and the diff.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from netra_diag.cli.arguments import positive_int
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.output import emit

if TYPE_CHECKING:
    from netra_diag.suites.triage import TriageReport

__all__ = ["exit_code_for", "register"]

_EPILOG = """\
exit codes:
  0  nothing fails and the run finished (with --baseline: no new failures; failures the
     baseline already had are still listed, and the headline still leads with them)
  1  tests fail or error and no --baseline was given; or the run did not finish (interrupted
     by pytest.exit or Ctrl-C, stopped on an internal error or by -x/--maxfail): the tests it
     did not run have no result, so nothing (new) failing proves nothing, baseline or not
  2  usage error: a results file is missing, empty, malformed or unsafe XML (file:line shown),
     or a --recordings / --history folder does not exist
  3  with --strict, instead of 0: nothing (new) fails, but the pass proves little (auth
     bypassed in recordings, critical events never observed, a passing test's recording
     breaking the event contract, only skips, ~0 ms passes against a network service, ...)
  7  new failures since the baseline: regressions, or failing tests the baseline did not have
  9  tests fail and every failure is a timeout or infrastructure problem (service down, 503,
     refused; with --baseline, when there are new failures): retry before debugging

example:
  netra-diag triage reports/junit-*.xml --baseline last-green/junit.xml --recordings cassettes/
  netra-diag triage --demo            # the bundled PROTOCOL.md §10 example
  netra-diag triage junit.xml --format github   # in a GitHub Actions step: annotated failures
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "triage",
        help="triage failing suites: causes, clusters, baseline diff, weak passes",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "results",
        nargs="*",
        metavar="RESULTS",
        help="JUnit XML, pytest-json-report or jest --json files, or directories of them (shards "
        "of one run); a quoted pattern ('reports/junit-*.xml') reads the files it matches",
    )
    parser.add_argument(
        "--baseline",
        nargs="+",
        metavar="RESULTS",
        default=None,
        help="results of the run to compare with (files or directories)",
    )
    parser.add_argument(
        "--recordings",
        metavar="DIR",
        default=None,
        help="cassettes written with 'pytest --netra-record DIR', linked to tests by node id",
    )
    parser.add_argument(
        "--history",
        metavar="DIR",
        default=None,
        help="earlier runs, one file or shard directory each (flakiness, and tests much slower "
        "than their earlier passes), taken in the order "
        "they started when every run says when, else by name with numbers read as numbers "
        "(build-9 before build-10); the run being triaged may sit there too: it is counted once",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "github"),
        default="text",
        help="output format when not --json (default: text): markdown for a pull request or "
        "$GITHUB_STEP_SUMMARY; github for GitHub Actions annotations on each failing test",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 3 rather than 0 when the pass proves little (a CI gate that a DEMO-mode auth "
        "bypass or events never seen cannot pass)",
    )
    parser.add_argument(
        "--max-tests",
        type=positive_int,
        default=5,
        metavar="N",
        help="test ids listed per cluster or diff line (default: 5)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show reading progress on stderr once it takes over half a second "
        "(default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="triage the bundled example (current vs baseline of PROTOCOL.md §10)",
    )
    parser.set_defaults(func=_run)


def exit_code_for(report: object) -> ExitCode:
    """The exit code the epilog promises for a ``TriageReport``."""
    from netra_diag.suites.categories import Category
    from netra_diag.suites.triage import TriageReport

    assert isinstance(report, TriageReport)
    infra = {Category.INFRASTRUCTURE}
    outage = bool(report.clusters) and all(c.category in infra for c in report.clusters)
    if report.diff is not None and report.diff.any_new_failures:
        # (failures that are all the service being down are no regression: retry first)
        return ExitCode.INFRASTRUCTURE if outage else ExitCode.NEW_FAILURES
    if report.current.interrupted:
        # (the runner exited non-zero too: a run cut short must not pass a CI gate)
        return ExitCode.FAILURE
    if report.diff is not None:
        return ExitCode.OK
    if not report.failing:
        return ExitCode.OK
    return ExitCode.INFRASTRUCTURE if outage else ExitCode.FAILURE


class _Bar:
    """A ``ReadProgress`` drawn by tqdm on stderr, in bytes; it appears only when reading takes
    longer than half a second (``delay``), so a small triage prints nothing extra. (The terminal
    tqdm: ``tqdm.auto`` would import IPython's machinery, for nothing here.)"""

    def __init__(self, delay: float = 0.5, mininterval: float = 0.1) -> None:
        from tqdm import tqdm

        class _NoMonitor(tqdm):  # type: ignore[type-arg]
            # tqdm starts a monitor thread with its first bar, even a disabled one; with a thread
            # running, triage may not fork its helpers (netra_diag.suites.background).
            monitor_interval = 0

        self._bar = _NoMonitor(
            total=0,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="reading",
            delay=delay,
            mininterval=mininterval,
            dynamic_ncols=True,
            leave=False,
            file=sys.stderr,
        )

    def __call__(self, path: str, done: int, total: int) -> None:
        bar = self._bar
        if bar.total != total:
            bar.total = total
        bar.set_description_str(Path(path).name if path else "read", refresh=False)
        bar.update(done - bar.n)

    def close(self) -> None:
        self._bar.close()


@contextmanager
def _progress_bar(show: bool) -> Iterator[_Bar | None]:
    bar = _Bar() if show else None  # (tqdm is not even imported without a bar to draw)
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def _empty_path(args: argparse.Namespace) -> str:
    """Which option was given an empty path ("" if none): ``--baseline "$LAST_GREEN"`` with the
    variable unset read every results file of the current folder as the baseline."""
    given = [
        *(("RESULTS", p) for p in args.results),
        *(("--baseline", p) for p in args.baseline or ()),
        ("--history", args.history),
        ("--recordings", args.recordings),
    ]
    return next((name for name, path in given if path is not None and not path.strip()), "")


class _NoMatch(Exception):
    """A results pattern that no file matches."""


def _globbed(paths: list[str]) -> list[str]:
    """``paths`` with each pattern that names no file itself (``'reports/*.xml'`` quoted in a
    CI step, or given where no shell expands it) replaced by the files it matches, in name
    order (numbers as numbers). A pattern matching nothing is an error saying so: the shell
    passes an unmatched ``reports/*.xml`` on as it is, and "cannot open" hid why."""
    import glob
    import os

    from netra_diag.suites.run_order import sorted_by_name

    out: list[str] = []
    for path in paths:
        if os.path.exists(path) or not glob.has_magic(path):
            out.append(path)
            continue
        found = sorted_by_name(Path(p) for p in glob.glob(path))
        if not found:
            raise _NoMatch(
                f"{path}: no file matches this pattern (did the run write its results there?)"
            )
        out += [str(p) for p in found]
    return out


def _newest_of_history(directory: str) -> str:
    """A hint for "triage --history DIR" without RESULTS: the history is the earlier runs,
    the run to triage is named apart (the newest, say, which may stay in DIR: it is counted
    once)."""
    from netra_diag.errors import ReportParseError
    from netra_diag.suites.history import history_entries

    try:
        entries = history_entries(directory)
    except (ReportParseError, OSError):
        return ""  # (no such folder: reading it would say so)
    if not entries:
        return ""
    return (
        f": --history is the earlier runs; name the run to triage too, the newest, say: "
        f"netra-diag triage {entries[-1]} --history {directory}"
    )


# How the bundled example's results file is named in the output of --demo: the same on every
# machine (its installed path, under site-packages, said nothing a reader needs).
BUNDLED_DEMO_SOURCE = "current.xml (bundled demo data)"


def _as_bundled_demo(report: TriageReport) -> TriageReport:
    """``report`` with its run's source shown as ``BUNDLED_DEMO_SOURCE``."""
    from dataclasses import replace

    return replace(report, current=replace(report.current, sources=(BUNDLED_DEMO_SOURCE,)))


def _run(args: argparse.Namespace) -> int:
    from importlib.resources import files

    from netra_diag.errors import ReportParseError
    from netra_diag.suites import triage

    if empty := _empty_path(args):
        print(
            f"netra-diag triage: error: {empty}: an empty path (an unset variable?); name a "
            "file or folder (an empty one was read as the current folder)",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE)
    if args.json and args.format != "text":
        # (JSON was printed and the format asked for dropped without a word)
        print(
            f"netra-diag triage: error: --json and --format {args.format} are two outputs: "
            "give one",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE)
    try:
        results = _globbed(args.results)
        baseline = None if args.baseline is None else _globbed(args.baseline)
    except _NoMatch as exc:
        print(f"netra-diag triage: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    bundled = False
    if args.demo:
        data = files("netra_diag") / "data" / "suites"
        bundled = not results
        results = results or [str(data / "current.xml")]
        baseline = baseline or [str(data / "baseline.xml")]
    if not results:
        hint = ""
        if args.baseline and len(args.baseline) > 1:
            # "triage --baseline base.xml cur.xml": --baseline takes every name after it (as
            # given: one quoted pattern that matched several files took nothing else)
            hint = (
                f": --baseline took every file after it ({' '.join(args.baseline)}); give RESULTS "
                "before --baseline, or end the baseline's files with --"
            )
        elif args.history:
            hint = _newest_of_history(args.history)
        print(f"netra-diag triage: error: give RESULTS files or --demo{hint}", file=sys.stderr)
        return int(ExitCode.USAGE)
    show = sys.stderr.isatty() if args.progress is None else args.progress
    try:
        # (the bar is gone before an error is printed: it would draw over it)
        with _progress_bar(show) as progress:
            report = triage(
                results,
                baseline=baseline,
                recordings=args.recordings,
                history=args.history,
                progress=progress,
            )
    except (ReportParseError, OSError) as exc:
        print(f"netra-diag triage: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if bundled:
        report = _as_bundled_demo(report)
    if args.json:
        emit(json.dumps(report.to_dict(), indent=2) + "\n")
    elif args.format == "markdown":
        emit(report.to_markdown(max_tests=args.max_tests))
    elif args.format == "github":
        emit(report.to_github(max_tests=args.max_tests))
    else:
        emit(report.to_text(max_tests=args.max_tests))
    code = exit_code_for(report)
    if code is ExitCode.FAILURE and report.current.interrupted and not report.failing:
        print(f"netra-diag triage: exit 1: {report.current.interrupted}", file=sys.stderr)
    if args.strict and code is ExitCode.OK and report.weak_signals:
        print(
            "netra-diag triage: --strict: the pass proves little: "
            + "; ".join(report.weak_signals),
            file=sys.stderr,
        )
        return int(ExitCode.CONTRACT)
    return int(code)
