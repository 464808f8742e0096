"""jest's matcher hint ("expect(received).toBe(expected) // Object.is equality") is the first line
of every expect() failure: it names the matcher, not what failed. Two unrelated failures that
share it are two causes, told apart by the test's own line, as pytest's "assert <n> == <n>" is
(tests/fixtures/suites/jest_qa, made by jest 30.5.2)."""

from __future__ import annotations

from suite_runs import FIXTURES

from netra_diag.suites import triage
from netra_diag.suites.model import Problem, ProblemKind
from netra_diag.suites.signatures import problem_signature

QA = FIXTURES / "jest_qa"


def test_unrelated_failures_with_one_matcher_are_two_causes() -> None:
    report = triage(QA / "qa.json")
    to_be = [c for c in report.clusters if "toBe(expected) // Object.is equality" in c.because]
    assert sorted(c.size for c in to_be) == [1, 1], [c.because for c in to_be]
    assert {c.suites for c in to_be} == {
        ("__tests__/params.test.js",),
        ("__tests__/retry.test.js",),
    }


def test_a_matcher_hint_with_a_frame_under_test_keeps_that_frame() -> None:
    text = (
        "Error: expect(received).toBe(expected) // Object.is equality\n\n"
        "    at connect (src/client.js:12:5)\n"
        "    at Object.<anonymous> (__tests__/a.test.js:3:1)\n"
    )
    problem = Problem(ProblemKind.FAILURE, "Error", text.splitlines()[0], text)
    assert problem_signature(problem, "a::t").frame == "src/client.js:connect"
