"""``netra-diag triage``: what is failing, why, and what is new, from JUnit or pytest-json results.

Reads one run (files, shard directories), optionally a baseline run, a directory of recordings
made with ``pytest --netra-record DIR`` and a history directory of earlier runs, and prints the
honest headline first, then a per-suite table, the failure clusters and the diff.
"""

from __future__ import annotations

import argparse
import json
import sys

from netra_diag.cli.exit_codes import ExitCode

__all__ = ["exit_code_for", "register"]

_EPILOG = """\
exit codes:
  0  nothing fails (with --baseline: no new failures; failures the baseline already had are
     still listed, and the headline still leads with them)
  1  tests fail or error and no --baseline was given
  2  usage error: a results file is missing, empty, malformed or unsafe XML (file:line shown)
  7  new failures since the baseline: regressions, or failing tests the baseline did not have
  9  tests fail and every failure is a timeout or infrastructure problem (service down, 503,
     refused; no --baseline given): retry before debugging

example:
  netra-diag triage reports/junit-*.xml --baseline last-green/junit.xml --recordings cassettes/
  netra-diag triage --demo            # the bundled PROTOCOL.md §10 example
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
        help="JUnit XML or pytest-json-report files, or directories of them (shards of one run)",
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
        help="earlier runs, one file or shard directory each, oldest first by name (flakiness)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="output format when not --json (default: text)",
    )
    parser.add_argument(
        "--max-tests",
        type=int,
        default=5,
        metavar="N",
        help="test ids listed per cluster or diff line (default: 5)",
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
    if report.diff is not None:
        return ExitCode.NEW_FAILURES if report.diff.any_new_failures else ExitCode.OK
    if not report.failing:
        return ExitCode.OK
    infra = {Category.INFRASTRUCTURE}
    if report.clusters and all(c.category in infra for c in report.clusters):
        return ExitCode.INFRASTRUCTURE
    return ExitCode.FAILURE


def _run(args: argparse.Namespace) -> int:
    from importlib.resources import files

    from netra_diag.errors import ReportParseError
    from netra_diag.suites import triage

    results = list(args.results)
    baseline = args.baseline
    if args.demo:
        data = files("netra_diag") / "data" / "suites"
        results = results or [str(data / "current.xml")]
        baseline = baseline or [str(data / "baseline.xml")]
    if not results:
        print("netra-diag triage: error: give RESULTS files or --demo", file=sys.stderr)
        return int(ExitCode.USAGE)
    try:
        report = triage(
            results, baseline=baseline, recordings=args.recordings, history=args.history
        )
    except (ReportParseError, OSError) as exc:
        print(f"netra-diag triage: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "markdown":
        sys.stdout.write(report.to_markdown(max_tests=args.max_tests))
    else:
        sys.stdout.write(report.to_text(max_tests=args.max_tests))
    return int(exit_code_for(report))
