"""Parsers never raise anything but ReportParseError, whatever bytes they are given."""

from __future__ import annotations

import contextlib
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.errors import ReportParseError
from netra_diag.suites import parse_junit, parse_pytest_json, triage

_TAGS = [
    "testsuites",
    "testsuite",
    "testcase",
    "failure",
    "error",
    "skipped",
    "system-out",
    "properties",
    "property",
    "rerunFailure",
    "flakyFailure",
    "stackTrace",
    "x",
]
_ATTRS = [
    "name",
    "classname",
    "time",
    "file",
    "line",
    "message",
    "type",
    "tests",
    "status",
    "value",
]


@st.composite
def junit_like(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS if depth else ["testsuites", "testsuite", "testcase"]))
    attrs = draw(st.dictionaries(st.sampled_from(_ATTRS), st.text(max_size=12), max_size=4))
    attr_text = "".join(
        f' {k}="{v.replace("&", "&amp;").replace("<", "&lt;").replace(chr(34), "&quot;")}"'
        for k, v in attrs.items()
    )
    children = draw(st.lists(junit_like(depth + 1), max_size=3)) if depth < 3 else []
    body = draw(st.text(max_size=20)).replace("&", "&amp;").replace("<", "&lt;")
    return f"<{tag}{attr_text}>{body}{''.join(children)}</{tag}>"


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_junit(data: bytes) -> None:
    with contextlib.suppress(ReportParseError):
        parse_junit(io.BytesIO(data))


@given(junit_like())
def test_junit_shaped_documents_parse_or_fail_cleanly(doc: str) -> None:
    try:
        run = parse_junit(io.BytesIO(doc.encode("utf-8", "surrogatepass")))
    except ReportParseError:
        return
    assert run.counts.total >= len(run.rows)
    triage(run).to_text()  # and the whole pipeline copes with what was parsed


@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_pytest_json(data: bytes) -> None:
    with contextlib.suppress(ReportParseError):
        parse_pytest_json(io.BytesIO(data))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.fixed_dictionaries(
        {
            "tests": st.lists(
                st.dictionaries(
                    st.sampled_from(["nodeid", "outcome", "setup", "call", "teardown", "lineno"]),
                    _json_values,
                ),
                max_size=4,
            )
        },
        optional={"collectors": _json_values, "summary": _json_values},
    )
)
def test_pytest_json_shaped_documents_parse_or_fail_cleanly(doc: dict[str, object]) -> None:
    try:
        run = parse_pytest_json(io.BytesIO(json.dumps(doc).encode()))
    except ReportParseError:
        return
    triage(run).to_dict()
