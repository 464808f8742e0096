"""Stream JUnit XML into a ``SuiteRun``: pytest (xunit1, xunit2), node's test runner, jest-junit,
Maven Surefire (with ``rerunFailure``/``flakyFailure``/``rerunError``/``flakyError``) and gotestsum.

The file is read with ``iterparse`` and each ``<testcase>`` is cleared as soon as it is read, so a
huge report never sits in memory as a tree. Entity expansion and external entities are refused:
both need a DTD, which can only come before the root element, so the prolog is inspected first and
any document that has one (or that is not plain 8-bit text we can inspect) goes through
``defusedxml``, which forbids entity declarations and external references. Documents without a DTD
cannot declare entities, so they go through the stdlib's C-accelerated parser, several times
faster than defusedxml's pure-Python one.

Runner conventions that decide counts (so they equal the runner's own summary):

- pytest writes an xfail as ``<skipped type="pytest.xfail">`` (counted ``xfailed``); a non-strict
  xpass is indistinguishable from a pass in JUnit (pytest-json tells them apart).
- pytest writes a test whose call passed and whose teardown raised as one testcase with an
  ``<error message="failed on teardown with ...">`` and counts it "1 passed, 1 error"; a failed
  call followed by a teardown error is two testcase elements with the same name ("1 failed,
  1 error"). Both are merged into one test here, counted in both buckets.
- A collection error is an ``<error message="collection failure">`` testcase: counted as an error.
- Surefire's ``flakyFailure`` inside a passing testcase is a pass after a failed attempt.
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from typing import IO, Any

import defusedxml.ElementTree as DET
from defusedxml.common import DefusedXmlException

from netra_diag.errors import ReportParseError
from netra_diag.suites.model import (
    CaseRow,
    Outcome,
    Problem,
    ProblemKind,
    SuiteRun,
    TestCase,
)

__all__ = ["MAX_TEXT", "clip_text", "looks_like_junit", "parse_junit", "pytest_nodeid"]

# A failure body or captured output longer than this keeps its head and tail: the innermost frame
# and the exception line are at the end of a traceback.
MAX_TEXT = 32 * 1024
_HEAD = 8 * 1024

_PROBLEM_TAGS = {k.value: k for k in ProblemKind}
_FINAL_KINDS = frozenset({ProblemKind.FAILURE, ProblemKind.ERROR, ProblemKind.SKIPPED})
_SUITE_TAGS = frozenset({"testsuite", "testsuites"})
_PASSED = Outcome.PASSED
_JEST_SUITE_ERROR = "Test suite failed to run"
_new_row = tuple.__new__
_OUTPUT_TAGS = frozenset({"system-out", "system-err"})
_COUNT_ATTRS = ("tests", "failures", "errors", "skipped", "disabled")
_NODE_COMMENT = re.compile(r"^\s*(tests|suites|pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$")
_SKIP_STATUS = frozenset({"skipped", "disabled", "notrun", "ignored"})
_PEEK = 64 * 1024


def clip_text(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[:_HEAD]}\n… [{cut} characters cut] …\n{text[-(limit - _HEAD) :]}"


def pytest_nodeid(classname: str, name: str, file: str) -> str:
    """Rebuild pytest's node id from the JUnit attributes (undoing ``mangle_test_address``).

    Needs ``file`` (xunit1); returns ``""`` when the classname does not start with the module.
    """
    if not file.endswith(".py"):
        return ""
    module = file[:-3].replace("/", ".").replace("\\", ".")
    if classname == module:
        return f"{file}::{name}"
    if classname.startswith(module + "."):
        rest = classname[len(module) + 1 :].split(".")
        return "::".join([file, *rest, name])
    return ""


def looks_like_junit(head: bytes) -> bool:
    """True if the first bytes of a file look like XML rather than JSON."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _needs_defused(head: bytes) -> bool:
    """True unless the prolog is visibly free of a DTD (see the module docstring)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:_PEEK]:
        return True  # UTF-16/32: the byte-level scan below would not see "<!DOCTYPE"
    pos = 0
    while True:
        pos = head.find(b"<", pos)
        if pos < 0 or pos + 1 >= len(head):
            return True  # prolog longer than the peek: let the safe parser decide
        nxt = head[pos + 1 : pos + 2]
        if nxt == b"!":
            if head.startswith(b"<!--", pos):
                end = head.find(b"-->", pos + 4)
                if end < 0:
                    return True
                pos = end + 3
                continue
            return True  # <!DOCTYPE (or anything else declarative)
        if nxt == b"?":
            end = head.find(b"?>", pos + 2)
            if end < 0:
                return True
            pos = end + 2
            continue
        return False  # the root element starts: no DTD before it


def _as_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _as_seconds(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        try:  # Surefire writes "1,234.5" under some locales
            return float(value.replace(",", ""))
        except ValueError:
            return None


class _Reader:
    """Turns iterparse events into rows and details; one instance per file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.rows: list[CaseRow] = []
        self.seen: dict[str, int] = {}
        self.declared: dict[str, int] = {}
        self.warnings: list[str] = []
        self.fmt = "junit"
        self.pending_details: dict[int, dict[str, Any]] = {}
        self.suites: list[str] = []  # names of the enclosing testsuite elements
        self.root_tag = ""
        self.root_attrib: dict[str, str] = {}

    def start_suite(self, el: ET.Element) -> None:
        if not self.root_tag:
            self.root_tag, self.root_attrib = el.tag, dict(el.attrib)
        self.suites.append(el.get("name") or "")

    def end_suite(self, el: ET.Element) -> None:
        self.suites.pop()
        # Top-level suites declare the totals (the root, or the direct children of <testsuites>).
        if el.tag == "testsuite" and (
            not self.suites or (len(self.suites) == 1 and self.root_tag == "testsuites")
        ):
            for attr in _COUNT_ATTRS:
                value = _as_int(el.get(attr))
                if value is not None:
                    self.declared[attr] = self.declared.get(attr, 0) + value
        el.clear()  # its testcases are read already; keep memory flat

    def add_case(self, el: ET.Element) -> None:
        a = el.attrib
        name = a.get("name") or ""
        classname = a.get("classname") or a.get("class") or ""
        file = a.get("file") or ""
        line_text = a.get("line")
        try:
            line = int(line_text) if line_text else None
        except ValueError:
            line = None
        time_text = a.get("time")
        try:
            duration = float(time_text) if time_text else None
        except ValueError:
            duration = _as_seconds(time_text)
        if not name:
            self.warnings.append(f"{self.path}: testcase #{len(self.rows) + 1} has no name")
            name = f"<unnamed #{len(self.rows) + 1}>"
        test_id = f"{classname}::{name}" if classname else name
        suite = self.suites[-1] if self.suites else ""
        if len(el) == 0 and "status" not in a:  # the common case: a plain pass
            seen = self.seen
            if test_id in seen:
                test_id = self._unique(test_id)
            seen[test_id] = len(self.rows)
            # tuple.__new__ skips NamedTuple's Python-level __new__: this runs once per test.
            self.rows.append(
                _new_row(CaseRow, (test_id, name, classname, suite, _PASSED, duration, file, line))
            )
            return
        problems: list[Problem] = []
        reruns: list[Problem] = []
        props: list[tuple[str, str]] = []
        stdout = stderr = ""
        for child in el:
            tag = child.tag
            kind = _PROBLEM_TAGS.get(tag) if isinstance(tag, str) else None
            if kind is not None:
                text = child.text or ""
                for sub in child:  # Surefire's rerun/flaky elements nest <stackTrace>
                    if sub.tag == "stackTrace" and sub.text:
                        text = sub.text
                c = child.attrib
                message = c.get("message") or ""
                problem = Problem(
                    kind,
                    type=c.get("type") or "",
                    message=clip_text(message, 4096),
                    text=clip_text(text),
                    phase=_pytest_phase(kind, message),
                )
                if kind in _FINAL_KINDS:
                    problems.append(problem)
                else:
                    reruns.append(problem)
            elif tag == "system-out":
                stdout = clip_text(child.text or "")
            elif tag == "system-err":
                stderr = clip_text(child.text or "")
            elif tag == "properties":
                props.extend((p.get("name") or "", p.get("value") or (p.text or "")) for p in child)
        if classname == _JEST_SUITE_ERROR:
            problems = [replace(p, phase="collection") for p in problems]
        outcome, counted = _decide(problems, a.get("status", ""))
        earlier = self.seen.get(test_id)
        if earlier is not None and classname == _JEST_SUITE_ERROR:
            # jest-junit writes a suite that failed to load twice (<error>, then <failure>):
            # one error, as jest's "Test Suites: 1 failed" counts it.
            extra = self.pending_details.setdefault(earlier, {})
            extra["problems"] = (*extra.get("problems", ()), *problems)
            return
        if (
            earlier is not None
            and counted == (Outcome.PASSED, Outcome.ERROR)
            and self.rows[earlier].outcome is Outcome.FAILED
        ):
            # pytest: failed call, then a second element for the teardown error of the same test.
            self._merge_teardown(earlier, problems, stdout, stderr)
            return
        if earlier is not None:
            test_id = self._unique(test_id)
        index = len(self.rows)
        self.seen[test_id] = index
        self.rows.append(CaseRow(test_id, name, classname, suite, outcome, duration, file, line))
        self.pending_details[index] = {
            "counted_as": counted,
            "problems": tuple(problems),
            "reruns": tuple(reruns),
            "properties": tuple(props),
            "stdout": stdout,
            "stderr": stderr,
        }

    def _unique(self, test_id: str) -> str:
        # Same name twice in one file (jest titles, a repeated go subtest): still two tests.
        n = 2
        while f"{test_id} #{n}" in self.seen:
            n += 1
        return f"{test_id} #{n}"

    def _merge_teardown(
        self, index: int, problems: list[Problem], stdout: str, stderr: str
    ) -> None:
        extra = self.pending_details.setdefault(index, {})
        extra["problems"] = (*extra.get("problems", ()), *problems)
        extra["counted_as"] = (Outcome.FAILED, Outcome.ERROR)
        if stdout and not extra.get("stdout"):
            extra["stdout"] = stdout
        if stderr and not extra.get("stderr"):
            extra["stderr"] = stderr

    def comment(self, text: str) -> None:
        match = _NODE_COMMENT.match(text or "")
        if match:
            self.fmt = "junit-node"
            self.declared[f"node_{match.group(1)}"] = int(match.group(2))

    def build(self) -> SuiteRun:
        if not self.root_tag:
            raise ReportParseError(
                self.path, "root element is not a JUnit <testsuites> or <testsuite>", line=1
            )
        if self.root_tag == "testsuites":
            own = {attr: _as_int(self.root_attrib.get(attr)) for attr in _COUNT_ATTRS}
            if any(v is not None for v in own.values()):
                self.declared = {k: v for k, v in own.items() if v is not None}
        rows = self.rows
        details: dict[str, TestCase] = {}
        pytest_like = False
        for index, extra in self.pending_details.items():
            row = rows[index]
            nodeid = pytest_nodeid(row.classname, row.name, row.file) if row.file else ""
            pytest_like = pytest_like or bool(nodeid)
            details[row.test_id] = TestCase(
                test_id=row.test_id,
                name=row.name,
                classname=row.classname,
                suite=row.suite,
                outcome=row.outcome,
                duration=row.duration,
                file=row.file,
                line=row.line,
                source=self.path,
                nodeid=nodeid,
                **extra,
            )
        run_counts = SuiteRun(rows=tuple(rows), details=details).counts
        for attr, have in (("errors", run_counts.errors), ("failures", run_counts.failed)):
            said = self.declared.get(attr)
            if said is not None and said > have and not any(c.reruns for c in details.values()):
                self.warnings.append(
                    f"{self.path}: the file declares {said} {attr} but has testcases for {have} "
                    "(a package or suite that did not build or load leaves no testcase)"
                )
        fmt = self.fmt
        if fmt == "junit" and (pytest_like or self.root_attrib.get("name") == "pytest tests"):
            fmt = "junit-pytest"
        return SuiteRun(
            rows=tuple(rows),
            details=details,
            sources=(self.path,),
            fmt=fmt,
            declared=self.declared,
            warnings=tuple(self.warnings),
        )


def _pytest_phase(kind: ProblemKind, message: str) -> str:
    if kind is ProblemKind.ERROR:
        if message.startswith("failed on setup with"):
            return "setup"
        if message.startswith("failed on teardown with"):
            return "teardown"
        if message == "collection failure":
            return "collection"
    return ""


def _decide(problems: list[Problem], status: str) -> tuple[Outcome, tuple[Outcome, ...]]:
    kinds = [p.kind for p in problems]
    if ProblemKind.FAILURE in kinds:
        if ProblemKind.ERROR in kinds:
            return Outcome.FAILED, (Outcome.FAILED, Outcome.ERROR)
        return Outcome.FAILED, (Outcome.FAILED,)
    if ProblemKind.ERROR in kinds:
        if any(p.phase == "teardown" for p in problems):
            return Outcome.ERROR, (Outcome.PASSED, Outcome.ERROR)
        return Outcome.ERROR, (Outcome.ERROR,)
    for p in problems:
        if p.kind is ProblemKind.SKIPPED:
            if p.type == "pytest.xfail":
                return Outcome.XFAILED, (Outcome.XFAILED,)
            if p.message == "xfail-marked test passes unexpectedly":
                return Outcome.XPASSED, (Outcome.XPASSED,)
            return Outcome.SKIPPED, (Outcome.SKIPPED,)
    if status.lower() in _SKIP_STATUS:
        return Outcome.SKIPPED, (Outcome.SKIPPED,)
    return Outcome.PASSED, (Outcome.PASSED,)


def _open(source: str | os.PathLike[str] | IO[bytes] | IO[str]) -> tuple[IO[Any], str, bool]:
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            return open(path, "rb"), path, True
        except OSError as exc:
            raise ReportParseError(path, f"cannot open: {exc.strerror or exc}") from exc
    name = getattr(source, "name", None)
    return source, name if isinstance(name, str) else "<stream>", False


def _events(stream: io.RawIOBase, safe: bool) -> Iterator[tuple[str, Any]]:
    if safe:
        events: Iterator[tuple[str, Any]] = DET.iterparse(
            stream, events=("start", "end", "comment")
        )
        return events
    return ET.iterparse(stream, events=("start", "end", "comment"))


def parse_junit(source: str | os.PathLike[str] | IO[bytes], *, name: str | None = None) -> SuiteRun:
    """Parse one JUnit XML file (path or binary stream) into a ``SuiteRun``.

    Raises ``ReportParseError`` (with the line, when the parser knows it) for anything that is not
    well-formed JUnit XML, and for documents that declare entities or external references.
    """
    stream, path, owned = _open(source)
    path = name or path
    try:
        first = stream.read(_PEEK)
        if isinstance(first, str):  # a text stream: encode so both parsers see bytes
            stream = io.BytesIO((first + stream.read()).encode("utf-8"))
            first = stream.read(_PEEK)
        head: bytes = first
        if not head.strip():
            raise ReportParseError(path, "empty file, expected JUnit XML", line=1)
        body = _Chained(head, stream)
        reader = _Reader(path)
        first_tag = ""
        try:
            for event, el in _events(body, _needs_defused(head)):
                tag = el.tag
                if event == "end":
                    if tag == "testcase":
                        reader.add_case(el)
                        el.clear()
                    elif tag in _SUITE_TAGS:
                        reader.end_suite(el)
                elif event == "start":
                    if not first_tag:
                        first_tag = tag if isinstance(tag, str) else "?"
                        if tag not in _SUITE_TAGS:
                            raise ReportParseError(
                                path,
                                f"root element is <{first_tag}>, "
                                "not a JUnit <testsuites> or <testsuite>",
                                line=1,
                            )
                    if tag in _SUITE_TAGS:
                        reader.start_suite(el)
                else:
                    reader.comment(el.text or "")
        except ET.ParseError as exc:
            line = exc.position[0] if getattr(exc, "position", None) else None
            reason = str(exc).split(": line")[0]
            raise ReportParseError(path, f"not well-formed XML: {reason}", line=line) from exc
        except DefusedXmlException as exc:
            raise ReportParseError(path, f"refused unsafe XML: {exc}") from exc
        except (ValueError, UnicodeError, LookupError) as exc:
            raise ReportParseError(path, f"cannot decode: {exc}") from exc
        return reader.build()
    finally:
        if owned:
            stream.close()


class _Chained(io.RawIOBase):
    """A binary stream that first returns ``head`` and then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: IO[Any]) -> None:
        self._head = memoryview(head)
        self._tail = tail
        self.name = getattr(tail, "name", "<stream>")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._tail.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        return n
