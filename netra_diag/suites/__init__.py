"""Suite triage: JUnit, pytest-json-report and jest --json results to causes, diffs and honest
headlines.

Pure core: parsing takes paths or file objects; nothing here opens sockets or imports asyncio,
websockets or plotly.
"""

from __future__ import annotations

from netra_diag.suites.categories import Category, CategoryMatch, categorise, category_label
from netra_diag.suites.clusters import Cluster, cluster_failures
from netra_diag.suites.diff import DurationRegression, RunDiff, diff_runs
from netra_diag.suites.flaky import FlakinessReport, FlakyTest, assess_flakiness, load_history
from netra_diag.suites.jest_json import parse_jest_json
from netra_diag.suites.junit import parse_junit
from netra_diag.suites.links import Recording, find_recordings, read_cassette, sanitise_nodeid
from netra_diag.suites.merge import load_results, merge_runs, parse_results
from netra_diag.suites.model import (
    CaseRow,
    Counts,
    Outcome,
    Problem,
    ProblemKind,
    SuiteRun,
    TestCase,
    nodeid_to_test_id,
)
from netra_diag.suites.phases import Phase, phase_of
from netra_diag.suites.pytest_json import parse_pytest_json
from netra_diag.suites.remediation import SuiteStatus, suite_statuses
from netra_diag.suites.signatures import Signature, normalise_message, signature_of
from netra_diag.suites.triage import EVENTS_PROPERTY, Finding, TriageReport, triage
from netra_diag.suites.vacuous import VacuousKind, VacuousSignal, find_vacuous

__all__ = [
    "EVENTS_PROPERTY",
    "CaseRow",
    "Category",
    "CategoryMatch",
    "Cluster",
    "Counts",
    "DurationRegression",
    "Finding",
    "FlakinessReport",
    "FlakyTest",
    "Outcome",
    "Phase",
    "Problem",
    "ProblemKind",
    "Recording",
    "RunDiff",
    "Signature",
    "SuiteRun",
    "SuiteStatus",
    "TestCase",
    "TriageReport",
    "VacuousKind",
    "VacuousSignal",
    "assess_flakiness",
    "categorise",
    "category_label",
    "cluster_failures",
    "diff_runs",
    "find_recordings",
    "find_vacuous",
    "load_history",
    "load_results",
    "merge_runs",
    "nodeid_to_test_id",
    "normalise_message",
    "parse_jest_json",
    "parse_junit",
    "parse_pytest_json",
    "parse_results",
    "phase_of",
    "read_cassette",
    "sanitise_nodeid",
    "signature_of",
    "suite_statuses",
    "triage",
]
