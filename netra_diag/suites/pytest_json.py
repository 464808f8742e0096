"""Read pytest-json-report output (``pytest --json-report``) into a ``SuiteRun``.

Unlike JUnit, this format keeps each test's ``setup`` / ``call`` / ``teardown`` stage and tells
xfailed from xpassed, so counts match pytest's summary exactly, including "1 passed, 1 error" for a
test whose teardown raised after a passing call. Failed collectors (import errors at collection)
become one error each, as pytest counts them.

The file is read whole with ``json``: pytest-json reports are one JSON document, which the stdlib
cannot stream, and they stay far smaller than the JUnit of the same run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from math import isfinite
from typing import IO, Any

from netra_diag.errors import ReportParseError
from netra_diag.suites.json_file import read_json
from netra_diag.suites.model import (
    CaseRow,
    Outcome,
    Problem,
    ProblemKind,
    SuiteRun,
    TestCase,
    row_of,
    split_nodeid,
)
from netra_diag.suites.pytest_json_run import NEVER_AWAITED_PROPERTY
from netra_diag.suites.pytest_json_run import STAGES as _STAGES
from netra_diag.suites.pytest_json_run import from_xdist as _from_xdist
from netra_diag.suites.pytest_json_run import interrupted as _interrupted
from netra_diag.suites.pytest_json_run import mark_never_awaited as _mark_never_awaited
from netra_diag.suites.pytest_json_run import text_of as _text
from netra_diag.suites.run_order import start_from_epoch
from netra_diag.suites.xmlstream import clip_text
from netra_diag.wording import plural

__all__ = ["NEVER_AWAITED_PROPERTY", "parse_pytest_json", "parse_pytest_json_data"]

_SUBTESTS = re.compile(r"contains (\d+) failed subtests?$")

_FINAL = {o.value: o for o in Outcome}
_FINAL["error"] = Outcome.ERROR
# pytest-rerunfailures: a test that failed, was run again and then passed keeps the outcome
# "rerun" (json-report lets a later "passed" overwrite nothing); its stages are the last
# attempt's. pytest counts it "passed" (and the attempts "N rerun").
_RERUN = "rerun"
_FINAL[_RERUN] = Outcome.PASSED
_SUBTEST_WORD = "subtests "
_LOST_SUBTESTS = Problem(
    ProblemKind.FAILURE,
    message="failed in subtests, which pytest-json-report does not keep",
    phase="call",
)
_EARLIER_ATTEMPT = Problem(
    ProblemKind.FLAKY_FAILURE,
    message="failed on an earlier attempt, passed when run again (pytest-rerunfailures)",
)


def parse_pytest_json(
    source: str | os.PathLike[str] | IO[bytes] | IO[str], *, name: str | None = None
) -> SuiteRun:
    """Parse a pytest-json-report file (path or stream). Bad input raises ``ReportParseError``."""
    data, path = read_json(source, name)
    return parse_pytest_json_data(data, path=path)


def _field(obj: Any, key: str, kind: type, path: str, where: str) -> Any:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise ReportParseError(
            path, f"{where}: field {key!r} is {type(value).__name__}, expected {kind.__name__}"
        )
    return value


def parse_pytest_json_data(data: Any, *, path: str = "<json>") -> SuiteRun:
    """Build a ``SuiteRun`` from an already-decoded pytest-json-report document."""
    if not isinstance(data, Mapping) or ("tests" not in data and "collectors" not in data):
        hint = (
            " (a --json-report-summary report has no per-test results: run without it)"
            if isinstance(data, Mapping) and "summary" in data
            else ""
        )
        raise ReportParseError(path, f"not a pytest-json-report document (no 'tests' list){hint}")
    tests: Sequence[Any] = _field(data, "tests", list, path, "report")
    collectors: Sequence[Any] = _field(data, "collectors", list, path, "report")
    rows: list[CaseRow] = []
    details: dict[str, TestCase] = {}
    index_of: dict[str, int] = {}
    warnings: list[str] = []
    stopped = 0  # tests stopped by an interruption, which pytest does not count
    if "collectors" not in data and not _from_xdist(tests):
        # (under pytest-xdist json-report lists only the collectors that failed, if any)
        warnings.append(
            f"{path}: the report has no 'collectors' (written with --json-report-omit "
            "collectors?): modules that failed to import or skipped themselves, which pytest "
            "counts as errors and skips, are not in it"
        )
    for i, collector in enumerate(collectors):
        if not isinstance(collector, Mapping):
            continue
        if collector.get("outcome") == "skipped":
            # pytest.skip(allow_module_level=True): pytest counts the module "1 skipped" (its
            # JUnit a skipped testcase named after the module); json-report lists no test
            skipped = _collector_skipped(collector, i, path)
            index_of[skipped.test_id] = len(rows)
            rows.append(row_of(skipped))
            details[skipped.test_id] = skipped
            continue
        if collector.get("outcome") != "failed":
            continue
        nodeid = _text(collector.get("nodeid"))
        longrepr = _text(collector.get("longrepr"))
        case = _make_case(
            nodeid or f"<collector #{i}>",
            Outcome.ERROR,
            (Outcome.ERROR,),
            None,
            None,
            (
                Problem(
                    ProblemKind.ERROR,
                    type=_exception_type(longrepr),
                    message="collection failure",
                    text=clip_text(longrepr),
                    phase="collection",
                ),
            ),
            path,
        )
        index_of[case.test_id] = len(rows)
        rows.append(row_of(case))
        details[case.test_id] = case
    for i, test in enumerate(tests):
        if not isinstance(test, Mapping):
            raise ReportParseError(path, f"tests[{i}] is {type(test).__name__}, not an object")
        nodeid = _text(test.get("nodeid"))
        if not nodeid:
            raise ReportParseError(path, f"tests[{i}] has no nodeid")
        said = _text(test.get("outcome"))
        if said == "passed" and "call" not in test and "teardown" not in test:
            # The test pytest.exit or Ctrl-C stopped: json-report keeps its passed set-up as a
            # pass; pytest counts nothing for it.
            stopped += 1
            continue
        # pytest 9's subtests: json-report takes the word pytest's summary gives a passing
        # subtest ("subtests passed") for the test's outcome
        final = _FINAL.get(said.removeprefix(_SUBTEST_WORD))
        if final is None:
            raise ReportParseError(path, f"tests[{i}] ({nodeid}): unknown outcome {said!r}")
        problems: list[Problem] = []
        duration = 0.0
        stdout = stderr = ""
        stage_outcomes: dict[str, str] = {}
        for stage in _STAGES:
            info = test.get(stage)
            if not isinstance(info, Mapping):
                continue
            outcome = _text(info.get("outcome"))
            stage_outcomes[stage] = outcome
            d = info.get("duration")
            if isinstance(d, int | float) and not isinstance(d, bool) and isfinite(d) and d >= 0:
                duration += float(d)
            stdout += _text(info.get("stdout"))
            stderr += _text(info.get("stderr"))
            if outcome == "failed":
                crash = info.get("crash") if isinstance(info.get("crash"), Mapping) else {}
                message = _text(crash.get("message")) if crash else ""
                longrepr = _text(info.get("longrepr"))
                kind = ProblemKind.FAILURE if stage == "call" else ProblemKind.ERROR
                if final is Outcome.XPASSED or (stage == "call" and final is Outcome.XFAILED):
                    continue
                if not message and longrepr.strip():
                    message = longrepr.strip().splitlines()[-1]
                problems.append(
                    Problem(
                        kind,
                        type=_exception_type(message or longrepr),
                        message=clip_text(message, 4096),
                        text=clip_text(longrepr),
                        phase=stage,
                    )
                )
            elif outcome == "skipped" and final is Outcome.SKIPPED:
                problems.append(
                    Problem(
                        ProblemKind.SKIPPED,
                        message=_skip_reason(info.get("longrepr")),
                        phase=stage,
                    )
                )
        if final is Outcome.FAILED and not problems:
            # every stage passed: what failed were subtests, whose reports json-report keeps
            # nowhere (only this outcome, taken from them)
            problems.append(_LOST_SUBTESTS)
        # pytest counts reports, not tests: a call that passed or failed followed by a teardown
        # error is "1 passed, 1 error" / "1 failed, 1 error" (json-report calls both "error").
        counted: tuple[Outcome, ...] = (final,)
        torn = stage_outcomes.get("teardown")
        if torn == "failed":
            if stage_outcomes.get("call") == "passed":
                counted = (Outcome.PASSED, Outcome.ERROR)
            elif stage_outcomes.get("call") == "failed":
                final, counted = Outcome.FAILED, (Outcome.FAILED, Outcome.ERROR)
            elif stage_outcomes.get("setup") == "failed":
                counted = (Outcome.ERROR, Outcome.ERROR)  # pytest: "2 errors", one per report
        elif torn == "skipped" and final is Outcome.XFAILED:
            # an xfail test whose teardown raised: the xfail mark covers that report too, and
            # pytest counts it apart ("2 xfailed")
            counted = (Outcome.XFAILED, Outcome.XFAILED)
        if final is Outcome.FAILED:
            counted = _with_subtests(counted, problems)
        lineno = test.get("lineno")
        case = _make_case(
            nodeid,
            final,
            counted,
            duration if stage_outcomes else None,
            lineno + 1 if isinstance(lineno, int) and not isinstance(lineno, bool) else None,
            tuple(problems),
            path,
            stdout=clip_text(stdout),
            stderr=clip_text(stderr),
            properties=_properties(test.get("user_properties")),
            reruns=(_EARLIER_ATTEMPT,) if said == _RERUN and final is Outcome.PASSED else (),
        )
        if case.test_id in index_of:
            warnings.append(f"{path}: {nodeid} reported twice; keeping the last")
            rows[index_of[case.test_id]] = row_of(case)
        else:
            index_of[case.test_id] = len(rows)
            rows.append(row_of(case))
        details[case.test_id] = case
    _mark_never_awaited(data.get("warnings"), details)
    hidden = [
        case.test_id
        for case in details.values()
        if case.failing
        and any(_SUBTESTS.match(p.message) or p is _LOST_SUBTESTS for p in case.problems)
    ]
    if hidden:
        # pytest-json-report keeps no subtest reports: only pytest's "contains 1 failed
        # subtest" is left of why the test failed
        warnings.append(
            f"{path}: {plural(len(hidden), 'test')} failed in subtests, which pytest-json-report "
            f"does not keep (e.g. {hidden[0]}: only 'contains … failed subtests' is left): "
            "the JUnit report of the same run has each subtest's failure"
        )
    lost = [t for t in hidden if any(p is _LOST_SUBTESTS for p in details[t].problems)]
    if lost:
        # (unittest's subTest: not even "contains 2 failed subtests" says how many failed)
        each = " each" if len(lost) > 1 else ""
        warnings.append(
            f"{path}: {plural(len(lost), 'test')} (e.g. {lost[0]}) counted as one failure{each}: "
            "pytest counts each failed subtest, and the report does not say how many failed"
        )
    summary = data.get("summary")
    declared = (
        {k: v for k, v in summary.items() if isinstance(v, int) and not isinstance(v, bool)}
        if isinstance(summary, Mapping)
        else {}
    )
    interrupted = _interrupted(data, declared, stopped, len(tests) - stopped, rows)
    if interrupted:
        warnings.append(f"{path}: {interrupted}")
    return SuiteRun(
        rows=tuple(rows),
        details=details,
        sources=(path,),
        fmt="pytest-json",
        declared=declared,
        warnings=tuple(warnings),
        interrupted=interrupted,
        started=start_from_epoch(data.get("created"), data.get("duration")),
    )


_PYTEST_SUITE = "pytest"


def _with_subtests(counted: tuple[Outcome, ...], problems: list[Problem]) -> tuple[Outcome, ...]:
    """``counted`` with one "failed" more per failed subtest of a test that used pytest's
    ``subtests`` fixture: json-report keeps only the test's call, "contains 2 failed subtests",
    but pytest counts each subtest too ("3 failed"), as its JUnit report has them."""
    for p in problems:
        if p.phase == "call" and p.kind is ProblemKind.FAILURE:
            found = _SUBTESTS.match(p.message)
            if found is not None:
                return (Outcome.FAILED,) * int(found.group(1)) + counted
    return counted


def _collector_skipped(collector: Mapping[str, Any], index: int, path: str) -> TestCase:
    """The skipped test pytest counts for a module that skipped itself at collection."""
    nodeid = _text(collector.get("nodeid")) or f"<collector #{index}>"
    reason = _skip_reason(collector.get("longrepr"))
    return _make_case(
        nodeid,
        Outcome.SKIPPED,
        (Outcome.SKIPPED,),
        None,
        None,
        (Problem(ProblemKind.SKIPPED, message=reason, phase="collection"),),
        path,
    )


def _make_case(
    nodeid: str,
    outcome: Outcome,
    counted: tuple[Outcome, ...],
    duration: float | None,
    line: int | None,
    problems: tuple[Problem, ...],
    path: str,
    *,
    stdout: str = "",
    stderr: str = "",
    properties: tuple[tuple[str, str], ...] = (),
    reruns: tuple[Problem, ...] = (),
) -> TestCase:
    classname, name = split_nodeid(nodeid)
    file = nodeid.split("::", 1)[0]
    return TestCase(
        test_id=f"{classname}::{name}" if classname else name,
        name=name,
        classname=classname,
        # pytest's JUnit names its one suite "pytest": the same tests read from either report
        # (or from shards of both) then sit in the same suite
        suite=_PYTEST_SUITE,
        outcome=outcome,
        counted_as=counted,
        duration=duration,
        file=file if file.endswith(".py") else "",
        line=line,
        problems=problems,
        reruns=reruns,
        properties=properties,
        stdout=stdout,
        stderr=stderr,
        source=path,
        nodeid=nodeid,
    )


def _exception_type(text: str) -> str:
    """``TypeError`` from ``"TypeError: f() got..."`` or from a traceback's ``E   X: ...`` line."""
    for line in reversed(text.splitlines()):
        stripped = line.removeprefix("E").strip()
        head, sep, _ = stripped.partition(":")
        if sep and head and " " not in head and (head[0].isupper() or "." in head):
            return head
    return ""


def _skip_reason(longrepr: Any) -> str:
    # pytest-json stores a skip's longrepr as the repr of (path, line, "Skipped: reason").
    text = _text(longrepr)
    marker = "Skipped: "
    pos = text.find(marker)
    if pos >= 0:
        return text[pos + len(marker) :].rstrip("')\"")
    return text


def _properties(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    out: list[tuple[str, str]] = []
    for item in value:
        if isinstance(item, Mapping):
            out.extend((str(k), _text(v)) for k, v in item.items())
        elif isinstance(item, list | tuple) and len(item) == 2:
            out.append((str(item[0]), _text(item[1])))
    return tuple(out)
