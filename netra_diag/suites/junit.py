"""Stream JUnit XML into a ``SuiteRun``: pytest (xunit1, xunit2), node's test runner, jest-junit,
Maven Surefire (with ``rerunFailure``/``flakyFailure``/``rerunError``/``flakyError``) and gotestsum.

The file is fed to expat in chunks and each ``<testcase>`` becomes a row as soon as it closes, so
a huge report never sits in memory as a tree and long texts are clipped while they stream
(``netra_diag.suites.xmlstream``, which also refuses entity expansion and external entities).

Runner conventions that decide counts (so they equal the runner's own summary):

- pytest writes an xfail as ``<skipped type="pytest.xfail">`` (counted ``xfailed``); a non-strict
  xpass is indistinguishable from a pass in JUnit (pytest-json tells them apart).
- pytest writes a test whose call passed and whose teardown raised as one testcase with an
  ``<error message="failed on teardown with ...">`` and counts it "1 passed, 1 error"; a failed
  call followed by a teardown error is two testcase elements with the same name ("1 failed,
  1 error"). Both are merged into one test here, counted in both buckets.
- A collection error is an ``<error message="collection failure">`` testcase: counted as an error.
- Surefire's ``flakyFailure`` inside a passing testcase is a pass after a failed attempt.
- jest-junit writes a suite that failed to load as two testcases named after the file, classname
  "Test suite failed to run" (an ``<error>``, then a ``<failure>``): one error.
- node's reporter states its totals in comments (``<!-- pass 2 -->``); they land in ``declared``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from typing import IO, Any
from xml.parsers import expat

from defusedxml.common import DefusedXmlException

from netra_diag.errors import ReportParseError
from netra_diag.suites.model import CaseRow, Outcome, Problem, ProblemKind, SuiteRun, TestCase
from netra_diag.suites.xmlstream import MAX_TEXT, TextBuffer, clip_text, secure_parser

__all__ = ["MAX_TEXT", "clip_text", "looks_like_junit", "parse_junit", "pytest_nodeid"]

_PROBLEM_TAGS = {k.value: k for k in ProblemKind}
_FINAL_KINDS = frozenset({ProblemKind.FAILURE, ProblemKind.ERROR, ProblemKind.SKIPPED})
_SUITE_TAGS = frozenset({"testsuite", "testsuites"})
_TEXT_TAGS = frozenset({*_PROBLEM_TAGS, "system-out", "system-err"})
_PASSED = Outcome.PASSED
_JEST_SUITE_ERROR = "Test suite failed to run"
_new_row = tuple.__new__  # skips NamedTuple's Python-level __new__: runs once per test
_COUNT_ATTRS = ("tests", "failures", "errors", "skipped", "disabled")
_NODE_COMMENT = re.compile(r"^\s*(tests|suites|pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$")
_SKIP_STATUS = frozenset({"skipped", "disabled", "notrun", "ignored"})
_CHUNK = 256 * 1024


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
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _as_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _as_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:  # Surefire writes "1,234.5" under some locales
            return float(value.replace(",", ""))
        except ValueError:
            return None


class _Child:
    """One element inside an open testcase (failure, system-out, properties, …)."""

    __slots__ = ("attrs", "props", "stack", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.text: TextBuffer | None = None
        self.stack: TextBuffer | None = None  # Surefire's <stackTrace> inside rerun/flaky
        self.props: list[tuple[str, str]] = []


class _Reader:
    """expat callbacks that turn elements into rows and details; one instance per file."""

    def __init__(self, path: str, parser: Any) -> None:
        self.path = path
        self.parser = parser
        self.rows: list[CaseRow] = []
        self.seen: dict[str, int] = {}
        self.declared: dict[str, int] = {}
        self.warnings: list[str] = []
        self.fmt = "junit"
        self.pending: dict[int, dict[str, Any]] = {}
        self.suites: list[tuple[str, dict[str, str]]] = []
        self.suite_name = ""
        self.root_tag = ""
        self.root_attrs: dict[str, str] = {}
        self.case: dict[str, str] | None = None  # attributes of the open testcase
        self.children: list[_Child] = []
        self.depth = 0  # element depth inside the open testcase

    # -- expat handlers -------------------------------------------------------------------
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.case is not None:
            self.depth += 1
            if self.depth == 1:
                child = _Child(tag, attrs)
                self.children.append(child)
                if tag in _TEXT_TAGS:
                    child.text = TextBuffer()
                    self.parser.CharacterDataHandler = child.text.append
            elif self.depth == 2 and self.children:
                parent = self.children[-1]
                if tag == "property":
                    parent.props.append((attrs.get("name", ""), attrs.get("value", "")))
                elif tag == "stackTrace":
                    parent.stack = TextBuffer()
                    self.parser.CharacterDataHandler = parent.stack.append
                else:
                    self.parser.CharacterDataHandler = None
            return
        if tag == "testcase":
            self.case = attrs
            self.children = []
            self.depth = 0
        elif tag in _SUITE_TAGS:
            if not self.root_tag:
                self.root_tag, self.root_attrs = tag, attrs
            self.suites.append((tag, attrs))
            self.suite_name = attrs.get("name", "")
        elif not self.root_tag:
            raise ReportParseError(
                self.path,
                f"root element is <{tag}>, not a JUnit <testsuites> or <testsuite>",
                line=self.parser.CurrentLineNumber,
            )

    def end(self, tag: str) -> None:
        if self.case is not None:
            if self.depth == 0:  # the testcase itself
                self._add_case(self.case)
                self.case = None
                return
            self.depth -= 1
            if self.depth == 1 and self.children:
                # back in a depth-1 element (after its <stackTrace>): resume its own text
                text = self.children[-1].text
                self.parser.CharacterDataHandler = text.append if text is not None else None
            elif self.depth == 0:
                self.parser.CharacterDataHandler = None
            return
        if tag in _SUITE_TAGS:
            _, attrs = self.suites.pop()
            self.suite_name = self.suites[-1][1].get("name", "") if self.suites else ""
            top = not self.suites or (len(self.suites) == 1 and self.root_tag == "testsuites")
            if tag == "testsuite" and top:
                for attr in _COUNT_ATTRS:
                    value = _as_int(attrs.get(attr))
                    if value is not None:
                        self.declared[attr] = self.declared.get(attr, 0) + value

    def comment(self, text: str) -> None:
        match = _NODE_COMMENT.match(text)
        if match:
            self.fmt = "junit-node"
            self.declared[f"node_{match.group(1)}"] = int(match.group(2))

    # -- testcases --------------------------------------------------------------------------
    def _add_case(self, a: dict[str, str]) -> None:
        name = a.get("name") or ""
        classname = a.get("classname") or a.get("class") or ""
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
        if not self.children and "status" not in a:  # the common case: a plain pass
            if test_id in self.seen:
                test_id = self._unique(test_id)
            self.seen[test_id] = len(self.rows)
            self.rows.append(
                _new_row(
                    CaseRow,
                    (
                        test_id,
                        name,
                        classname,
                        self.suite_name,
                        _PASSED,
                        duration,
                        a.get("file") or "",
                        line,
                    ),
                )
            )
            return
        problems, reruns, props, stdout, stderr = _read_children(self.children)
        if classname == _JEST_SUITE_ERROR:
            problems = [replace(p, phase="collection") for p in problems]
        outcome, counted = _decide(problems, a.get("status", ""))
        earlier = self.seen.get(test_id)
        if earlier is not None and (
            classname == _JEST_SUITE_ERROR
            or (
                counted == (Outcome.PASSED, Outcome.ERROR)
                and self.rows[earlier].outcome is Outcome.FAILED
            )
        ):
            self._merge_into(earlier, problems, stdout, stderr, jest=classname == _JEST_SUITE_ERROR)
            return
        if earlier is not None:
            test_id = self._unique(test_id)
        index = len(self.rows)
        self.seen[test_id] = index
        self.rows.append(
            CaseRow(
                test_id,
                name,
                classname,
                self.suite_name,
                outcome,
                duration,
                a.get("file") or "",
                line,
            )
        )
        self.pending[index] = {
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

    def _merge_into(
        self, index: int, problems: list[Problem], stdout: str, stderr: str, *, jest: bool
    ) -> None:
        """Fold a second element for the same test into the first (see the module docstring)."""
        extra = self.pending.setdefault(index, {})
        extra["problems"] = (*extra.get("problems", ()), *problems)
        if not jest:  # pytest: failed call + teardown error
            extra["counted_as"] = (Outcome.FAILED, Outcome.ERROR)
        extra["stdout"] = extra.get("stdout") or stdout
        extra["stderr"] = extra.get("stderr") or stderr

    def build(self) -> SuiteRun:
        if not self.root_tag:
            raise ReportParseError(self.path, "no <testsuites> or <testsuite> element", line=1)
        if self.root_tag == "testsuites":
            own = {attr: _as_int(self.root_attrs.get(attr)) for attr in _COUNT_ATTRS}
            if any(v is not None for v in own.values()):
                self.declared = {k: v for k, v in own.items() if v is not None}
        rows = self.rows
        details: dict[str, TestCase] = {}
        pytest_like = False
        for index, extra in self.pending.items():
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
        run = SuiteRun(rows=tuple(rows), details=details)
        counts = run.counts
        for attr, have in (("errors", counts.errors), ("failures", counts.failed)):
            said = self.declared.get(attr)
            if said is not None and said > have and not any(c.reruns for c in details.values()):
                self.warnings.append(
                    f"{self.path}: the file declares {said} {attr} but has testcases for {have} "
                    "(a package or suite that did not build or load leaves no testcase)"
                )
        fmt = self.fmt
        if fmt == "junit" and (pytest_like or self.root_attrs.get("name") == "pytest tests"):
            fmt = "junit-pytest"
        return replace(
            run,
            sources=(self.path,),
            fmt=fmt,
            declared=self.declared,
            warnings=tuple(self.warnings),
        )


def _read_children(
    children: list[_Child],
) -> tuple[list[Problem], list[Problem], list[tuple[str, str]], str, str]:
    problems: list[Problem] = []
    reruns: list[Problem] = []
    props: list[tuple[str, str]] = []
    stdout = stderr = ""
    for child in children:
        kind = _PROBLEM_TAGS.get(child.tag)
        if kind is not None:
            source = child.stack if child.stack is not None else child.text
            message = child.attrs.get("message") or ""
            problem = Problem(
                kind,
                type=child.attrs.get("type") or "",
                message=clip_text(message, 4096),
                text=source.value() if source is not None else "",
                phase=_pytest_phase(kind, message),
            )
            (problems if kind in _FINAL_KINDS else reruns).append(problem)
        elif child.tag == "system-out" and child.text is not None:
            stdout = child.text.value()
        elif child.tag == "system-err" and child.text is not None:
            stderr = child.text.value()
        elif child.tag == "properties":
            props.extend(child.props)
    return problems, reruns, props, stdout, stderr


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


def parse_junit(
    source: str | os.PathLike[str] | IO[bytes] | IO[str], *, name: str | None = None
) -> SuiteRun:
    """Parse one JUnit XML file (path, binary or text stream) into a ``SuiteRun``.

    Raises ``ReportParseError`` (with the line, when the parser knows it) for anything that is not
    well-formed JUnit XML, and for documents that declare entities or external references.
    """
    stream, path, owned = _open(source)
    path = name or path
    parser = secure_parser()
    reader = _Reader(path, parser)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CommentHandler = reader.comment
    seen_bytes = False
    try:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            if isinstance(chunk, str):  # a text stream: expat wants one encoding throughout
                chunk = chunk.encode("utf-8")
            seen_bytes = seen_bytes or bool(chunk.strip())
            parser.Parse(chunk, False)
        if not seen_bytes:
            raise ReportParseError(path, "empty file, expected JUnit XML", line=1)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise ReportParseError(path, f"not well-formed XML: {reason}", line=exc.lineno) from exc
    except DefusedXmlException as exc:
        line = parser.CurrentLineNumber
        raise ReportParseError(path, f"refused unsafe XML: {exc}", line=line) from exc
    except (UnicodeError, LookupError, ValueError) as exc:
        raise ReportParseError(path, f"cannot decode: {type(exc).__name__}: {exc}") from exc
    except RecursionError as exc:
        raise ReportParseError(path, "elements nested too deeply") from exc
    finally:
        if owned:
            stream.close()
    return reader.build()
