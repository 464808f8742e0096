"""Traceback frames: which frame of a failure is the innermost one in the code under test.

A failure's signature (``netra_diag.suites.signatures``) names the deepest traceback frame outside
third-party and standard-library code, and outside the tests themselves. Tracebacks come from
pytest (long and short formats), CPython, JavaScript (node, jest), the JVM (Surefire) and Go
(gotestsum); the frame is read from the end, where it usually is, so the usual cost is a few lines
of each failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate

__all__ = ["innermost_frame"]

# Frames: pytest ("path.py:12: in func" / "path.py:12: TypeError"), CPython ('File "p", line 3,
# in f'), JavaScript ("at f (path.js:1:2)"), Java ("at a.B.c(B.java:4)") and Go ("x_test.go:10:").
_FRAME = re.compile(
    r'File "(?P<py>[^"]+)", line \d+, in (?P<pyfn>[\w<>.]+)'
    r"|^(?P<pt>[^\s:]+\.py):\d+: (?:in (?P<ptfn>[\w<>.]+)|(?P<ptexc>\w[\w.]*))"
    r"|\bat (?:(?P<jsfn>[\w$.<>\[\] ]+) \()?(?P<js>[^\s()]+\.(?:js|mjs|cjs|ts|tsx)):\d+:\d+"
    r"|\bat (?P<javafn>[\w$.]+)\((?P<java>[\w$]+\.(?:java|kt|scala)):\d+\)"
    r"|^\s*(?P<go>[\w/.-]+\.go):\d+",
    re.M,
)
_LIBRARY = (
    "site-packages",
    "dist-packages",
    "/lib/python",
    "node_modules",
    "node:",
    "internal/",
    "/usr/lib/",
    "/usr/local/go/",
    "<frozen",
    "_pytest",
    "pluggy",
    "asyncio/",
    "unittest/",
)
_JAVA_LIBRARY = (
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "org.junit.",
    "org.apache.maven.",
    "org.opentest4j.",
)


@lru_cache(maxsize=4096)
def _is_library(path: str) -> bool:
    return any(marker in path for marker in _LIBRARY)


@lru_cache(maxsize=4096)
def _is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        name.startswith(("test_", "case_"))
        or name.endswith(
            (
                "_test.py",
                "_test.go",
                ".test.js",
                ".test.ts",
                ".spec.js",
                ".spec.ts",
                "Test.java",
                "Tests.java",
            )
        )
        or name in ("conftest.py", "test.js")
        or "/tests/" in f"/{path}"
        or "/__tests__/" in path
    )


def _lines_from_end(text: str) -> Iterator[tuple[int, str]]:
    """``(start, line)`` pairs from the last line to the first, without splitting the whole text:
    the frame we want is usually within the last few lines."""
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        yield start, text[start:end].rstrip("\r")
        end = start - 1


def innermost_frame(text: str, *, include_tests: bool = False) -> str:
    """``path:function`` of the deepest frame in the code under test (``""`` if none).

    Reads the traceback from the end, so the usual cost is a few lines. With ``include_tests``
    the tests' own frames count as code under test too.
    """
    tail = text[-8192:]
    end = len(tail)
    seen = 0
    while end > 0:  # _lines_from_end, inlined: this loop runs for every line of every failure
        if seen == _FEW_LINES:
            # The frame is not near the end (all of the failure's frames are in tests or
            # libraries, say): split the rest at once rather than line by line.
            return _innermost_in(tail, end, include_tests)
        seen += 1
        start = tail.rfind("\n", 0, end) + 1
        line = tail[start:end]
        end = start - 1
        found = _frame_at(tail, start, line, include_tests)
        if found is not None:
            return found
    return ""


_FEW_LINES = 12


def _innermost_in(tail: str, end: int, include_tests: bool) -> str:
    """``innermost_frame`` of ``tail[:end]``, whose lines are split at once."""
    lines = tail[:end].split("\n")
    starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if not (".py:" in line or 'File "' in line or "at " in line or ".go:" in line):
            continue
        found = _frame_at(tail, starts[index], line, include_tests)
        if found is not None:
            return found
    return ""


def _frame_at(tail: str, start: int, line: str, include_tests: bool) -> str | None:
    """The frame ``line`` (at ``start`` in ``tail``) names, if it is in the code under test."""
    # (the substrings cannot contain the "\r" that _lines_from_end strips)
    if ".py:" in line:
        others = 'File "' in line or "at " in line or ".go:" in line
    elif 'File "' in line or ".go:" in line or ("at " in line and _JS_OR_JAVA.search(line)):
        others = True
    else:
        # No pattern of _FRAME can match: they need 'File "', ".py:", ".go:", or "at " and a
        # JavaScript or JVM file followed by ":".
        return None
    line = line.rstrip("\r")
    judged = _judged(line if others else _without_line_number(line), include_tests)
    if judged is None:
        return None
    path, fn, pytest_style = judged
    if not fn and pytest_style:
        fn = _function_above(tail[:start], path)
    path = _shown_path(path)
    return f"{path}:{fn}" if fn else path


_JS_OR_JAVA = re.compile(r"\.(?:m?js|cjs|tsx?|java|kt|scala):")


@lru_cache(maxsize=8192)
def _judged(line: str, include_tests: bool) -> tuple[str, str, bool] | None:
    """``_frame_of_line(line)`` if that frame is in the code under test, else None."""
    frame = _frame_of_line(line)
    if frame is None:
        return None
    path = frame[0]
    if _is_library(path) or (not include_tests and _is_test_path(path)):
        return None
    return frame


def _without_line_number(line: str) -> str:
    """A pytest-style frame line ("path.py:123: in f") with its line number replaced by 0:
    ``_frame_of_line`` reads the same frame from both (for a line without 'File "', "at " or
    ".go:" only that pattern, anchored at the start, can match, and its groups do not include
    the number), so failures of one cause share cache entries whatever their line numbers.
    Any other line comes back unchanged."""
    colon = line.find(":")
    if colon < 4 or not line.startswith(".py", colon - 3):
        return line
    rest = line[colon + 1 :]
    digits = len(rest) - len(rest.lstrip("0123456789"))
    if not digits or not rest.startswith(": ", digits):
        return line
    return f"{line[:colon]}:0{rest[digits:]}"


@lru_cache(maxsize=4096)
def _shown_path(path: str) -> str:
    return _TMP_PREFIX.sub("<tmp>/", path)


@lru_cache(maxsize=8192)  # failures of one cause share most of their frames, line numbers too
def _frame_of_line(line: str) -> tuple[str, str, bool] | None:
    """``(path, function, pytest's style)`` of a traceback line, None if it is not a frame (or is
    a frame of the Java runtime or test framework)."""
    match = _FRAME.search(line)
    if match is None:
        return None
    if path := match["py"]:
        return path, match["pyfn"], False
    if path := match["pt"]:
        return path, match["ptfn"] or "", True
    if path := match["js"]:
        return path, (match["jsfn"] or "").strip(), False
    if path := match["java"]:
        qualified = match["javafn"]
        if qualified.startswith(_JAVA_LIBRARY):
            return None
        return path, qualified.rsplit(".", 1)[-1], False
    return match["go"], "", False


def _function_above(text: str, path: str) -> str:
    """pytest's long format ends an entry with "path:12: TypeError"; its function is the nearest
    "def name(" above, within the same entry, that encloses the failing line: less indented than
    every line of code between them (a helper defined earlier in the same function, "def
    shown(): ..." above the line that failed, is no frame of the failure)."""
    below: int | None = None  # the least indentation of the code lines between
    for n, (_, line) in enumerate(_lines_from_end(text)):
        stripped = line.lstrip(" >")
        if stripped.startswith(("def ", "async def ")):
            indent = len(line) - len(stripped)
            if below is None or indent < below:
                return stripped.split("def ", 1)[1].split("(", 1)[0]
        elif stripped and not stripped.startswith(_NOT_CODE) and not line.startswith("E "):
            indent = len(line) - len(stripped)
            below = indent if below is None else min(below, indent)
        if line.startswith(path) or n > 60:
            break
    return ""


# Lines whose indentation says nothing of the block they sit in: a signature's or a call's
# closing bracket, a decorator, a comment.
_NOT_CODE = (")", "]", "}", "@", "#")


_TMP_PREFIX = re.compile(r"^(?:/private)?/(?:tmp|var/folders|var/tmp)/[^/]+/(?:[^/]*\d[^/]*/)*")
