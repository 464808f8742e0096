"""Failure signatures: exception type + normalised message + innermost frame in the code under test.

Two failures with the same signature are very likely one cause. Normalising strips what differs
between occurrences of the same cause (ids, uuids, hex addresses, ports, counters, timestamps,
temporary paths) but keeps what tells causes apart in this service: WebSocket close codes
(RFC 6455 §7.4: 1000-1015), HTTP statuses and errno values.

The innermost frame is the deepest traceback frame outside third-party and standard-library code
and outside the tests themselves; when the failure never left the test (an assertion, a call with
a wrong signature) it is empty, so the same message from different tests still groups, unless the
message is too generic to mean anything on its own ("assert False"), in which case the test's own
innermost frame is used.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, starmap
from operator import attrgetter, is_

from netra_diag.suites.background import ForkedCall, can_fork
from netra_diag.suites.model import Problem, ProblemKind, TestCase

__all__ = [
    "Signature",
    "Signing",
    "exception_type",
    "innermost_frame",
    "message_body",
    "normalise_message",
    "problem_signature",
    "signature_of",
]

# One cheap scan finds candidate spans (words with a digit, temp paths, JWT-shaped text); each
# candidate is then classified. Much faster than one big alternation tried at every position.
_CANDIDATE = re.compile(
    r"(?:/private)?/(?:tmp|var/folders|var/tmp)/[^\s'\",:)]*"
    r"|[A-Za-z]:\\[^\s'\"]*\\Temp\\[^\s'\",:)]*"
    r"|eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*|eyJ…#[0-9a-f]{8}"
    r"|(?:HTTP|[Ss]tatus|[Cc]ode|Errno|errno)[ :=/]{0,2}\d{3,5}"
    r"|(?<![\w.:\[\]-])[\w.:\[\]-]*\d[\w.:\[\]-]*(?:'?, \d{1,5}\b)?"
)
_KEEP = re.compile(r"(?:HTTP|[Ss]tatus|[Cc]ode|Errno|errno)[ :=/]{0,2}\d{3,5}|10(?:0\d|1[0-5])")
_TIME = re.compile(
    r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)?"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HOSTPORT = re.compile(
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|localhost|\[[0-9a-fA-F:]+\])(?::\d{1,5}|'?, \d{1,5})"
)
_HEX = re.compile(r"0x[0-9a-fA-F]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}")
_HEX_PART = re.compile(
    r"0x[0-9a-fA-F]+|(?<![0-9a-zA-Z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}"
)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
# The five whole-word tests of _classify_word in one pattern: fullmatch takes the first
# alternative that matches the whole word, as the tests one after the other would.
_WORD_KIND = re.compile(
    "|".join(
        f"(?P<{name}>{rx.pattern})"
        for name, rx in (
            ("keep", _KEEP),
            ("time", _TIME),
            ("uuid", _UUID),
            ("hostport", _HOSTPORT),
            ("hex", _HEX),
        )
    )
)
_PLACEHOLDER = {"time": "<time>", "uuid": "<uuid>", "hostport": "<host>:<port>", "hex": "<hex>"}
_MESSAGE_LIMIT = 240


def _classify(match: re.Match[str]) -> str:
    whole = match.group(0)
    text = whole.rstrip(".:")  # "127.0.0.1:4242:" ends a clause; keep the punctuation
    if not text:
        return whole
    return _classify_word(text) + whole[len(text) :]


@lru_cache(maxsize=8192)  # the same words (codes, hosts, counters) recur across failures
def _classify_word(text: str) -> str:
    first = text[0]
    if first in "/\\" or (len(text) > 2 and text[1] == ":" and text[2] == "\\"):
        return "<tmp>"
    if first == "e" and text.startswith("eyJ"):
        return "<token>"
    if text.isdecimal():
        # What _classify_other makes of a number: only a close code stays (\d is any decimal
        # digit, which is what isdecimal() tests).
        return text if _KEEP.fullmatch(text) else "<n>"
    return _classify_other(text)


def _classify_other(text: str) -> str:
    kind = _WORD_KIND.fullmatch(text)
    if kind is not None:
        return text if kind.lastgroup == "keep" else _PLACEHOLDER[kind.lastgroup or ""]
    # A word with digits inside (user-1234, run_42, t-4f2a9c, 3.5s): replace each id-like part,
    # keep the rest; close codes stay (1008 vs 1011 is the whole story).
    text = _HEX_PART.sub("<hex>", _UUID.sub("<uuid>", text))
    # Only a number 1000-1015 is kept, and it holds "10": without one, no number needs a look.
    return _DIGITS.sub(_number, text) if "10" in text else _DIGITS.sub("<n>", text)


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if _KEEP.fullmatch(text) else "<n>"


def normalise_message(message: str) -> str:
    """The message with run-specific parts replaced by placeholders (``<n>``, ``<uuid>``, …)."""
    text = _CANDIDATE.sub(_classify, message[: _MESSAGE_LIMIT * 2])
    return " ".join(text.split())[:_MESSAGE_LIMIT]


# Failures of one cause often repeat the very same message.
_normalise_body = lru_cache(maxsize=16384)(normalise_message)

# "TypeError: ...", "websockets.exceptions.InvalidStatus: ...", "AssertionError [ERR_X]: ...",
# "Error: ...": a dotted name whose last part is capitalised, then a colon.
_TYPE_PREFIX = re.compile(r"^(?P<type>(?:[A-Za-z_][\w$]*\.)*[A-Z][\w$]*)(?: \[[A-Z_]+\])?: ")
_WRAPPED = re.compile(r'^failed on (?:setup|teardown) with "(?P<inner>.*)"$', re.S)
_GENERIC_TYPES = frozenset({"", "testCodeFailure", "hookFailed", "Failed", "failure", "error"})
_E_LINE = re.compile(
    r"^E +(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Warning|[A-Z]\w+))(?:: |$)", re.M
)


_BARE_TYPE = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Timeout|Interrupt|Exit)")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def exception_type(problem: Problem) -> str:
    """The exception class named by the report (``type`` attribute, message prefix, ``E`` line)."""
    declared = problem.type.strip()
    if declared and declared not in _GENERIC_TYPES and " " not in declared:
        return declared.removeprefix("builtins.")
    message = _unwrap(problem.message)
    match = _TYPE_PREFIX.match(message)
    if match:
        return match.group("type")
    bare = message.strip()
    if _BARE_TYPE.fullmatch(bare):  # "TimeoutError": an exception raised without a message
        return bare
    text = problem.text
    found = _last_match(_E_LINE, text[-4096:])
    if found is not None:
        return found.group("type")
    cause = _NODE_CAUSE.search(text[:8192])  # node: "cause: TypeError [Error]: ..."
    if cause is not None:
        return cause.group("type")
    match = _TYPE_PREFIX.match(_first_line(text))  # jest/node: the stack starts "Error: ..."
    if match:
        return match.group("type")
    if problem.kind is ProblemKind.ERROR and problem.message == "collection failure":
        return "CollectionError"
    return "AssertionError" if "assert" in message.lower() else ""


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = deque(pattern.finditer(text), maxlen=1)
    return last[0] if last else None


def _unwrap(message: str) -> str:
    match = _WRAPPED.match(message)
    return match.group("inner") if match else message


def message_body(problem: Problem, etype: str) -> str:
    """The human part of the message: first line, without pytest's wrapper and the type prefix."""
    message = _unwrap(problem.message)
    if not message or message in ("collection failure", "Failed") or message.startswith("=== RUN"):
        # Collection errors and gotestsum keep the real message in the body.
        message = _last_error_line(problem.text) or message
    line = _first_line(message)
    if etype and line == etype:
        return ""
    if etype and line.startswith(etype):
        line = line[len(etype) :].lstrip(" :")
    elif ": " in line and _TYPE_PREFIX.match(line):
        line = line.split(": ", 1)[1]
    return line


_GO_LINE = re.compile(r"^\s+[\w./-]+\.go:\d+: (?P<msg>.+)$", re.M)
_NODE_CAUSE = re.compile(r"^\s*cause: (?P<type>[A-Za-z_][\w.]*)(?: \[\w+\])?: ", re.M)


def _last_error_line(text: str) -> str:
    go = _GO_LINE.search(text[:4096])  # gotestsum: "    x_test.go:13: message"
    if go is not None:
        return go.group("msg").strip()
    tail = text[-4096:]
    found = _last_match(_E_LINE, tail)
    if found is not None:
        end = tail.find("\n", found.start())
        return tail[found.start() : end if end >= 0 else None].removeprefix("E").strip()
    # JUnit bodies from jest, node and Surefire start with the error line.
    for line in text[:4096].splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("●", "=== RUN", "--- FAIL", "--- SKIP")):
            return stripped
    return ""


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
    "def name(" above, within the same entry."""
    for n, (_, line) in enumerate(_lines_from_end(text)):
        stripped = line.lstrip()
        if stripped.startswith(("def ", "async def ")):
            return stripped.split("def ", 1)[1].split("(", 1)[0]
        if line.startswith(path) or n > 60:
            break
    return ""


_TMP_PREFIX = re.compile(r"^(?:/private)?/(?:tmp|var/folders|var/tmp)/[^/]+/(?:[^/]*\d[^/]*/)*")
_GENERIC_MESSAGES = frozenset(
    {"", "assert False", "assert None", "Failed", "failed", "assert <n> == <n>", "Error"}
)


@dataclass(frozen=True, slots=True)
class Signature:
    """What makes two failures "the same": ``key`` is the grouping key."""

    exc_type: str
    message: str
    frame: str
    raw_message: str = ""

    @property
    def key(self) -> str:
        return f"{self.exc_type}|{self.message}|{self.frame}"

    def describe(self) -> str:
        """Why failures with this signature were grouped, in words."""
        what = self.exc_type or "failure"
        because = f"same {what}"
        if self.message:
            because += f" with message “{self.message}”"
        if self.frame:
            because += f", raised in {self.frame}"
        return because


def signature_of(case: TestCase) -> Signature | None:
    """The signature of a failing or erroring test (``None`` for one that did not fail)."""
    problem = case.primary
    if problem is None:
        return None
    return problem_signature(problem, case.test_id)


def problem_signature(problem: Problem, test_id: str) -> Signature:
    """The signature of ``problem``, the failure that decided test ``test_id``'s outcome."""
    etype = exception_type(problem)
    body = message_body(problem, etype)
    message = _normalise_body(body)
    frame = innermost_frame(problem.text)
    if not frame and message in _GENERIC_MESSAGES:
        frame = innermost_frame(problem.text, include_tests=True) or test_id
    short_type = etype.rsplit(".", 1)[-1] if etype.count(".") > 1 else etype
    return Signature(short_type, message, frame, raw_message=body[:_MESSAGE_LIMIT])


_test_id_of = attrgetter("test_id")
_primary_of = attrgetter("primary")


class Signing:
    """The signatures of a run's failing tests, signed in a forked child as the reader finds
    them (``netra_diag.suites.background``).

    Start one before reading the run and hand ``feed`` to the reader (``load_results``'s
    ``on_failures``): the child signs while this process goes on reading, so that by the time
    the run is read most of the signing is done, on the other core. ``result`` takes each
    failing test's signature from the child if it signed that very problem under that test id
    (a test that a later element merged into may have another primary problem by then), and
    signs the rest here — all of them where forking is not possible, or the child failed.
    """

    def __init__(self, *, fork: bool = True, expected_bytes: int = 0) -> None:
        """``expected_bytes``: about how large the failures' texts are (the size of the files
        read is a bound)."""
        self._sent: list[tuple[str, Problem]] = []
        self._child = (
            ForkedCall(_sign_sent, inbox=True, inbox_bytes=expected_bytes)
            if fork and can_fork()
            else None
        )

    def feed(self, failing: list[tuple[str, Problem]]) -> None:
        """Failing tests as the reader finds them: (test id, primary problem) pairs."""
        if self._child is None:
            return
        self._sent += failing
        self._child.send(
            [(tid, p.kind.value, p.type, p.message, p.text, p.phase) for tid, p in failing]
        )

    def cancel(self) -> None:
        """Stop the child (the run could not be read)."""
        if self._child is not None:
            self._child.cancel()

    def result(self, cases: Sequence[TestCase]) -> dict[str, Signature]:
        """The signatures of ``cases`` (the run's failing tests), by test id."""
        theirs = self._child.result() if self._child is not None else None
        if theirs is not None and len(theirs) == len(self._sent):
            # Usually the child signed exactly these tests' primary problems, in this order:
            # checked, and taken, in C loops.
            test_ids = list(map(_test_id_of, cases))
            if test_ids == [tid for tid, _ in self._sent] and all(
                map(is_, map(_primary_of, cases), (p for _, p in self._sent))
            ):
                return dict(zip(test_ids, starmap(Signature, theirs), strict=True))
        signed: dict[str, tuple[Problem, tuple[str, str, str, str]]] = {}
        if theirs is not None and len(theirs) == len(self._sent):
            signed = {
                tid: (problem, fields)
                for (tid, problem), fields in zip(self._sent, theirs, strict=True)
            }
        out: dict[str, Signature] = {}
        for case in cases:
            primary = case.primary
            if primary is None:
                continue
            found = signed.get(case.test_id)
            if found is not None and found[0] is primary:
                out[case.test_id] = Signature(*found[1])
            else:
                out[case.test_id] = problem_signature(primary, case.test_id)
        return out


def _sign_sent(
    batches: Iterator[list[tuple[str, str, str, str, str, str]]],
) -> list[tuple[str, str, str, str]]:
    """Signatures, as plain tuples for ``marshal``, of what ``Signing.feed`` sent (in the child)."""
    out: list[tuple[str, str, str, str]] = []
    for batch in batches:
        for tid, kind, ptype, message, text, phase in batch:
            sig = problem_signature(Problem(ProblemKind(kind), ptype, message, text, phase), tid)
            out.append((sig.exc_type, sig.message, sig.frame, sig.raw_message))
    return out
