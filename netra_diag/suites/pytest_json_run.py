"""What a pytest-json-report document says of its run as a whole, apart from each test's
record (``pytest_json``): how the run ended (interrupted, stopped early), whether
pytest-xdist's workers ran it, and which tests its warnings say never awaited their coroutine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from netra_diag.suites.model import CaseRow, TestCase

__all__ = [
    "NEVER_AWAITED_PROPERTY",
    "STAGES",
    "from_xdist",
    "interrupted",
    "mark_never_awaited",
    "text_of",
]

# The property a test gets when the run warned that its coroutine was never awaited.
NEVER_AWAITED_PROPERTY = "netra_never_awaited"

STAGES = ("setup", "call", "teardown")


def text_of(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


# pytest's exit codes for a run that did not end by itself (ExitCode.INTERRUPTED, INTERNAL_ERROR)
_STOPPED_BY = {2: "the run was interrupted", 3: "pytest stopped on an internal error"}


def interrupted(
    data: Mapping[str, Any],
    declared: Mapping[str, int],
    stopped: int,
    counted: int,
    rows: Sequence[CaseRow],
) -> str:
    """``SuiteRun.interrupted`` of a report: what stopped the run, and how many of the tests
    pytest collected did not run; "" for a run that ended by itself."""
    code = data.get("exitcode")
    said = _STOPPED_BY.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
    collected = declared.get("collected", 0) - declared.get("deselected", 0)
    missing = collected - counted
    if said is None:
        if not stopped:
            if code == 1 and missing > 0:
                # "stopping after 1 failures": the pass rate is of the tests that ran first
                return (
                    f"the run stopped early (-x or --maxfail): {missing} of {collected} "
                    "collected tests did not run"
                )
            return ""
        said = "the run was interrupted"
    elif not stopped and not counted and rows:
        # "Interrupted: 2 errors during collection": pytest runs no test after a collection
        # error (the triage says that nothing ran, and why)
        return ""
    if code == 2:
        said += " (pytest.exit, Ctrl-C or a signal)"
    if missing > 0:
        return f"{said}: {missing} of {collected} collected tests did not run"
    if stopped:
        return f"{said}: the test it stopped in has no result"
    return said


# What pytest-xdist's reports say of the worker that ran a stage: "[gw1] linux -- Python 3.11.7
# /usr/bin/python", json-report keeps it as a passing stage's longrepr.
_XDIST_WORKER = re.compile(r"\[gw\d+\] \S+ -- Python ")


def from_xdist(tests: Sequence[Any]) -> bool:
    """Whether pytest-xdist's workers ran the tests of a report (its first few say so)."""
    for test in tests[:8]:
        if not isinstance(test, Mapping):
            continue
        for stage in STAGES:
            info = test.get(stage)
            if isinstance(info, Mapping) and _XDIST_WORKER.match(text_of(info.get("longrepr"))):
                return True
    return False


# The warning the test run gave for a test whose body is a coroutine nobody awaited: a unittest
# TestCase's "async def test_x" under pytest without IsolatedAsyncioTestCase (PROTOCOL.md §9.4).
# Its test "passed" without running a line of its body (§9.9). pytest-json-report keeps the
# run's warnings apart from the tests, named by the coroutine's qualified name.
_NEVER_AWAITED = re.compile(r"coroutine '(?P<qualname>[\w.<>]+)' was never awaited")


def mark_never_awaited(warnings: Any, details: dict[str, TestCase]) -> None:
    """Give each test a never-awaited warning names the property ``NEVER_AWAITED_PROPERTY``."""
    if not isinstance(warnings, list):
        return
    names: dict[str, str] = {}
    for warning in warnings:
        message = text_of(warning.get("message")) if isinstance(warning, Mapping) else ""
        match = _NEVER_AWAITED.search(message)
        if match is not None:
            names.setdefault(match.group("qualname"), message)
    if not names:
        return
    for test_id, case in list(details.items()):
        # "TestLegacy.test_coro" for tests/test_ws.py::TestLegacy::test_coro
        plain = case.name.partition("[")[0]
        owner = case.classname.rsplit(".", 1)[-1] if case.nodeid.count("::") > 1 else ""
        said = names.get(f"{owner}.{plain}" if owner else plain)
        if said is not None:
            details[test_id] = replace(
                case, properties=(*case.properties, (NEVER_AWAITED_PROPERTY, said))
            )
