"""The candidate scan of ``normalise_message`` finds exactly the spans of its plainer form.

``signatures._CANDIDATE`` opens its temp-path alternative with "/" rather than an optional
"/private" so that the alternation is cheap to rule out at each position; this checks, on
generated text made of the pieces each alternative looks for, that the spans found are the same.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from netra_diag.suites.signatures import _CANDIDATE

# The scan as it read before: the same alternatives, the temp path opening with "(?:/private)?".
_PLAIN = re.compile(
    r"(?:/private)?/(?:tmp|var/folders|var/tmp)/[^\s'\",:)]*"
    r"|[A-Za-z]:\\[^\s'\"]*\\Temp\\[^\s'\",:)]*"
    r"|eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*|eyJ…#[0-9a-f]{8}"
    r"|(?:HTTP|[Ss]tatus|[Cc]ode|Errno|errno)[ :=/]{0,2}\d{3,5}"
    r"|(?<![\w.:\[\]-])[\w.:\[\]-]*\d[\w.:\[\]-]*(?:'?, \d{1,5}\b)?"
)
_PIECES = st.sampled_from(
    [
        "/tmp/",
        "/private/tmp/x",
        "/private/var/folders/ab",
        "/var/tmp/",
        "/privat",
        "C:\\a\\Temp\\b",
        "eyJa.eyJb.c",
        "eyJ…#0123abcd",
        "HTTP 403",
        "status=404",
        "code:1008",
        "Errno 111",
        "('127.0.0.1', 8000)",
        "'x', 12",
        "user-12",
        "0x7fab",
        "ünï3",
        "٣",
        "/",
        ":",
        "'",
        " ",
        "\n",
    ]
)
_TEXT = st.lists(_PIECES | st.text(alphabet="ab1/\\:.-[]'\",)(ep \n", max_size=4), max_size=24).map(
    "".join
)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_the_candidate_scan_finds_the_spans_of_the_plain_one(text: str) -> None:
    assert _spans(_CANDIDATE, text) == _spans(_PLAIN, text)


def test_temp_paths_are_found_from_their_first_slash() -> None:
    text = "open /private/tmp/pytest-1/x.log and /tmp/y failed"
    assert _spans(_CANDIDATE, text) == _spans(_PLAIN, text) == [(5, 32), (37, 43)]
