"""Stream JUnit XML into a ``SuiteRun``: pytest (xunit1, xunit2), node's test runner, jest-junit,
Maven Surefire (with ``rerunFailure``/``flakyFailure``/``rerunError``/``flakyError``) and gotestsum.

The file is fed to expat in chunks and the ``<testcase>`` elements closed by each chunk become
rows (``netra_diag.suites.junit_cases``), so a huge report never sits in memory as a tree and long
texts are clipped while they stream (``netra_diag.suites.xmlstream``, which also refuses entity
expansion and external entities).

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

import codecs
import mmap
import os
from typing import IO, Any
from xml.parsers import expat

from defusedxml.common import DefusedXmlException

from netra_diag.errors import NotResultsFile, ReportParseError
from netra_diag.suites.background import SPAWN_MIN_BYTES, BackgroundCall
from netra_diag.suites.gc_pause import pause_gc
from netra_diag.suites.junit_cases import (
    SUITE_TAGS,
    CaseCollector,
    FailureSink,
    pytest_nodeid,
    suite_path,
)
from netra_diag.suites.junit_children import TEXT_TAGS, Child, Kids, kids_of
from netra_diag.suites.junit_scan import BulkScan
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.xmlcheck import check_open_file, check_xml
from netra_diag.suites.xmlstream import (
    MAX_TEXT,
    TextBuffer,
    clip_text,
    refusal_reason,
    secure_parser,
)

__all__ = ["MAX_TEXT", "clip_text", "looks_like_junit", "parse_junit", "pytest_nodeid"]

_CHUNK = 256 * 1024
# Files this size or larger are read in bulk (netra_diag.suites.junit_scan) when they are plain
# enough: below it the streaming reader takes a few milliseconds anyway.
BULK_MIN_BYTES = 1 << 20
# The bulk reader holds one window of the file at a time; a testcase larger than the upper bound
# (a huge captured output) sends the file to the streaming reader, which clips it as it goes.
_WINDOW = 1 << 20
_WINDOW_LARGE = 8 << 20
_WINDOW_MAX = 64 << 20
_decode = codecs.getdecoder("utf-8")
_decode_first = codecs.getdecoder("utf-8-sig")  # a byte order mark may open the file


def looks_like_junit(head: bytes) -> bool:
    """True if the first bytes of a file look like XML rather than JSON."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff"))


class _StreamReader:
    """expat callbacks that collect closed testcases for a ``CaseCollector``; one per file.

    The handlers do little per element: a testcase's attributes go to ``batch`` (its children,
    if it has any, to ``batch_kids``), and ``flush`` hands the closed ones over after each chunk.
    """

    def __init__(self, path: str, parser: Any, on_failures: FailureSink | None = None) -> None:
        self.parser = parser
        self.out = CaseCollector(path, on_failures)
        self.suites: list[tuple[str, dict[str, str]]] = []
        self.suite_name = ""
        self.batch: list[dict[str, str]] = []  # attributes of testcases not yet rows
        self.batch_kids: dict[int, list[Child]] = {}  # batch index -> that testcase's children
        self.in_case = False  # a testcase is open
        self.children: list[Child] = []  # of the open testcase, once it has any
        self.depth = 0  # element depth inside the open testcase

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if self.in_case:
            self.depth += 1
            if self.depth == 1:
                child = Child(tag, attrs)
                if not self.children:
                    self.children = self.batch_kids[len(self.batch) - 1] = []
                self.children.append(child)
                if tag in TEXT_TAGS:
                    text = child.text = TextBuffer()
                    self.parser.CharacterDataHandler = text.append
            elif self.depth == 2:
                parent = self.children[-1]
                if tag == "property":
                    parent.props.append((attrs.get("name", ""), attrs.get("value", "")))
                elif tag == "stackTrace":
                    stack = parent.stack = TextBuffer()
                    self.parser.CharacterDataHandler = stack.append
                else:
                    self.parser.CharacterDataHandler = None
            return
        if tag == "testcase":
            self.batch.append(attrs)
            self.in_case = True
            if self.children:
                self.children = []
            return
        out = self.out
        if tag in SUITE_TAGS:
            self.flush()
            if not out.root_tag:
                out.root_tag, out.root_attrs = tag, attrs
            top = not self.suites or (len(self.suites) == 1 and out.root_tag == "testsuites")
            if tag == "testsuite" and top:
                out.add_suite_counts(attrs)
            out.note_suite(tag, attrs)
            self.suites.append((tag, attrs))
            self.suite_name = attrs.get("name", "")
        elif not out.root_tag:
            raise NotResultsFile(
                out.path,
                f"root element is <{tag}>, not a JUnit <testsuites> or <testsuite>",
                line=self.parser.CurrentLineNumber,
            )

    def end(self, tag: str) -> None:
        if self.in_case:
            if self.depth == 0:  # the testcase itself
                self.in_case = False
                return
            self.depth -= 1
            if self.depth == 1:
                # back in a depth-1 element (after its <stackTrace>): resume its own text
                text = self.children[-1].text
                self.parser.CharacterDataHandler = (
                    text.append if isinstance(text, TextBuffer) else None
                )
            elif self.depth == 0:
                self.parser.CharacterDataHandler = None
            return
        if tag in SUITE_TAGS:
            self.flush()
            self.suites.pop()
            self.suite_name = self.suites[-1][1].get("name", "") if self.suites else ""

    def flush(self) -> None:
        """Hand every closed testcase of ``batch`` to the collector."""
        batch = self.batch
        n = len(batch) - self.in_case  # the open one, if any, is not complete yet
        if n <= 0:
            return
        cases, kids = batch[:n], self.batch_kids
        del batch[:n]
        self.batch_kids = {}
        if self.in_case and n in kids:
            self.batch_kids[0] = kids.pop(n)
        ready: dict[int, Kids] = {i: kids_of(children) for i, children in kids.items()}
        self.out.at_suite_path(suite_path(self.suites))
        self.out.add_batch(cases, ready, self.suite_name)

    def build(self) -> SuiteRun:
        if not self.out.root_tag:
            raise ReportParseError(self.out.path, "no <testsuites> or <testsuite> element", line=1)
        return self.out.build()


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
    source: str | os.PathLike[str] | IO[bytes] | IO[str],
    *,
    name: str | None = None,
    on_failures: FailureSink | None = None,
) -> SuiteRun:
    """Parse one JUnit XML file (path, binary or text stream) into a ``SuiteRun``.

    Raises ``ReportParseError`` (with the line, when the parser knows it) for anything that is not
    well-formed JUnit XML, and for documents that declare entities or external references.
    """
    if isinstance(source, str | os.PathLike):
        run = _read_in_bulk(os.fspath(source), name or os.fspath(source), on_failures)
        if run is not None:
            return run
    stream, path, owned = _open(source)
    path = name or path
    try:
        with pause_gc():
            return _parse_stream(stream, path, on_failures)
    finally:
        if owned:
            stream.close()


def _read_in_bulk(path: str, label: str, on_failures: FailureSink | None) -> SuiteRun | None:
    """The run in file ``path`` read by the bulk reader, or None when it is not for that reader:
    too small to be worth it, not UTF-8, not plain (``netra_diag.suites.xmlcheck``), not of a
    shape it handles, or malformed or hostile, which the streaming reader then reports."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 (held open for the checker: see below)
    except OSError:
        return None  # the streaming reader says what is wrong
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if size < BULK_MIN_BYTES:
                return None
            # Mapped, not read: the windows are decoded straight from the file's pages.
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
        with data, pause_gc():
            scan, plain, tags = _scan_and_check(fh.fileno(), data, size, label, on_failures)
    if not plain or scan is None or scan.tags != tags:
        return None
    return scan.finish()


def _scan_and_check(
    fd: int, data: mmap.mmap, size: int, label: str, on_failures: FailureSink | None
) -> tuple[BulkScan | None, bool, int]:
    """The bulk reader's scan and expat's check (``check_xml``) of the file open as ``fd``.

    expat checks the file in a helper process, on the second core, while this process reads it
    (the helper is handed the open descriptor, so it checks the very file read here). Where no
    helper can run, or starting a fresh interpreter would cost more than it saves, the check
    comes first, and a file that fails it is never read in bulk."""
    check = BackgroundCall(check_open_file, fd, spawn=size >= SPAWN_MIN_BYTES, pass_fds=(fd,))
    if not check.apart:
        plain, tags = check_xml(data)
        return (_scan(data, label, on_failures) if plain else None), plain, tags
    try:
        scan = _scan(data, label, on_failures)
    except BaseException:
        check.cancel()
        raise
    found = check.result()
    plain, tags = found if found is not None else check_xml(data)
    return scan, plain, tags


def _scan(data: mmap.mmap, label: str, on_failures: FailureSink | None) -> BulkScan | None:
    """The bulk reader's scan of ``data``, fed window by window, each window ending where a
    ``<testcase`` tag starts (a window of one large testcase may be larger); None when the file
    is not UTF-8, or has a testcase too large to hold."""
    scan = BulkScan(label, on_failures)
    size = len(data)
    window = min(max(size // 8, _WINDOW), _WINDOW_LARGE)
    view = memoryview(data)
    try:
        begin = 0
        while begin < size:
            end = begin + window
            if end < size:
                end = data.rfind(b"<testcase", begin + 1, end)
                if end < 0:  # one testcase larger than a window: read on to the next one
                    end = data.find(b"<testcase", begin + window)
                    end = size if end < 0 else end
            else:
                end = size
            if end - begin > _WINDOW_MAX:
                return None
            try:
                text = [(_decode if begin else _decode_first)(view[begin:end], "strict")[0]]
            except UnicodeDecodeError:
                return None
            if not scan.feed(text):
                break
            begin = end
    finally:
        view.release()
    return scan


def _parse_stream(stream: IO[Any], path: str, on_failures: FailureSink | None) -> SuiteRun:
    parser = secure_parser()
    reader = _StreamReader(path, parser, on_failures)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CommentHandler = reader.out.add_comment
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
            reader.flush()
        if not seen_bytes:
            raise ReportParseError(path, "empty file, expected JUnit XML", line=1)
        parser.Parse(b"", True)
        reader.flush()
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise ReportParseError(path, f"not well-formed XML: {reason}", line=exc.lineno) from exc
    except DefusedXmlException as exc:
        line = parser.CurrentLineNumber
        raise ReportParseError(
            path, f"refused unsafe XML: {refusal_reason(exc)}", line=line
        ) from exc
    except (UnicodeError, LookupError, ValueError) as exc:
        raise ReportParseError(path, f"cannot decode: {type(exc).__name__}: {exc}") from exc
    except RecursionError as exc:
        raise ReportParseError(path, "elements nested too deeply") from exc
    return reader.build()
