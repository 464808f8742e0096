"""The fast JUnit reader: ElementTree's C parser builds each chunk's elements, Python reads only
the testcases that closed.

Per element, expat's Python callbacks cost more than the whole C parse; here the C parser
(``xml.etree.ElementTree.XMLPullParser``) builds elements without calling back, and after each
chunk the closed testcases are handed to ``CaseCollector`` in one batch and deleted, so memory
stays flat. The open ones are those on the tree's right edge (the last child of the root, its last
child, …): everything left of it has closed.

Safety and exactness come first: ``PrologGuard`` reads the prolog with defusedxml's guards before
the C parser sees it, and whenever this reader meets something it does not read exactly as the
streaming reader of ``netra_diag.suites.junit`` does, ``read_tree`` returns None and the caller
reads the input again with that one: a parse error or refused prolog (so the error, its reason and
line come from one place), a root that is not a suite, a chunk without a single ``<`` (a text
run so long that the C parser would hold it whole; the streaming reader clips it as it streams),
names in an XML namespace (the C parser spells them ``{uri}name``), nesting deeper than
``_MAX_DEPTH``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from itertools import compress
from operator import attrgetter
from typing import IO, Any

from netra_diag.suites.junit_cases import SUITE_TAGS, TEXT_TAGS, CaseCollector, Child
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.xmlstream import PrologGuard, clip_text

__all__ = ["read_tree"]

_MAX_DEPTH = 64
_TESTCASE = "testcase"
_tag = attrgetter("tag")
_attrib = attrgetter("attrib")


class _GiveUp(Exception):
    """This input is for the streaming reader."""


def read_tree(stream: IO[Any], path: str, chunk_size: int) -> SuiteRun | None:
    """Read a JUnit file with the C parser; None if the streaming reader must read it instead."""
    guard = PrologGuard()
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "comment"))
    walker = _Walker(path)
    try:
        while True:
            chunk = stream.read(chunk_size)
            if not chunk:
                break
            if isinstance(chunk, str):  # a text stream: as the streaming reader does
                chunk = chunk.encode("utf-8")
            if len(chunk) >= chunk_size and b"<" not in chunk:
                return None  # inside a text (or attribute, or comment) longer than a chunk
            if not guard.feed(chunk):
                return None
            parser.feed(chunk)
            walker.take(parser.read_events(), guard.root)
            walker.step(final=False)
        if guard.root is None:
            return None  # empty, or no element: the streaming reader says which
        parser.close()
        walker.take(parser.read_events(), guard.root)
        walker.step(final=True)
    except (SyntaxError, UnicodeError, LookupError, ValueError, _GiveUp):
        # ET.ParseError is a SyntaxError; the others are the encodings the C parser refuses.
        return None
    return walker.build()


class _Walker:
    """Hands the closed testcases of the tree built so far to a ``CaseCollector``."""

    def __init__(self, path: str) -> None:
        self.out = CaseCollector(path)
        self.root: ET.Element | None = None
        self.batch: list[dict[str, str]] = []
        self.batch_kids: dict[int, Sequence[Child]] = {}
        self.batch_suite = ""

    def take(self, events: Iterable[tuple[Any, ...]], root_tag: str | None) -> None:
        """The parser's events since the last call: comments, and the root element."""
        for event, elem in events:
            if event == "comment":
                self.out.add_comment(elem.text or "")
            elif self.root is None:
                # The guard read the same start tag without namespaces; a difference means one.
                if elem.tag != root_tag or elem.tag not in SUITE_TAGS:
                    raise _GiveUp
                self.root = elem
                out = self.out
                out.root_tag, out.root_attrs = elem.tag, elem.attrib
                if elem.tag == "testsuite":  # a lone testsuite is the top-level one
                    out.add_suite_counts(elem.attrib)

    def step(self, *, final: bool) -> None:
        """Read every closed element (all, when ``final``) and drop it from the tree."""
        elem = self.root
        if elem is None:
            return
        suite, depth = elem.get("name", ""), 1  # the suite around elem's children, suites open
        for _ in range(_MAX_DEPTH):
            closed = len(elem) if final else len(elem) - 1
            if closed > 0:
                self._visit_all(elem[:closed], suite, depth, 0)
                del elem[:closed]
            if final or not len(elem):
                break
            elem = elem[-1]  # may still be open: read what it holds so far
            tag = elem.tag
            if tag == _TESTCASE:
                break
            if tag[:1] == "{":
                raise _GiveUp
            if tag in SUITE_TAGS:
                suite, depth = elem.get("name", ""), depth + 1
        else:
            raise _GiveUp
        self._flush()

    def _visit_all(self, elems: list[ET.Element], suite: str, depth: int, nesting: int) -> None:
        """Closed sibling elements inside the root: ``depth`` suites are open around them."""
        if all(map(_TESTCASE.__eq__, map(_tag, elems))):  # the usual case: a run of testcases
            if suite != self.batch_suite:
                self._flush()
                self.batch_suite = suite
            base = len(self.batch)
            for i in compress(range(len(elems)), map(len, elems)):
                self.batch_kids[base + i] = [_read_child(c) for c in elems[i]]
            self.batch += map(_attrib, elems)
            return
        for elem in elems:
            self._visit(elem, suite, depth, nesting)

    def _visit(self, elem: ET.Element, suite: str, depth: int, nesting: int) -> None:
        """A closed element inside the root: ``depth`` suites are open around it."""
        tag = elem.tag
        if tag == _TESTCASE:
            self._visit_all([elem], suite, depth, nesting)
            return
        if tag[:1] == "{" or nesting >= _MAX_DEPTH:
            raise _GiveUp
        if tag in SUITE_TAGS:
            out = self.out
            top = depth == 0 or (depth == 1 and out.root_tag == "testsuites")
            if tag == "testsuite" and top:
                out.add_suite_counts(elem.attrib)
            self._visit_all(list(elem), elem.get("name", ""), depth + 1, nesting + 1)
        else:  # an element the reader does not know: testcases inside it still count
            self._visit_all(list(elem), suite, depth, nesting + 1)

    def _flush(self) -> None:
        if self.batch:
            self.out.add_batch(self.batch, self.batch_kids, self.batch_suite)
            self.batch, self.batch_kids = [], {}

    def build(self) -> SuiteRun:
        self._flush()
        return self.out.build()


def _read_child(elem: ET.Element) -> Child:
    """A testcase's child as the streaming reader sees it (``junit._StreamReader``): the text of
    a failure/error/skip/output element with its grandchildren's tails and the text inside its
    ``<property>`` grandchildren, but not the text inside others; a ``<stackTrace>``'s text."""
    tag = elem.tag
    if tag[:1] == "{":
        raise _GiveUp
    keeps_text = tag in TEXT_TAGS
    if not len(elem):
        return Child(tag, elem.attrib, clip_text(elem.text or "") if keeps_text else None)
    parts = [elem.text or ""]
    stack: str | None = None
    props: list[tuple[str, str]] = []
    for sub in elem:
        sub_tag = sub.tag
        if sub_tag[:1] == "{":
            raise _GiveUp
        if sub_tag == "property":
            props.append((sub.get("name", ""), sub.get("value", "")))
            if keeps_text:
                parts.append("".join(sub.itertext()))
        elif sub_tag == "stackTrace":
            stack = clip_text("".join(sub.itertext()))
        if sub.tail:
            parts.append(sub.tail)
    return Child(tag, elem.attrib, clip_text("".join(parts)) if keeps_text else None, stack, props)
