"""SLA files: parsing with errors that name the line and field, and evaluation that never calls
missing data a pass."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_diag.errors import ConfigFileError, UsageError
from netra_diag.latency import CheckStatus, Dimension, evaluate_sla, load_sla, parse_sla
from netra_diag.latency.units import parse_quantity

GOOD = """\
name = "demo"

[[check]]
id = "lat"
phase = "event_latency"
statistic = "p95"
comparison = "<"
threshold = "100 ms"
"""


def test_builtin_files_carry_the_protocol_numbers() -> None:
    service = {c.id: c for c in load_sla("service").checks}
    assert service["event-latency-p95"].rule == "p95 < 100 ms"
    assert service["event-latency-max"].threshold == 200.0
    assert service["event-throughput"].rule == "rate > 50 /s"
    assert service["event-throughput"].burst == 20
    assert service["reconnect-mean"].threshold == 3000.0
    assert service["reconnect-max"].threshold == 4500.0
    assert service["reconnect-success"].threshold == pytest.approx(0.75)
    assert service["run-total-max"].threshold == 60_000.0
    assert service["first-frame-max"].threshold == 45_000.0
    assert service["connect-max"].threshold == 5000.0
    remediation = {c.id: c for c in load_sla("remediation").checks}
    assert remediation["suite-duration"].threshold == 60_000.0
    assert remediation["auth-flow"].threshold == 10_000.0
    assert remediation["connect-success"].rule == "success_rate > 90 %"
    assert remediation["memory-peak"].dimension is Dimension.MEMORY
    assert remediation["memory-peak"].threshold == 500e6


def test_percentile_and_unit_spellings(tmp_path: Path) -> None:
    text = GOOD.replace('statistic = "p95"', "percentile = 99.9").replace(
        'threshold = "100 ms"', 'threshold = 0.25\nunit = "s"\nsustained = "1 min"'
    )
    path = tmp_path / "x.toml"
    path.write_text(text, encoding="utf-8")
    check = load_sla(path).checks[0]
    assert (check.statistic, check.quantile, check.threshold) == ("p99.9", 0.999, 250.0)
    assert check.sustained_ms == 60_000.0 and check.line == 3
    assert parse_quantity("512 KiB").value == 512 * 1024
    assert parse_quantity("75%").dimension is Dimension.FRACTION


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        (GOOD.replace('threshold = "100 ms"', "threshold = ms"), 8, "threshold", "TOML syntax"),
        (GOOD.replace("statistic", "statistik"), 6, "statistik", "did you mean 'statistic'"),
        (GOOD.replace('"p95"', '"p101"'), 6, "statistic", "unknown statistic"),
        (GOOD.replace('"100 ms"', '"100 parsecs"'), 8, "threshold", "unknown unit"),
        (GOOD.replace('"100 ms"', '"50 /s"'), 8, "threshold", "needs a duration"),
        (GOOD.replace('comparison = "<"', 'comparison = "=<"'), 7, "comparison", "must be one of"),
        (GOOD.replace('threshold = "100 ms"\n', ""), 3, "threshold", "missing"),
        (
            GOOD + '\n[[check]]\nid = "lat"\nphase = "connect"\nstatistic = "max"\n'
            'comparison = "<"\nthreshold = "1 s"\n',
            11,
            "id",
            "duplicate check id",
        ),
        (GOOD.replace('name = "demo"', 'nmae = "demo"'), 1, "nmae", "did you mean 'name'"),
        (GOOD + 'required = "yes"\n', 9, "required", "true or false"),
        (GOOD + "burst = 5\n", 9, "burst", "only applies"),
        (GOOD + 'sustained = "5 MB"\n', 9, "sustained", "positive duration"),
        ('name = "x"\n', None, "check", "no [[check]]"),
        # A misspelt phase matched no row and read as "no data" (a pass with --allow-missing).
        (
            GOOD.replace('"event_latency"', '"nope"'),
            5,
            "phase",
            "unknown phase 'nope' (known: connect, auth,",
        ),
        (
            GOOD.replace('"event_latency"', '"event_latncy"'),
            5,
            "phase",
            "did you mean 'event_latency'?",
        ),
        (GOOD.replace('"100 ms"', '"-5 s"'), 8, "threshold", "must not be negative, got '-5 s'"),
        (GOOD.replace('"100 ms"', '-1\nunit = "ms"'), 8, "threshold", "must not be negative"),
    ],
)
def test_bad_files_name_the_line_and_field(
    tmp_path: Path, text: str, line: int | None, field: str, words: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as info:
        load_sla(path)
    err = info.value
    assert (err.line, err.field) == (line, field), str(err)
    assert words in str(err)
    where = f"{path}:{line}:" if line else f"{path}:"
    assert str(err).startswith(where)


def test_any_phase_name_when_asked(tmp_path: Path) -> None:
    text = GOOD.replace('"event_latency"', '"suite_memory"')
    assert parse_sla(text, phases=None).checks[0].phase == "suite_memory"
    path = tmp_path / "own.toml"
    path.write_text(text, encoding="utf-8")
    assert load_sla(path, phases=("suite_memory",)).checks[0].phase == "suite_memory"


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read"):
        load_sla(tmp_path / "missing.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "x"\n# caf\xe9\n')
    with pytest.raises(ConfigFileError) as info:
        load_sla(path)
    assert info.value.line == 2


@given(st.text(max_size=300))
def test_any_text_gives_a_spec_or_a_config_error(text: str) -> None:
    with contextlib.suppress(ConfigFileError):
        parse_sla(text)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "phase",
                "statistic",
                "percentile",
                "comparison",
                "threshold",
                "unit",
                "sustained",
                "required",
                "burst",
                "source",
                "min_samples",
                "where",
                "id",
                "metric",
            ]
        ),
        st.sampled_from(
            [
                '"p95"',
                '"max"',
                '"rate"',
                "95",
                '"<"',
                '"100 ms"',
                '"5 %"',
                "true",
                "20",
                "-1",
                '"client"',
                '{ tool = "x" }',
                '"x"',
                "1e400",
                '"0.5"',
                "[1]",
            ]
        ),
    )
)
def test_any_check_table_gives_a_spec_or_an_error_with_its_line(fields: dict[str, str]) -> None:
    text = "[[check]]\n" + "".join(f"{k} = {v}\n" for k, v in fields.items())
    try:
        spec = parse_sla(text)
    except ConfigFileError as exc:
        keys = list(fields)
        if exc.field in keys:
            assert exc.line == keys.index(exc.field) + 2, str(exc)  # the key's own line
        else:
            assert exc.line == 1, str(exc)  # a missing key: the [[check]] header
        return
    assert spec.checks[0].line == 1


# -- evaluation ---------------------------------------------------------------------------------


def metrics(phase: str, values: list[float] | np.ndarray, **extra: object) -> pd.DataFrame:
    vals = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {
            "run": "r",
            "user": "u",
            "phase": phase,
            "value_ms": vals,
            "source": "client",
            "ok": np.isfinite(vals),
            "cassette": "c",
            "t_ms": np.arange(vals.size) * 1000.0,
            "wall": 1e9 + np.arange(vals.size),
            **extra,
        }
    )


def spec(*lines: str) -> str:
    out = []
    for i, body in enumerate(lines):
        out.append(f'[[check]]\nid = "c{i}"\n{body}\n')
    return "\n".join(out)


def test_pass_fail_and_no_data() -> None:
    rng = np.random.default_rng(1)
    m = pd.concat(
        [
            metrics("event_latency", rng.exponential(10, 2000)),
            metrics("connect", [20.0, 30.0, 7000.0]),
        ]
    )
    s = parse_sla(
        spec(
            'phase = "event_latency"\nstatistic = "p95"\ncomparison = "<"\nthreshold = "100 ms"',
            'phase = "connect"\nstatistic = "max"\ncomparison = "<"\nthreshold = "5 s"',
            'phase = "reconnect"\nstatistic = "mean"\ncomparison = "<="\nthreshold = "3 s"',
        )
    )
    report = evaluate_sla(s, m)
    status = [r.status for r in report.results]
    assert status == [CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.NO_DATA]
    first = report.results[0]
    assert first.reliable and first.conclusive and first.ci_low < first.observed < first.ci_high
    assert report.results[1].observed == 7000.0
    assert not report.passed and report.breached
    assert "BREACH" in report.headline and "1 fail (c1: max 7 s, limit < 5 s)" in report.headline
    frame = report.to_frame()
    assert frame["status"].tolist() == ["pass", "fail", "no data"]
    assert frame.loc[0, "unit"] == "ms"
    assert "no reconnect measurements" in str(frame.loc[2, "note"])


def test_missing_data_is_never_a_pass() -> None:
    report = evaluate_sla(load_sla("remediation"), metrics("connect", [10.0] * 20))
    by_id = {r.check.id: r for r in report.results}
    assert by_id["memory-peak"].status is CheckStatus.NO_DATA
    assert "--context memory_peak" in by_id["memory-peak"].note
    assert by_id["auth-flow"].status is CheckStatus.NO_DATA
    assert not report.passed and not report.breached
    assert "NOT VERIFIED" in report.headline


def test_context_supplies_what_recordings_cannot() -> None:
    m = pd.concat([metrics("connect", [10.0] * 20), metrics("time_to_established", [20.0] * 20)])
    ctx = {"memory_peak": "229.5 MB", "suite_duration": "113 s"}
    report = evaluate_sla(load_sla("remediation"), m, context=ctx)
    by_id = {r.check.id: r for r in report.results}
    assert by_id["memory-peak"].status is CheckStatus.PASS
    assert by_id["memory-peak"].observed_text() == "229.5 MB" and by_id["memory-peak"].reliable
    assert by_id["suite-duration"].status is CheckStatus.FAIL  # optional, so no breach
    assert report.passed and not report.breached
    with pytest.raises(UsageError, match="is a time, but check 'memory-peak'"):
        evaluate_sla(load_sla("remediation"), m, context={"memory_peak": "3 s"})


def test_success_rate_from_failed_attempts_and_from_context() -> None:
    vals = [10.0] * 8 + [math.nan] * 2  # 8 of 10 connects upgraded
    s = parse_sla(
        spec(
            'phase = "connect"\nstatistic = "success_rate"\ncomparison = ">"\nthreshold = "90 %"',
            'phase = "suite"\nstatistic = "success_rate"\ncomparison = ">="\nthreshold = 0.9',
        ),
        phases=None,
    )
    report = evaluate_sla(s, metrics("connect", vals), context={"suite": "1/4"})
    connect, suite = report.results
    assert connect.status is CheckStatus.FAIL and connect.observed == pytest.approx(0.8)
    assert connect.n == 10 and connect.ci_low < 0.8 < connect.ci_high
    assert suite.status is CheckStatus.FAIL and suite.observed == 0.25 and suite.n == 4


def test_burst_rate_is_the_peak_over_consecutive_gaps() -> None:
    gaps = [100.0] * 30 + [10.0] * 19 + [100.0] * 30  # one burst of 20 events 10 ms apart
    s = parse_sla(
        spec(
            'phase = "event_gap"\nstatistic = "rate"\nburst = 20\n'
            'comparison = ">"\nthreshold = "50 /s"'
        )
    )
    result = evaluate_sla(s, metrics("event_gap", gaps)).results[0]
    assert result.status is CheckStatus.PASS and result.observed == pytest.approx(100.0)
    slow = evaluate_sla(s, metrics("event_gap", [100.0] * 40)).results[0]
    assert slow.status is CheckStatus.FAIL and slow.observed == pytest.approx(10.0)
    short = evaluate_sla(s, metrics("event_gap", [1.0] * 5)).results[0]
    assert short.status is CheckStatus.NO_DATA and "20 consecutive events" in short.note


def test_sustained_window_reports_the_worst_window() -> None:
    vals = [10.0] * 120 + [500.0] * 60 + [10.0] * 120  # one bad minute, 1 sample per second
    s = parse_sla(
        spec(
            'phase = "x"\nstatistic = "p50"\ncomparison = "<"\nthreshold = "100 ms"\n'
            'sustained = "60 s"'
        ),
        phases=None,
    )
    overall = parse_sla(
        spec('phase = "x"\nstatistic = "p50"\ncomparison = "<"\nthreshold = "100 ms"'),
        phases=None,
    )
    m = metrics("x", vals)
    assert evaluate_sla(overall, m).results[0].status is CheckStatus.PASS
    windowed = evaluate_sla(s, m).results[0]
    assert windowed.status is CheckStatus.FAIL and windowed.observed == 500.0
    assert "worst of 5 windows of 60 s, at +120 s" in windowed.note


def test_a_pass_on_few_samples_says_so() -> None:
    s = parse_sla(
        spec('phase = "x"\nstatistic = "p99"\ncomparison = "<"\nthreshold = "100 ms"'),
        phases=None,
    )
    result = evaluate_sla(s, metrics("x", list(range(1, 31)))).results[0]
    assert result.status is CheckStatus.PASS and result.weak_pass and not result.reliable
    assert "p99 of 30 samples is about the maximum" in result.note
    report = evaluate_sla(s, metrics("x", list(range(1, 31))))
    assert "1 passed on too few samples to mean much" in report.headline
    assert "passed on too few samples to mean much (see notes): c0" in report.text()


def test_where_source_and_min_samples_filters() -> None:
    m = pd.concat(
        [
            metrics("tool_duration", [100.0] * 20, tool="a"),
            metrics("tool_duration", [900.0] * 20, tool="b"),
        ],
        ignore_index=True,
    )
    m.loc[m.index[:5], "source"] = "server"
    s = parse_sla(
        spec(
            'phase = "tool_duration"\nstatistic = "max"\ncomparison = "<"\nthreshold = "0.5 s"\n'
            'where = { tool = "a" }',
            'phase = "tool_duration"\nstatistic = "max"\ncomparison = "<"\nthreshold = "0.5 s"\n'
            'where = { tool = "b" }\nmin_samples = 50',
            'phase = "tool_duration"\nstatistic = "count"\ncomparison = ">="\nthreshold = 5\n'
            'source = "server"',
        )
    )
    a, b, server = evaluate_sla(s, m).results
    assert a.status is CheckStatus.PASS
    assert b.status is CheckStatus.NO_DATA and "at least 50" in b.note
    assert server.status is CheckStatus.PASS and server.observed == 5


def test_str_is_the_table_and_repr_is_the_headline() -> None:
    from netra_diag.latency import SlaGate, compare_latency

    m = metrics("connect", [20.0] * 20)
    s = parse_sla(spec('phase = "connect"\nstatistic = "max"\ncomparison = "<"\nthreshold = "5 s"'))
    report = evaluate_sla(s, m)
    assert str(report) == report.text()
    assert str(report).splitlines()[0] == report.headline
    assert repr(report) == f"SlaReport({report.headline!r})"
    gate = SlaGate(report, compare_latency(m, m.assign(value_ms=m["value_ms"] * 2)))
    assert repr(gate) == f"SlaGate({gate.headline!r})"
    assert str(gate) == "\n\n".join([gate.headline, report.text(), str(gate.comparison)])
