"""Which rows an SLA check judges: one measurement per tool call (not the client's and the
server's pooled), and a ``where`` that matches nothing says why instead of "no measurements"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netra_diag.errors import ConfigFileError
from netra_diag.latency import CheckStatus, evaluate_sla, parse_sla

CHECK = """\
[[check]]
id = "tools"
phase = "tool_duration"
statistic = "p50"
comparison = "<"
threshold = "1 s"
"""


def _tools(calls: int = 40) -> pd.DataFrame:
    client = np.linspace(500.0, 900.0, calls)
    return pd.DataFrame(
        {
            "phase": "tool_duration",
            "value_ms": np.r_[client, client - 300.0],
            "source": ["client"] * calls + ["server"] * calls,
            "tool": "cost_analyzer",
            "ok": True,
        }
    )


def test_each_tool_call_counts_once() -> None:
    result = evaluate_sla(parse_sla(CHECK), _tools()).results[0]
    assert result.n == 40  # not 80: each call is timed by the client and reported by the server
    assert result.observed == pytest.approx(700.0)  # the client's median, not a mixture
    assert "the client's 40 values checked" in result.note
    assert "source = 'server' checks the other" in result.note


def test_an_explicit_source_is_taken_as_asked() -> None:
    result = evaluate_sla(parse_sla(CHECK + 'source = "server"\n'), _tools()).results[0]
    assert result.n == 40 and result.observed == pytest.approx(400.0)
    assert "checked, not both" not in result.note


def test_where_matching_nothing_names_what_is_there() -> None:
    text = CHECK + 'where = { tool = "cost_analyser" }\n'
    result = evaluate_sla(parse_sla(text), _tools()).results[0]
    assert result.status is CheckStatus.NO_DATA
    assert "no tool_duration measurements with tool = 'cost_analyser'" in result.note
    assert "'cost_analyzer'" in result.note


def test_where_on_an_unknown_column_is_refused_with_its_line() -> None:
    with pytest.raises(ConfigFileError) as err:
        parse_sla(CHECK + 'where = { tol = "cost_analyzer" }\n', path="mine.toml")
    message = str(err.value)
    assert "mine.toml:7" in message and "unknown column 'tol'" in message
    assert "did you mean 'tool'?" in message
    parse_sla(CHECK + 'where = { label_team = "core" }\n')  # recording labels are columns


def test_a_source_chosen_with_where_is_kept() -> None:
    text = CHECK + 'where = { source = "server" }\n'
    result = evaluate_sla(parse_sla(text), _tools()).results[0]
    assert result.status is CheckStatus.PASS and result.n == 40
    assert result.observed == pytest.approx(400.0)
