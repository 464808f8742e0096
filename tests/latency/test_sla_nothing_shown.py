"""An SLA whose checks are all optional and none had data showed nothing: its verdict is
NOT VERIFIED, not "PASS — 0 of 1 checks pass"."""

from __future__ import annotations

import pandas as pd

from netra_diag.latency import evaluate_sla, parse_sla

OPTIONAL = """\
[[check]]
phase = "reconnect"
statistic = "max"
comparison = "<"
threshold = "5 s"
required = false
"""


def test_nothing_passed_is_not_a_pass() -> None:
    rows = pd.DataFrame({"phase": ["connect"] * 3, "value_ms": [10.0, 11.0, 12.0], "ok": True})
    report = evaluate_sla(parse_sla(OPTIONAL), rows)
    assert report.verdict == "NOT VERIFIED" and not report.passed
    assert report.headline.startswith("SLA '<string>': NOT VERIFIED — 0 of 1 checks pass")


def test_an_optional_pass_still_passes() -> None:
    rows = pd.DataFrame({"phase": ["reconnect"] * 3, "value_ms": [10.0, 11.0, 12.0], "ok": True})
    report = evaluate_sla(parse_sla(OPTIONAL), rows)
    assert report.verdict == "PASS" and report.passed
