"""An outage against a baseline: every new failure is the service being down (refused), which
is no regression: exit 9 (retry before debugging), as without a baseline, not 7."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode

_CASE = '<testcase classname="tests.e2e.test_ws" name="{name}" time="0.2">{body}</testcase>'
_REFUSED = (
    '<failure message="ConnectionRefusedError: [Errno 111] Connect call failed '
    "('127.0.0.1', 8000)\">E   ConnectionRefusedError: [Errno 111] Connect call failed</failure>"
)
_ASSERT = '<failure message="AssertionError: expected agent_started">E   AssertionError</failure>'


def _run(path: Path, bodies: dict[str, str]) -> Path:
    cases = "".join(_CASE.format(name=n, body=b) for n, b in bodies.items())
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" tests="{len(bodies)}">{cases}</testsuite></testsuites>',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("second", "code"),
    [(_REFUSED, ExitCode.INFRASTRUCTURE), (_ASSERT, ExitCode.NEW_FAILURES)],
    ids=["all-refused", "one-regression"],
)
def test_new_failures_that_are_all_an_outage_exit_9(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], second: str, code: ExitCode
) -> None:
    names = ("test_connect", "test_stream", "test_auth")
    base = _run(tmp_path / "base.xml", dict.fromkeys(names, ""))
    current = _run(
        tmp_path / "current.xml",
        {"test_connect": _REFUSED, "test_stream": second, "test_auth": _REFUSED},
    )
    assert main(["triage", str(current), "--baseline", str(base)]) == int(code)
    assert capsys.readouterr().out.startswith("TRIAGE: ")
