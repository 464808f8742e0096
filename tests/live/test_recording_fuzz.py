"""Property tests: the cassette line parser never raises, and builders round-trip."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.closecodes import CloseInfo, explain_close
from netra_diag.live.auth_verdict import judge_auth
from netra_diag.live.reconnect import ReconnectPolicy
from netra_diag.recording_format import (
    CassetteHeader,
    FrameRecord,
    LineWarning,
    MarkRecord,
    expand_secrets,
    frame_line,
    header_line,
    mark_line,
    parse_line,
    parse_lines,
    redact_headers,
    redact_url,
    scrub_fast,
)
from netra_diag.redaction import JWT_PATTERN, scrub

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
line_objects = st.fixed_dictionaries(
    {"kind": st.sampled_from(["header", "frame", "mark", "other", 3])},
    optional={
        "dir": st.sampled_from(["in", "out", "x", None]),
        "t_ns": st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
        "wall": json_values,
        "text": json_values,
        "b64": json_values,
        "size": json_values,
        "name": json_values,
        "data": json_values,
        "format": st.sampled_from(["netra-cassette", "other"]),
        "version": json_values,
        "labels": json_values,
    },
)


@given(st.binary(max_size=300) | st.text(max_size=300))
def test_parse_line_never_raises_on_noise(raw: bytes | str) -> None:
    result = parse_line(raw, 7)
    assert result is None or isinstance(
        result, CassetteHeader | FrameRecord | MarkRecord | LineWarning
    )
    if isinstance(result, LineWarning):
        assert result.lineno == 7 and str(result).startswith("line 7:")


@given(line_objects)
def test_parse_line_never_raises_on_wrong_fields(obj: dict[str, object]) -> None:
    result = parse_line(json.dumps(obj), 1)
    assert result is None or isinstance(
        result, CassetteHeader | FrameRecord | MarkRecord | LineWarning
    )


@given(
    st.sampled_from(["in", "out"]),
    st.text(max_size=200) | st.binary(max_size=200),
    st.integers(min_value=0, max_value=2**62),
    st.floats(min_value=0, max_value=4e9) | st.none(),
)
def test_frame_line_round_trips(
    direction: str, data: str | bytes, t_ns: int, wall: float | None
) -> None:
    line = frame_line(direction, data, t_ns=t_ns, wall=wall)
    assert "\n" not in line and line.isascii()
    rec = parse_line(line, 2)
    assert isinstance(rec, FrameRecord)
    assert (rec.dir, rec.t_ns, rec.wall) == (direction, t_ns, wall)
    if isinstance(data, str):
        assert rec.size == len(data.encode("utf-8", "surrogatepass"))
        if "eyJ" not in data and "ZXlK" not in data:
            assert rec.text == data


@given(st.text(min_size=1, max_size=20), json_values, st.integers(min_value=0, max_value=2**40))
def test_mark_line_round_trips(name: str, value: object, t_ns: int) -> None:
    rec = parse_line(mark_line(name, t_ns=t_ns, wall=1.0, data={"v": value}), 3)
    assert isinstance(rec, MarkRecord) and rec.name == name and rec.t_ns == t_ns


any_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.none() | st.floats() | st.integers(min_value=0, max_value=2**40),
    st.none() | st.dictionaries(st.text(max_size=8) | st.integers(), any_values, max_size=5),
    st.lists(st.text(min_size=4, max_size=12), max_size=2),
)
def test_mark_line_is_the_json_of_the_cleaned_mark(
    name: str, t_ns: int, wall: float | None, data: dict[Any, Any] | None, secrets: list[str]
) -> None:
    """The hand-assembled line is byte for byte ``json.dumps`` of the mark with its data
    cleaned (strings scrubbed, keys as text, tuples as lists, non-finite floats as null)."""
    expanded = expand_secrets(secrets)

    def clean(value: object) -> object:
        if isinstance(value, str):
            return scrub(value, expanded)
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    finite_wall = None if wall is None or not math.isfinite(wall) else wall
    expected = json.dumps(
        {
            "kind": "mark",
            "name": name,
            "t_ns": t_ns,
            "wall": finite_wall,
            "data": clean(data or {}),
        },
        ensure_ascii=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    assert mark_line(name, t_ns=t_ns, wall=wall, data=data, secrets=expanded) == expected


@given(st.integers(min_value=0, max_value=400), st.data())
def test_any_truncation_of_a_cassette_is_survivable(cut: int, data: st.DataObject) -> None:
    lines = [
        header_line(
            endpoint="ws://h/ws?token=abc",
            transport="auto",
            token_fingerprint=None,
            user="u",
            tool_version="0",
            started_wall=1.0,
        ),
        frame_line("in", '{"type": "agent_started"}', t_ns=1, wall=2.0),
        mark_line("close", t_ns=2, wall=3.0, data={"code": 1006}),
    ]
    blob = ("\n".join(lines) + "\n")[: cut if cut < 400 else None]
    _header, records, warnings = parse_lines(blob.split("\n"))
    assert len(records) + len(warnings) <= 3
    for w in warnings:
        assert 1 <= w.lineno <= 3


texts_with_tokens = st.lists(
    st.text(max_size=40)
    | st.from_regex(JWT_PATTERN, fullmatch=True)
    | st.sampled_from(["?ticket=", "&ticket=", "ticket=", "…", "&"]),
    max_size=4,
).map("".join)


@given(texts_with_tokens, st.lists(st.text(max_size=12), max_size=3))
def test_scrub_fast_is_scrub(text: str, secrets: list[str]) -> None:
    expanded = expand_secrets(secrets)
    assert scrub_fast(text, expanded) == scrub(text, expanded)


@given(st.text(max_size=80))
def test_redactors_never_raise(text: str) -> None:
    redact_url(text, [text])
    redact_headers([("Authorization", text), ("Sec-WebSocket-Protocol", text), ("X", text)])


@given(st.integers(min_value=-5, max_value=70000) | st.none(), st.text(max_size=30))
def test_close_explanations_never_raise(code: int | None, reason: str) -> None:
    assert explain_close(code, reason)
    info = CloseInfo.build(code, reason, token_exp=10.0, close_wall=5.0, close_t=1.0)
    assert info.explanation().startswith("Closed")


@given(st.text(max_size=20) | st.none(), st.text(max_size=20) | st.none())
def test_auth_verdict_is_total(server: str | None, sub: str | None) -> None:
    verdict = judge_auth(server, sub)
    assert not (verdict.bypass and verdict.validated)
    assert str(verdict)


@given(st.integers(min_value=0, max_value=20), st.integers(min_value=0, max_value=10**6))
def test_backoff_is_bounded(attempts: int, seed: int) -> None:
    policy = ReconnectPolicy(
        initial=0.5, factor=2, cap=4, jitter=0.2, max_attempts=attempts, seed=seed
    )
    delays = list(policy.delays())
    assert len(delays) == attempts
    assert all(0 <= d <= 4 * 1.2 for d in delays)
    assert delays == list(policy.delays())  # seeded: reproducible


def test_cassette_file_with_fuzzed_tail(tmp_path: Path) -> None:
    from netra_diag.recording import load_cassette

    path = tmp_path / "f.jsonl"
    head = header_line(
        endpoint="ws://h/ws",
        transport="auto",
        token_fingerprint=None,
        user=None,
        tool_version="0",
        started_wall=0.0,
    )
    path.write_bytes((head + "\n").encode() + b'{"kind": "frame", "dir": "in", "t_ns": 1, "te')
    cas = load_cassette(path)
    assert cas.records == () and len(cas.warnings) == 1 and cas.warnings[0].lineno == 2
