"""The ``netra-diag`` command line.

Each subcommand lives in its own module under ``netra_diag.cli`` and exposes
``register(subparsers) -> None``, which adds its parser and sets ``func(args) -> int``.
Heavy imports (websockets, plotly, papermill) happen inside ``func`` so ``netra-diag --help``
stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

from netra_diag import __version__
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.output import controls_shown_on_stdout, silence_stdout
from netra_diag.errors import NetraDiagError

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

# Order is the order shown in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "demo",
    "token",
    "serve",
    "probe",
    "fanout",
    "replay",
    "trace",
    "sla",
    "triage",
    "report",
    "scrub",
    "lab",
    "doctor",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netra-diag",
        description=(
            "Diagnose a real-time AI-agent WebSocket service: mint and explain tokens, probe live "
            "sessions, check event contracts, measure latency against SLAs, triage failing suites."
        ),
        epilog="Run 'netra-diag COMMAND --help' for each command's options and exit codes.",
    )
    parser.add_argument("--version", action="version", version=f"netra-diag {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"netra_diag.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"netra_diag.cli.{name}":
                continue  # command not built yet in this tree
            raise
        module.register(sub)
    _plain_descriptions(parser)
    return parser


# Subcommands describe themselves with their module docstring, written for the API docs: a
# "``netra-diag X ...``: " opening (the usage line above already shows it) and ``literals``.
_OPENING = re.compile(r"\A\s*``netra-diag [^`]*``: *(\w)")
_LITERAL = re.compile(r"``([^`]+)``")


def _plain_descriptions(parser: argparse.ArgumentParser) -> None:
    """Render every subcommand's description as plain text for ``--help``."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in action.choices.values():
            if child.description:
                text = _OPENING.sub(lambda m: m.group(1).upper(), child.description)
                child.description = _LITERAL.sub(r"'\1'", text)
            _plain_descriptions(child)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    from netra_diag.cli.report_argv import mark_parameter_values

    args = parser.parse_args(mark_parameter_values(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return int(ExitCode.USAGE)
    try:
        with controls_shown_on_stdout():
            return int(args.func(args))
    except KeyboardInterrupt as exc:
        # One line, whatever was running; a command may say what it left behind (where the
        # partial data is) in the interrupt's message.
        detail = str(exc)
        print(f"interrupted: {detail}" if detail else "interrupted", file=sys.stderr)
        return 130  # 128 + SIGINT: what a shell reports for a command Ctrl-C stopped
    except BrokenPipeError:
        # The reader of our output went away (``| head``): stop quietly, as a command killed
        # by SIGPIPE would, with its exit status (128 + 13).
        silence_stdout()
        return 141
    except NetraDiagError as exc:
        # Our errors carry a complete message already; a traceback would only hide it.
        print(f"netra-diag {args.command}: error: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", ExitCode.FAILURE))
