"""One test over several parameters whose messages name the parameter without quotes ("header
rejected: token expired") is one cluster too; a message that differs in more than the value,
another test function, or a value found only inside a word still tells causes apart.

The suite below is run for real (pytest, JUnit and pytest-json-report when installed): the
failures are raised in the code under test (``transports.py``), so that they share a frame.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runs import has_json_report, run_case_module

from netra_diag.suites import Cluster, triage
from netra_diag.suites.cluster_params import parameter_merges
from netra_diag.suites.model import TestCase
from netra_diag.suites.signatures import Signature
from netra_diag.suites.triage import TriageReport

TRANSPORTS = """
REASONS = {
    "header": "token expired",
    "query": "token expired",
    "cookie": "token expired",
    "ticket": "bad signature",
    "legacy": "token expired",
}


def connect(transport):
    raise ValueError(f"{transport} rejected: {REASONS[transport]}")


def wait_for(event):
    raise TimeoutError(f"no {event} within the deadline")
"""
SUITE = """
import pytest

from transports import connect, wait_for


@pytest.mark.parametrize("transport", ["header", "query", "ticket", "cookie"])
def test_transport(transport):
    connect(transport)


def test_legacy():
    connect("legacy")


@pytest.mark.parametrize("event", ["agent_started", "tool_executing"])
def test_event_arrives(event):
    wait_for(event)
"""
TRANSPORT = "case_pool::test_transport"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    src = tmp_path_factory.mktemp("unquoted-parameters")
    (src / "transports.py").write_text(TRANSPORTS, encoding="utf-8")
    extra = ["--json-report", "--json-report-omit=log", f"--json-report-file={src / 'r.json'}"]
    json_args = extra if has_json_report() else []
    stdout = run_case_module(src, "pool", SUITE, f"--junitxml={src / 'junit.xml'}", *json_args)
    assert "7 failed" in stdout, stdout
    return [src / "junit.xml"] + ([src / "r.json"] if json_args else [])


def _of(report: TriageReport, test_id: str) -> Cluster:
    (cluster,) = [c for c in report.clusters if test_id in c.tests]
    return cluster


def test_a_parameter_named_unquoted_is_one_cluster(reports: list[Path]) -> None:
    for path in reports:
        report = triage(path)
        cluster = _of(report, f"{TRANSPORT}[header]")
        assert cluster.tests == tuple(f"{TRANSPORT}[{t}]" for t in ("header", "query", "cookie"))
        assert cluster.signature.message == "<param> rejected: token expired", path.name
        assert cluster.parameters.startswith("one test over 3 parameters ('header', 'query',")
        events = _of(report, "case_pool::test_event_arrives[agent_started]")
        assert events.size == 2
        assert events.signature.message == "no <param> within the deadline"
        assert len(report.clusters) == 4  # transports, ticket, legacy, events


def test_another_cause_or_another_test_function_stays_apart(reports: list[Path]) -> None:
    for path in reports:
        report = triage(path)
        ticket = _of(report, f"{TRANSPORT}[ticket]")  # the value, and another reason
        assert ticket.tests == (f"{TRANSPORT}[ticket]",), path.name
        assert ticket.signature.message == "ticket rejected: bad signature"
        legacy = _of(report, "case_pool::test_legacy")  # the same words, no parameter
        assert legacy.tests == ("case_pool::test_legacy",)
        assert legacy.parameters == ""


def _merges(*failures: tuple[str, str]) -> list[tuple[tuple[str, ...], str]]:
    """The merges of one group per (test id, message), all raised in one frame: each merge's
    tests and message."""
    groups: dict[str, list[TestCase]] = {}
    sigs: dict[str, Signature] = {}
    for test_id, message in failures:
        sig = Signature("ValueError", message, "transports.py:5")
        groups.setdefault(sig.key, []).append(TestCase(test_id, test_id.split("::")[-1]))
        sigs[sig.key] = sig
    return [
        (tuple(c.test_id for k in m.keys for c in groups[k]), m.signature.message)
        for m in parameter_merges(groups, sigs)
    ]


def test_one_value_of_several_parameters_unquoted() -> None:
    merges = _merges(
        ("m::t[header-1]", "no transport header"), ("m::t[query-2]", "no transport query")
    )
    assert merges == [(("m::t[header-1]", "m::t[query-2]"), "no transport <param>")]


def test_a_value_inside_a_word_is_not_the_parameter() -> None:
    # "head" is in "header" and "foot" in "footer", but neither is a word of its message
    assert _merges(("m::t[head]", "header missing"), ("m::t[foot]", "footer missing")) == []


def test_a_value_of_one_letter_is_not_looked_for_unquoted() -> None:
    # "a" and "b" are words of too many messages to be taken for the parameter
    assert _merges(("m::t[a]", "expected a reply"), ("m::t[b]", "expected b reply")) == []
    quoted = _merges(("m::t[a]", "expected 'a' reply"), ("m::t[b]", "expected 'b' reply"))
    assert quoted == [(("m::t[a]", "m::t[b]"), "expected '<param>' reply")]


def test_messages_that_differ_in_more_than_the_value_stay_apart() -> None:
    assert (
        _merges(
            ("m::t[header]", "header rejected: token expired"),
            ("m::t[query]", "query rejected: bad signature"),
        )
        == []
    )
    # each names its value, and one more word differs
    assert _merges(("m::t[header]", "header for alice"), ("m::t[query]", "query for bob")) == []


def test_a_value_like_a_placeholder_is_not_taken_out_of_one() -> None:
    # the signature's own "<param>"-like placeholders are no word of the message to mask
    merges = _merges(("m::t[uuid]", "uuid lost: <uuid>"), ("m::t[user]", "user lost: <uuid>"))
    assert merges == [(("m::t[uuid]", "m::t[user]"), "<param> lost: <uuid>")]
