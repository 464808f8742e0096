"""Every ``netra-diag`` command's ``--help``: plain text, with its exit codes."""

from __future__ import annotations

import argparse

import pytest

from netra_diag.cli import build_parser


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, str]:
    """Each command path (``"token mint"``) and its formatted help."""
    found = {prefix.strip(): parser.format_help()} if prefix else {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.update(_commands(child, f"{prefix} {name}"))
    return found


HELP = _commands(build_parser())


def test_every_command_is_listed() -> None:
    top = {name.split()[0] for name in HELP}
    assert {"demo", "token", "probe", "triage", "report", "scrub", "lab", "doctor"} <= top
    assert {"token mint", "sla check"} <= set(HELP)


@pytest.mark.parametrize("command", sorted(HELP))
def test_help_is_plain_text(command: str) -> None:
    text = HELP[command]
    # Module docstrings are written for the API docs; --help shows them without their markup.
    assert "``" not in text
    assert text.startswith(f"usage: netra-diag {command}")


def test_module_docstring_opening_is_dropped() -> None:
    # The usage line names the command; the description starts with what it does.
    lines = HELP["triage"].split("\n\n", 2)
    assert lines[1].startswith("What is failing, why, and what is new")
