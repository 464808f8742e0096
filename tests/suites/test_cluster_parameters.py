"""One test over several parameters, failing with a message that quotes its parameter, is one
cluster; a quoted name that is not the parameter, or another test function, still tells causes
apart.

The suite below is run for real (pytest, JUnit and pytest-json-report when installed): the
failures are raised in the code under test (``transports.py``), so that they share a frame.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_runs import has_json_report, run_case_module

from netra_diag.suites import Cluster, triage
from netra_diag.suites.cluster_params import parameter_merges, split_parameter
from netra_diag.suites.model import TestCase
from netra_diag.suites.signatures import Signature
from netra_diag.suites.triage import TriageReport

TRANSPORTS = """
def connect(transport, **options):
    if options:
        raise TypeError(f"connect() got an unexpected keyword argument {next(iter(options))!r}")
    raise ValueError(f"unknown transport {transport!r}")
"""
SUITE = """
import pytest

from transports import connect


@pytest.mark.parametrize("transport", ["header", "query", "ticket", "cookie"])
def test_transport(transport):
    connect(transport)


def test_alpha():
    connect("alpha")


def test_beta():
    connect("beta")


@pytest.mark.parametrize("option", ["expires_in_seconds", "ttl"], ids=["long", "short"])
def test_options(option):
    connect("header", **{option: 60})
"""
TRANSPORT = "case_pool::test_transport"
MERGED = (
    "one test over 4 parameters ('header', 'query', 'ticket', +1 more), messages differ only in "
    "the parameter"
)


@pytest.fixture(scope="module")
def param_reports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    src = tmp_path_factory.mktemp("parameters")
    (src / "transports.py").write_text(TRANSPORTS, encoding="utf-8")
    extra = ["--json-report", f"--json-report-file={src / 'report.json'}"]
    json_args = extra if has_json_report() else []
    stdout = run_case_module(src, "pool", SUITE, f"--junitxml={src / 'junit.xml'}", *json_args)
    assert "8 failed" in stdout, stdout
    return [src / "junit.xml"] + ([src / "report.json"] if json_args else [])


def _of(report: TriageReport, test_id: str) -> Cluster:
    (cluster,) = [c for c in report.clusters if test_id in c.tests]
    return cluster


def test_one_test_over_four_parameters_is_one_cluster(param_reports: list[Path]) -> None:
    for path in param_reports:
        report = triage(path)
        cluster = _of(report, f"{TRANSPORT}[header]")
        assert cluster.tests == tuple(
            f"{TRANSPORT}[{t}]" for t in ("header", "query", "ticket", "cookie")
        ), path.name
        assert cluster.representative == f"{TRANSPORT}[header]"
        assert cluster.signature.message == "unknown transport '<param>'"
        assert cluster.signature.frame.startswith("transports.py:")
        assert cluster.because == (
            "grouped because same ValueError with message “unknown transport '<param>'”, "
            f"raised in {cluster.signature.frame}; {MERGED}"
        )
        assert cluster.counted == 4
        assert "4 failures are one cause" in report.headline


def test_other_test_functions_quoting_their_own_value_are_not_merged(
    param_reports: list[Path],
) -> None:
    for path in param_reports:
        report = triage(path)
        alpha, beta = _of(report, "case_pool::test_alpha"), _of(report, "case_pool::test_beta")
        assert alpha.tests == ("case_pool::test_alpha",), path.name
        assert beta.tests == ("case_pool::test_beta",)
        assert alpha.parameters == beta.parameters == ""


def test_a_quoted_name_that_is_not_the_parameter_still_tells_causes_apart(
    param_reports: list[Path],
) -> None:
    # "long" and "short" are the parameters; the keywords the messages quote are two causes
    for path in param_reports:
        report = triage(path)
        long, short = (_of(report, f"case_pool::test_options[{p}]") for p in ("long", "short"))
        assert long is not short, path.name
        assert long.size == short.size == 1
        assert long.signature.message.endswith("'expires_in_seconds'")


def test_every_rendering_says_why_the_parameters_are_one_cluster(
    param_reports: list[Path],
) -> None:
    report = triage(param_reports[0])
    assert sum(c.counted for c in report.clusters) == 8
    text = report.to_text()
    assert "Causes: 5 clusters of 8 failing tests" in text
    assert "4× uncategorised" in text
    assert MERGED in text
    markdown = report.to_markdown()
    (row,) = [line for line in markdown.splitlines() if "one test over 4" in line]
    assert row.startswith("| 1 | 4 |")
    data = report.to_dict()
    (merged,) = [c for c in data["clusters"] if c["size"] == 4]
    assert merged["message"] == "unknown transport '<param>'"
    assert MERGED in merged["because"]
    json.dumps(data)
    assert MERGED in report.to_github()


@pytest.mark.parametrize(
    ("test_id", "split"),
    [
        ("m::test_x[a-b]", ("m::test_x", "a-b")),
        ("m.C::test_x[a::b[1]]", ("m.C::test_x", "a::b[1]")),
        ("m::test_x", None),
        ("m::test_x #2", None),
        ("[a]", None),
    ],
)
def test_split_parameter(test_id: str, split: tuple[str, str] | None) -> None:
    assert split_parameter(test_id) == split


def _groups(*failures: tuple[str, str]) -> tuple[dict[str, list[TestCase]], dict[str, Signature]]:
    """One group per (test id, message), as signing would make them, all raised in one frame."""
    groups: dict[str, list[TestCase]] = {}
    sigs: dict[str, Signature] = {}
    for test_id, message in failures:
        sig = Signature("ValueError", message, "transports.py:5")
        groups.setdefault(sig.key, []).append(TestCase(test_id, test_id.split("::")[-1]))
        sigs[sig.key] = sig
    return groups, sigs


def test_one_value_of_several_parameters_is_the_one_the_message_quotes() -> None:
    # pytest joins the values of several parameters with "-" into one id
    groups, sigs = _groups(
        ("m::test_x[header-1]", "unknown transport 'header'"),
        ("m::test_x[query-2]", "unknown transport 'query'"),
    )
    (merge,) = parameter_merges(groups, sigs)
    assert merge.keys == tuple(sigs)
    assert merge.signature.message == "unknown transport '<param>'"
    assert merge.words.startswith("one test over 2 parameters ('header-1', 'query-2')")


def test_messages_that_differ_in_more_than_the_parameter_stay_apart() -> None:
    groups, sigs = _groups(
        ("m::test_x[header]", "unknown transport 'header' for 'alice'"),
        ("m::test_x[query]", "unknown transport 'query' for 'bob'"),
    )
    assert parameter_merges(groups, sigs) == []


def test_another_frame_or_exception_type_stays_apart() -> None:
    groups, sigs = _groups(
        ("m::test_x[header]", "unknown transport 'header'"),
        ("m::test_x[query]", "unknown transport 'query'"),
    )
    _, second = sigs
    sigs[second] = Signature("ValueError", "unknown transport 'query'", "transports.py:9")
    assert parameter_merges(groups, sigs) == []
    sigs[second] = Signature("KeyError", "unknown transport 'query'", "transports.py:5")
    assert parameter_merges(groups, sigs) == []
