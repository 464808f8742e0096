"""A ``beforeAll`` that throws, in a real jest run (``tests/fixtures/suites/jest_qa/``
``before_all.test.js``, see the README there): jest fails each test of its describe with the
hook's error, whose stack shows jest-circus running the hook (``_callCircusHook``) from the
describe block (``_runTestsForDescribeBlockOnce``). No test body ran: the failure's phase is
"setup", in the JSON and in the jest-junit XML alike (it was none: "unknown" unless the message
told another)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from suite_runs import FIXTURES

from netra_diag.suites import parse_jest_json, parse_junit
from netra_diag.suites.categories import Category
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.phases import Phase, phase_of

QA = FIXTURES / "jest_qa"
IN_HOOK = ("with a live session sends a message", "with a live session receives a reply")


def _test_id(full: str) -> str:
    return f"{full}::{full}"


@pytest.mark.parametrize("name", ["qa.json", "qa.junit.xml"])
def test_tests_failed_by_a_before_all_failed_in_setup(name: str) -> None:
    run: SuiteRun = (parse_jest_json if name.endswith(".json") else parse_junit)(QA / name)
    for full in IN_HOOK:
        case = run.get(_test_id(full))
        assert case is not None and case.primary is not None
        assert case.primary.phase == "setup"
        # (the message says connect: that phase stands; with no such word, setup is said)
        assert phase_of(case, Category.INFRASTRUCTURE) is Phase.CONNECT
        plain = replace(
            case.primary,
            message="Error: boom",
            text="Error: boom\n"
            + "\n".join(
                line for line in case.primary.text.splitlines() if line.lstrip().startswith("at ")
            ),
        )
        assert phase_of(replace(case, problems=(plain,)), Category.OTHER) is Phase.SETUP
    # a test that failed in its own body has no phase from the runner
    own = run.get(_test_id(" handshake rejects bad subprotocol"))
    assert own is not None and own.primary is not None and own.primary.phase == ""
