"""``netra-diag triage --format github``: GitHub Actions annotations on the lines that failed."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage
from netra_diag.suites.render_github import MAX_ANNOTATIONS, _data, _property
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

DATA = Path(str(files("netra_diag") / "data" / "suites"))
ROOT = DATA.parents[2]  # where make_results.py runs pytest: traceback paths are relative to it
_ANNOTATION = re.compile(r"^::error file=(?P<file>[^,:]+),line=(?P<line>\d+),title=[^:]+::(.+)$")


def test_the_demo_annotates_one_test_of_each_worst_cause_on_the_line_that_failed() -> None:
    report = triage(DATA / "current.xml", baseline=DATA / "baseline.xml")
    lines = report.to_github().splitlines()
    assert lines[0] == f"::error title=netra-diag triage::{report.headline}"
    annotations = [_ANNOTATION.match(line) for line in lines[1:-1]]
    assert all(annotations), lines
    assert len(annotations) == MAX_ANNOTATIONS - 1  # the headline is the tenth error
    # One test of each cause, worst (biggest) cause first, before a second test of any.
    annotated = [m.group(3).split(": ", 1)[0] for m in annotations if m]
    assert annotated == [c.tests[0] for c in report.clusters[: MAX_ANNOTATIONS - 1]]
    assert lines[-1].startswith("::notice") and f"{24 - 9} more failing tests" in lines[-1]
    # The drifted helper's call, in the source pytest ran, is where its annotation points.
    first = annotations[0]
    assert first is not None and "expires_in_seconds" in first.group(3)
    source = (ROOT / first["file"]).read_text().splitlines()
    assert "create_real_jwt_token(" in source[int(first["line"]) - 1]


def _junit(path: Path, failures: list[tuple[str, str]]) -> Path:
    cases = "".join(
        f'<testcase classname="tests.test_x" name="{name}" file="tests/test_x.py" line="9">'
        f'<failure message="{message}">tests/test_x.py:{12 + n}: in {name}\n'
        f"E   {message}</failure></testcase>"
        for n, (name, message) in enumerate(failures)
    )
    path.write_text(f'<testsuite name="s">{cases}</testsuite>')
    return path


def test_commands_are_escaped_and_secrets_scrubbed(tmp_path: Path) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)
    path = _junit(tmp_path / "r.xml", [("test_a", f"AssertionError: rejected {token} at 100%")])
    out = triage(path).to_github()
    assert token not in out
    line = out.splitlines()[1]
    assert line.startswith("::error file=tests/test_x.py,line=12,title=")
    assert line.endswith("rejected <token> at <n>%25”. no §9 pattern matched")
    title = line.split(",title=", 1)[1].split("::", 1)[0]
    assert "," not in title and ":" not in title
    # The runner's escaping: a message cannot end the command early or start another.
    assert _data("a%b\r\n::error::x") == "a%25b%0D%0A::error::x"
    assert _property("x, y: z") == "x%2C y%3A z"


def test_all_tests_of_a_few_causes_are_annotated_within_the_limit(tmp_path: Path) -> None:
    failures = [(f"test_{n}", f"AssertionError: cause {'x' * (n % 3)}") for n in range(6)]
    out = triage(_junit(tmp_path / "r.xml", failures)).to_github().splitlines()
    errors = [line for line in out if line.startswith("::error file=")]
    assert len(errors) == 6 and not out[-1].startswith("::notice")
    # Round by round: a test of each of the three causes, then the second of each.
    tests = [re.findall(r"::test_(\d+): ", line)[0] for line in errors]
    assert tests == ["0", "1", "2", "3", "4", "5"]


def test_a_passing_run_gets_a_notice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ok.xml"
    path.write_text('<testsuite name="s"><testcase classname="k" name="a" time="0.2"/></testsuite>')
    assert main(["triage", str(path), "--format", "github"]) == ExitCode.OK
    assert capsys.readouterr().out.startswith(
        "::notice title=netra-diag triage::the one test passes"
    )


@pytest.mark.slow
def test_xunit2_annotations_point_at_the_line_that_failed(pyrun) -> None:  # type: ignore[no-untyped-def]
    # pytest's default JUnit family (xunit2) writes no file or line attribute: the module comes
    # from the classname, the line from the traceback, as for xunit1.
    def located(path: Path) -> list[str]:
        lines = triage(path).to_github(max_tests=50).splitlines()[1:]
        return [m["file"] + ":" + m["line"] for m in map(_ANNOTATION.match, lines) if m]

    from_xunit2, from_xunit1 = located(pyrun.xunit2), located(pyrun.xunit1)
    assert "case_collect_error.py:3" in from_xunit2  # a collection error: no classname
    assert set(from_xunit2) <= set(from_xunit1)
    # Only a strict xpass, which has no traceback, is left without a line.
    assert len(from_xunit2) >= len(from_xunit1) - 1


def test_warnings_are_warning_annotations(tmp_path: Path) -> None:
    # A baseline of another suite: text and Markdown list it under "Warnings"; so does GitHub.
    results = tmp_path / "junit.xml"
    results.write_text('<testsuite name="s"><testcase classname="k" name="a"/></testsuite>')
    lines = triage(results, baseline=DATA / "baseline.xml").to_github().splitlines()
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(warnings) == 1 and "the baseline shares no test with this run" in warnings[0]
