"""``netra-diag report NAME -p KEY VALUE ... [--out DIR]``: run a notebook as a report.

papermill executes the notebook (``notebooks/NAME.ipynb`` or a path) with the given parameters;
the executed notebook, a self-contained HTML page and a JSON summary land in ``--out``. The exit
code says which class of check failed (see ``netra_diag.report.summary``).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from netra_diag.cli.exit_codes import ExitCode

__all__ = ["register", "run"]

EPILOG = """\
exit codes (worst class wins):
  0  no required check failed: each passed or is "not verified" (could not be judged
     for lack of data); each check's status, printed and in NAME.json, says which
  1  suite_triage: tests fail and no baseline was given, or the run did not finish (as
     'netra-diag triage' exits 1 on the same results)
  2  bad arguments: unknown notebook or parameter, a parameter carrying a secret, or a
     notebook refusing its input (a bad parameter value or input file; nothing was checked)
  3  event-contract or auth failure (token rejected, auth bypassed, the service closing a
     run with 1011)
  4  a run timed out, or was cut short by the client sooner than the protocol's 30 s between
     events (the client stopped waiting; the contract verdict is then secondary)
  6  SLA breach
  7  new test failures since the baseline
  8  the notebook failed to execute, or a cell did not answer within --cell-timeout or
     --timeout (the error names the cell; the HTML still shows what ran)
  9  infrastructure failure (service down or unreachable, or the connection went away
     mid-run: 1001, 1006; suite_triage: every failing test fails for such a cause)
  130  interrupted (Ctrl-C): no report written; the line says where partial recordings are

parameters name environment variables, never secrets: -p secret_env JWT_SECRET_KEY, not the
secret itself. A value that looks like a JWT or equals a secret variable's value is refused.

run by papermill itself instead (papermill notebooks/NAME.ipynb out.ipynb -p ...), a notebook
exits 0 whatever its checks found; with -p raise_on_failed_checks True its last cell raises,
naming the failed checks, and papermill exits 1 (see notebooks/README.md).

example:
  netra-diag report latency_sla -p sla remediation --out netra-report
"""


def _seconds(*, zero: bool) -> Any:
    """An argparse type: a finite number of seconds, above 0 (or 0 too, when ``zero``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
            wanted = "0 or more" if zero else "more than 0"
            raise argparse.ArgumentTypeError(f"wants {wanted} seconds, got {text!r}")
        return value

    return parse


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="run a notebook with papermill; write executed notebook, HTML and JSON summary",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "notebook",
        metavar="NAME",
        help="a notebook in notebooks/ without .ipynb (e.g. investigation_report), or a path",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="set a parameter of the notebook's parameters cell (repeatable; -p KEY=VALUE too); "
        "converted to the type of its default",
    )
    parser.add_argument(
        "--out",
        default="netra-report",
        metavar="DIR",
        help="directory for NAME.ipynb, NAME.html and NAME.json (default: ./netra-report)",
    )
    parser.add_argument(
        "--no-html", action="store_true", help="skip the HTML export (faster in CI)"
    )
    parser.add_argument(
        "--hide-code", action="store_true", help="leave code cells out of the HTML page"
    )
    parser.add_argument(
        "--cell-timeout",
        type=_seconds(zero=False),
        default=600.0,
        metavar="SECONDS",
        help="fail a cell that runs longer than this (default 600)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds(zero=True),
        default=1800.0,
        metavar="SECONDS",
        help="stop the run with exit 8, naming the cell, when its cells have not all finished "
        "this long after the start (default 1800; 0: only --cell-timeout)",
    )
    parser.add_argument(
        "--list-parameters",
        action="store_true",
        help="print the notebook's parameters with their defaults and exit",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the JSON summary instead of the text lines"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from netra_diag.errors import UsageError

    try:
        return _run(args)
    except UsageError as exc:
        import os

        from netra_diag.redaction import scrub
        from netra_diag.report.safety import secret_values

        # A secret's value given where a name goes (the notebook, a key) is echoed back here.
        exc = UsageError(scrub(str(exc), secret_values(os.environ)))
        print(f"netra-diag report: error: {exc}", file=sys.stderr)
        if args.json:
            # `--json | jq` in CI reads a document whatever happened, not an empty stdout.
            import json

            refused = {
                "report": args.notebook,
                "status": "bad_input",
                "exit_code": int(ExitCode.USAGE),
                "exit_class": ExitCode.USAGE.name,
                "headline": f"bad arguments, nothing ran: {exc}",
                "error": str(exc),
                "checks": [],
            }
            print(json.dumps(refused, indent=2, sort_keys=True))
        return int(ExitCode.USAGE)


def _parameters(pairs: list[list[str]]) -> dict[str, str]:
    """``-p KEY VALUE`` pairs as a mapping; a key given twice is refused: the later value
    silently replaced the earlier (``-p results a.xml -p results b.xml`` triaged b.xml only)."""
    from netra_diag.cli.report_argv import unmark
    from netra_diag.errors import UsageError

    params: dict[str, str] = {}
    for key, marked in pairs:
        value = unmark(marked)
        if key in params:
            raise UsageError(
                f"parameter {key!r} given more than once; give it once (several files or folders "
                f"go comma-separated in one value: -p {key} a.xml,b.xml)"
            )
        params[key] = value
    return params


def _run(args: argparse.Namespace) -> int:
    from netra_diag import report

    if args.list_parameters:
        declared = report.notebook_parameters(report.find_notebook(args.notebook))
        for name, spec in declared.items():
            help_text = f"  # {spec['help']}" if spec.get("help") else ""
            print(f"{name} = {spec.get('default')}{help_text}")
        return int(ExitCode.OK)

    params = _parameters(args.parameter)
    result = report.run_report(
        args.notebook,
        params,
        out_dir=args.out,
        html=not args.no_html,
        hide_code=args.hide_code,
        cell_timeout=args.cell_timeout,
        run_timeout=args.timeout or None,
        log=lambda msg: print(f"netra-diag report: {msg}", file=sys.stderr),
    )
    if args.json:
        print(result.summary_path.read_text(encoding="utf-8"))
        return int(result.exit_code)
    print(result.headline)
    for check in result.checks:
        # status, not passed: a check not judged for lack of data is no pass
        kind = f" ({check.kind})" if str(check.kind) != check.name else ""
        print(f"  [{check.status}] {check.name}{kind}: {check.detail}")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    print(f"notebook: {result.notebook_path}")
    if result.html_path:
        print(f"html:     {result.html_path}")
    print(f"summary:  {result.summary_path}")
    if result.recordings_path:
        print(f"recorded: {result.recordings_path}")
    # "0 (OK)" under a NOT VERIFIED headline would read as a pass: say what OK covers.
    unverified = [c.name for c in result.checks if c.passed and not c.verified]
    why = (
        f", but not verified: {', '.join(unverified)}"
        if unverified and not result.exit_code
        else ""
    )
    if not result.checks and not result.exit_code:
        why = ", but the notebook recorded no check"
    print(
        f"exit:     {int(result.exit_code)} ({result.exit_code.name}{why}) in "
        f"{result.duration_s:.1f} s"
    )
    return int(result.exit_code)
