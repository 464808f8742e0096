"""``Recorder`` deferred lines: kept in memory until ``flush``, the next ordinary line or
``close``, then written in order with one system call; and mark lines are scrubbed and cleaned
exactly as ``scrub_obj`` would."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.recording import Recorder, load_cassette
from netra_diag.recording_format import expand_secrets, mark_line
from netra_diag.redaction import scrub_obj


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_deferred_lines_wait_for_flush_and_keep_order(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    rec = Recorder(path, endpoint="ws://127.0.0.1:1/ws", started_wall=0.0)
    rec.frame("in", '{"type": "a"}', t_ns=1, wall=0.0, defer=True)
    rec.frame("in", '{"type": "b"}', t_ns=2, wall=0.0, defer=True)
    assert rec.pending == 2
    assert len(lines(path)) == 1  # the header only
    rec.flush()
    assert rec.pending == 0 and len(lines(path)) == 3
    rec.frame("in", '{"type": "c"}', t_ns=3, wall=0.0, defer=True)
    rec.mark("m", t_ns=4, wall=0.0)  # an ordinary line writes the deferred ones first
    rec.frame("in", '{"type": "d"}', t_ns=5, wall=0.0, defer=True)
    rec.close()  # and close flushes
    assert rec.lines_written == 6
    cas = load_cassette(path)
    assert [getattr(r, "type", None) or getattr(r, "name", None) for r in cas.records] == [
        "a",
        "b",
        "c",
        "m",
        "d",
    ]
    assert not cas.warnings


def reference_mark_data(data: Mapping[str, Any], secrets: tuple[str, ...]) -> Any:
    def clean(obj: Any) -> Any:
        if isinstance(obj, float) and not math.isfinite(obj):
            return None
        if isinstance(obj, dict):
            return {str(k): clean(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [clean(v) for v in obj]
        return obj

    return clean(scrub_obj(dict(data), secrets))


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["eyJhbGciOi.eyJzdWIiOi.c2ln", "ZXlKaGJHY2lPaUpJVXpJMU5pSXNJ", "sekrit"])
)
mark_data = st.dictionaries(
    st.text(max_size=6),
    st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=3)
        ),
        max_leaves=10,
    ),
    max_size=4,
)


@given(mark_data, st.lists(st.sampled_from(["sekrit", "eyJhbGciOi.eyJzdWIiOi.c2ln"]), max_size=2))
def test_mark_data_is_scrubbed_like_scrub_obj(data: dict[str, Any], secrets: list[str]) -> None:
    expanded = expand_secrets(secrets)
    line = json.loads(mark_line("m", t_ns=1, wall=None, data=data, secrets=expanded))
    want = json.loads(json.dumps(reference_mark_data(data, expanded), default=str))
    assert line["data"] == want
