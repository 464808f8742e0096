"""The recorder's shortcuts give exactly what the plain builders give: received-frame lines
(``ReceivedLines``) are ``frame_line``'s, header lines are the JSON of the header object, a URL
with nothing to redact comes back as the full redaction would give it, ``new_mark`` builds the
dataclass's ``Mark``."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.model import parse_frame
from netra_diag.live.records import Mark, new_mark
from netra_diag.recording_format import (
    expand_secrets,
    frame_line,
    frame_line_prefix,
    header_line,
)
from netra_diag.recording_lines import ReceivedLines
from netra_diag.recording_redaction import _redact_url, redact_url
from netra_diag.redaction import JWT_PATTERN, scrub

ids = (
    st.none()
    | st.sampled_from(["r1", "t1", "u1", "eyJhbGciOi.eyJzdWIiOi.c2ln", "sekrit-1", ""])
    | st.integers(-2, 2)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
)
texts = st.lists(
    st.text(max_size=12)
    | st.from_regex(JWT_PATTERN, fullmatch=True)
    | st.sampled_from(["sekrit-1", "?ticket=abc", "ZXlK", "\u00e9", "\\", '"']),
    max_size=4,
).map("".join)
secret_lists = st.lists(st.sampled_from(["sekrit-1", "eyJhbGciOi.eyJzdWIiOi.c2ln", "abcd"]))


@st.composite
def frames(draw: st.DrawFn) -> str:
    obj: dict[str, Any] = {"type": draw(st.sampled_from(["agent_thinking", "x", ""]))}
    for key in ("run_id", "thread_id", "user_id"):
        if draw(st.booleans()):
            obj[key] = draw(ids)
    body = {"text": draw(texts)}
    if draw(st.booleans()):
        obj["data"] = body
    else:
        obj.update(body)
    text = json.dumps(obj, ensure_ascii=draw(st.booleans()))
    return draw(st.sampled_from([text, text + " ", draw(texts)]))


@given(st.lists(frames(), min_size=1, max_size=6), secret_lists, st.integers(0, 2**40))
def test_received_lines_are_frame_lines(datas: list[str], secrets: list[str], t_ns: int) -> None:
    expanded = expand_secrets(secrets)
    builder = ReceivedLines(expanded)
    prefix = frame_line_prefix("in", t_ns, 1.5)
    for data in datas * 2:  # the second time from the builder's cache
        event = parse_frame(data)
        want = frame_line("in", data, t_ns=t_ns, wall=1.5, secrets=expanded, event=event)
        assert builder.line(prefix, data, event) == want


def test_ids_that_are_equal_keys_but_render_differently_are_not_confused() -> None:
    builder = ReceivedLines(())
    prefix = frame_line_prefix("in", 7, 2.5)
    for run_id in (1, True, 1.0, "1", 1, True):
        data = json.dumps({"type": "agent_thinking", "run_id": run_id})
        event = parse_frame(data)
        want = frame_line("in", data, t_ns=7, wall=2.5, event=event)
        assert builder.line(prefix, data, event) == want


def test_an_oversized_received_frame_is_cut_as_frame_line_cuts_it() -> None:
    data = json.dumps({"type": "x", "blob": "y" * (300 * 1024)})
    event = parse_frame(data)
    want = frame_line("in", data, t_ns=1, wall=None, event=event)
    assert ReceivedLines(()).line(frame_line_prefix("in", 1, None), data, event) == want


labels = st.dictionaries(st.text(max_size=6), texts, max_size=3)


@given(
    st.sampled_from(["ws://h:1/ws", "wss://h/api/v1/websocket?token=eyJa.eyJb.c", "ws://u:p@h/"]),
    st.none() | st.text(max_size=8) | st.integers(),
    st.floats() | st.integers(0, 2**33),
    labels,
    secret_lists,
)
def test_header_line_is_the_json_of_the_header(
    endpoint: str, user: Any, started: float, lab: dict[str, str], secrets: list[str]
) -> None:
    expanded = expand_secrets(secrets)
    line = header_line(
        endpoint=endpoint,
        transport="auto",
        token_fingerprint="eyJ…#a1b2c3d4",
        user=user,
        tool_version="0.1.0",
        started_wall=started,
        labels=lab,
        secrets=expanded,
    )
    want = {
        "kind": "header",
        "format": "netra-cassette",
        "version": 1,
        "endpoint": redact_url(endpoint, expanded),
        "transport": "auto",
        "token_fingerprint": "eyJ…#a1b2c3d4",
        "user": user,
        "tool_version": "0.1.0",
        "started_wall": started if math.isfinite(started) else None,
        "labels": {k: scrub(v, expanded) for k, v in lab.items()},
    }
    assert line == json.dumps(want, separators=(",", ":"), allow_nan=False)


urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["ws", "wss", "http", ""]),
    st.sampled_from(["127.0.0.1:8000", "h", "[::1]:9", "h:bad"]),
    texts | st.sampled_from(["/ws", "/ws#", "/ws#frag", "/e\tyJa.eyJb.c", "/sekrit-1"]),
)


@given(urls, secret_lists)
def test_a_url_with_nothing_to_redact_is_what_the_full_redaction_gives(
    url: str, secrets: list[str]
) -> None:
    expanded = expand_secrets(secrets)
    assert redact_url(url, expanded) == _redact_url(url, expanded)
    assert redact_url(url, expanded) == _redact_url(url, expanded)  # kept, same answer


@given(st.text(max_size=5), st.floats(), st.floats(), st.dictionaries(st.text(max_size=3), ids))
def test_new_mark_is_the_dataclass(name: str, t: float, wall: float, data: dict[str, Any]) -> None:
    fast, slow = new_mark(name, t, wall, data), Mark(name, t, wall, data)
    assert repr(fast) == repr(slow)
    if not (math.isnan(t) or math.isnan(wall)):
        assert fast == slow
