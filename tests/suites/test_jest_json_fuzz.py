"""The jest JSON reader never raises anything but ReportParseError, whatever it is given, and
what it reads goes through triage."""

from __future__ import annotations

import contextlib
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.errors import ReportParseError
from netra_diag.suites import triage
from netra_diag.suites.jest_json import parse_jest_json, parse_jest_json_data

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_STATUS = st.sampled_from(["passed", "failed", "pending", "todo", "focused", "error", "x"])
_MESSAGE = st.sampled_from(
    [
        "",
        "  \x1b[1m● \x1b[22mTest suite failed to run\n\n    SyntaxError: /r/a.test.js: bad\n",
        "  ● Test suite failed to run\n\n    Cannot find module './c' from 'a.test.js'\n",
        "  ● t\n\n    at f (a.test.js:1:2)\n",
    ]
)
_test = st.fixed_dictionaries(
    {},
    optional={
        "status": _STATUS | _json_values,
        "title": st.text(max_size=6) | _json_values,
        "ancestorTitles": st.lists(st.text(max_size=4), max_size=2) | _json_values,
        "duration": st.none() | st.floats() | st.integers() | _json_values,
        "failureMessages": st.lists(_MESSAGE | st.text(max_size=8), max_size=2) | _json_values,
        "location": _json_values,
    },
)
_file = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["/r/a.test.js", "/r/__tests__/b.test.js", "C:\\r\\c.test.js", ""])
        | _json_values,
        "status": st.sampled_from(["passed", "failed", "focused", "skipped"]) | _json_values,
        "message": _MESSAGE | _json_values,
        "assertionResults": st.lists(_test, max_size=4) | _json_values,
    },
)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_jest_json(data: bytes) -> None:
    with contextlib.suppress(ReportParseError):
        parse_jest_json(io.BytesIO(data))


@given(
    st.fixed_dictionaries(
        {"testResults": st.lists(_file, max_size=4)},
        optional={
            "numTotalTests": st.integers() | _json_values,
            "numRuntimeErrorTestSuites": st.integers(),
            "wasInterrupted": _json_values,
        },
    )
    | _json_values
)
def test_jest_shaped_documents_parse_or_fail_cleanly(doc: object) -> None:
    try:
        run = parse_jest_json(io.BytesIO(json.dumps(doc).encode()))
    except ReportParseError:
        return
    assert run.counts.total == len(run.rows)
    assert len({row.test_id for row in run.rows}) == len(run.rows)
    triage(run).to_dict()


@given(_file, st.text(max_size=12))
def test_any_results_folder_gives_paths_that_are_not_empty(entry: object, folder: str) -> None:
    with contextlib.suppress(ReportParseError):
        run = parse_jest_json_data({"testResults": [entry]}, results_dir=folder)
        assert all(row.suite for row in run.rows)
