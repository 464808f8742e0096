"""What a results file carries into the report: control characters are shown, never sent to the
terminal, and "@" mentions in the Markdown for a pull request notify nobody.

pytest-json-report keeps a failure's text as the test wrote it: an escape sequence in it
(clear the screen, set the window title, a hidden hyperlink) reached the terminal raw. The
Markdown the README says can go straight into a pull request comment left "@octocat" in a
message live, and GitHub would have notified that user.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from suite_runs import has_json_report, run_case_module

from netra_diag.cli.output import visible_controls

_ESCAPES = r"""
def test_colour():
    assert False, "\x1b[2J\x1b]0;pwned\x07 \x1b[31mred\x1b[0m \u202eevil"
"""
_MENTIONS = """
def test_async():
    assert False, "decorate it with @pytest.mark.asyncio (ask @octocat or @org/team-x)"
"""


def _triage(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "netra_diag", "triage", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.skipif(not has_json_report(), reason="pytest-json-report is not installed")
@pytest.mark.parametrize("fmt", ["text", "markdown", "github"])
def test_escape_sequences_in_a_json_report_are_shown_not_sent(tmp_path: Path, fmt: str) -> None:
    report = tmp_path / "run.json"
    run_case_module(tmp_path, "esc", _ESCAPES, "--json-report", f"--json-report-file={report}")
    assert "\\u001b[2J" in report.read_text(encoding="utf-8")  # kept raw by the runner
    done = _triage(str(report), "--format", fmt)
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out), repr(out)
    assert "\\x1b" in out and "\\x07" in out, out


def test_mentions_in_markdown_are_code_spans(tmp_path: Path) -> None:
    xml = tmp_path / "run.xml"
    run_case_module(tmp_path, "at", _MENTIONS, f"--junitxml={xml}")
    done = _triage(str(xml), "--format", "markdown")
    out = done.stdout
    for mention in ("@pytest.mark.asyncio", "@octocat", "@org/team-x"):
        assert f"`{mention}`" in out, out
    # No "@" outside a code span: strip the spans, and nothing is left to notify.
    assert "@" not in re.sub(r"`[^`]*`", "", out), out


def test_visible_controls() -> None:
    assert visible_controls("a\tb\nc") == "a\tb\nc"
    assert visible_controls("\x1b[2Jx\r\x7f\x9b\u202e") == "\\x1b[2Jx\\x0d\\x7f\\x9b\\u202e"
