"""What the headline leads with when two causes are as large: the one a §9 category names."""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import triage


def _case(module: str, name: str, message: str) -> str:
    return (
        f'<testcase classname="{module}" name="{name}" time="0.01"><failure message="{message}">'
        f"E   {message}\n\n{module}.py:5: AssertionError</failure></testcase>"
    )


def test_a_named_cause_leads_an_uncategorised_one_of_the_same_size(tmp_path: Path) -> None:
    drift = (
        "TypeError: create_real_jwt_token() got an unexpected keyword argument 'expires_in_seconds'"
    )
    cases = [
        _case("test_params", f"test_value[{i}]", "AssertionError: assert 3 == 4") for i in "ab"
    ]
    cases += [_case("test_tokens", f"test_token[{i}]", drift) for i in "ab"]
    results = tmp_path / "junit.xml"
    results.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" tests="4">'
        + "".join(cases)
        + "</testsuite></testsuites>"
    )
    report = triage(results)
    assert len([c for c in report.clusters if c.size == 2]) == 2
    assert "2 failures are one cause (token helper signature drift)" in report.headline
    assert "uncategorised" not in report.headline
