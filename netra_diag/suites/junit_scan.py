"""Read a large JUnit file of the common shape in bulk, with C loops instead of one callback per
element.

expat calls back into Python for each element and each run of text: for a 100k-case report that
is most of the time of a whole triage. This reader cuts the decoded document into tags with one
regular expression ``split``, whose first alternative is the attribute layout of the file's first
``<testcase>`` (pytest writes ``classname name file line time`` in that order for every test), so
that the attributes of every testcase come out as columns (``CaseCollector.add_columns``). The
kinds of all tags make one string, one character per tag, which regular expressions read for the
structure: runs of empty testcases, testcases whose children have no elements inside (a failure
and its output), and the few tags in between. Only those few, and testcases of any other shape,
are looked at tag by tag.

It is exact for a document that expat accepts and that has no DOCTYPE, comment, CDATA section or
processing instruction besides the XML declaration: in such a document every ``<`` starts a tag
and every ``&`` a character or predefined entity reference, which is what makes splitting the text
the same as parsing it. The caller (``netra_diag.suites.junit``) makes sure of that by running
expat over the same bytes (``netra_diag.suites.xmlcheck``) and keeps this reader's result only
when expat agrees and counted as many ``<`` as this reader read tags. ``BulkScan.finish`` returns
None for any shape this reader does not handle (testcases in another attribute layout, a
``<testcase>`` in a testcase, a root that is not a suite), and the caller then uses the streaming
expat reader. Either way the result is the same ``SuiteRun``: tests/suites/test_suites_scan.py
checks that on generated documents.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import compress, repeat
from operator import is_not
from typing import TypeVar

from netra_diag.suites.junit_cases import SUITE_TAGS, CaseCollector, FailureSink, suite_path
from netra_diag.suites.junit_children import (
    Kids,
)
from netra_diag.suites.junit_scan_children import (
    Tokens,
    fix_values,
    flat_children,
    nested_kids,
    parse_attrs,
)
from netra_diag.suites.model import SuiteRun

__all__ = ["BulkScan", "scan_junit"]

# Attributes of a start tag in a well-formed document; values may hold ">" but never "<".
_ATTRS = r"""((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)"""
# One tag: end tag, or start / empty-element tag.
_TAG = re.compile(r"<(/?)([^\s/>]+)" + _ATTRS + r"\s*(/?)>")
# The layout of testcase attributes read as columns: separated by one space, in double quotes.
_PLAIN_ATTRS = re.compile(r'(?: [^\s=/>"\']+="[^"]*")+')
_PLAIN_NAME = re.compile(r' ([^\s=/>"\']+)="')
_TESTCASE = "<testcase"
# The kind of each tag, one character each: "t" an empty testcase, "T" a testcase start tag,
# "(" another start tag, "." another empty-element tag, ")" an end tag.
# By (the testcase's slash group, another start tag's): either is None; both for an end tag.
_KIND = {("/", None): "t", ("", None): "T", (None, "/"): ".", (None, ""): "("}
# What the kinds say: a run of empty testcases, a testcase whose children have nothing inside
# ("()" or "." each, then the testcase's end tag), or any other single tag.
_STEP = re.compile(r"t+|T(?:\(\)|\.)*\)|.")
_T = TypeVar("_T")
_DECLARATION = re.compile(r"<\?xml\s")


@lru_cache(maxsize=32)
def _tokens(names: tuple[str, ...]) -> re.Pattern[str]:
    """Tags, the testcase start tags in the ``names`` layout first (one group per attribute, and
    the empty-element slash); then end tags (name); then other start tags (name, attributes,
    slash)."""
    layout = "".join(f' {re.escape(name)}="([^"]*)"' for name in names)
    return re.compile(
        f"{_TESTCASE}{layout}\\s*(/?)>|</([^\\s/>]+)\\s*>|<([^\\s/>]+){_ATTRS}\\s*(/?)>"
    )


def _layout_at(text: str, start: int) -> tuple[str, ...] | None:
    """The attribute names of the testcase start tag at ``start``, if written in the plain
    layout (else None)."""
    tag = _TAG.match(text, start)
    if tag is None or tag[2] != "testcase" or not _PLAIN_ATTRS.fullmatch(tag[3]):
        return None
    names = tuple(_PLAIN_NAME.findall(tag[3]))
    return names if len(set(names)) == len(names) else None


class BulkScan:
    """One document read in bulk, window by window (``feed``, then ``finish``).

    A window is a piece of the decoded document that ends where a ``<testcase`` tag starts (or
    at the end): every window after the first starts with one, so that no testcase is cut. Only
    one window is held at a time, which keeps memory flat however large the report.
    ``tags`` counts the ``<`` read as tags (with the XML declaration's), which the caller
    compares with the number of ``<`` in the bytes.
    """

    def __init__(self, path: str, on_failures: FailureSink | None = None) -> None:
        self.out = CaseCollector(path, on_failures)
        self.suites: list[tuple[str, dict[str, str]]] = []
        self.suite_name = ""
        self.tags = 0
        self.layout: tuple[str, ...] | None = None
        self.windows = 0
        self.failed = False

    def feed(self, window: list[str]) -> bool:
        """Read the next window, the one item of ``window``: it is taken out, so that the text
        is freed as soon as it is split. False once the document turned out not to be of a
        shape this reader handles (the rest need not be read)."""
        if not self.failed:
            self.failed = not self._read(window)
        self.windows += 1
        return not self.failed

    def finish(self) -> SuiteRun | None:
        """The run, or None if the document was not of a shape this reader handles."""
        if self.failed or self.suites or not self.out.root_tag:
            return None  # (an unclosed suite, or no suite at all)
        return self.out.build()

    # -- tags outside testcases ---------------------------------------------------------------
    def _start(self, tag: str, attrs: str) -> bool:
        """A start tag outside testcases (as netra_diag.suites.junit._StreamReader.start)."""
        out = self.out
        if tag in SUITE_TAGS:
            values = parse_attrs(attrs)
            if not out.root_tag:
                out.root_tag, out.root_attrs = tag, values
            top = not self.suites or (len(self.suites) == 1 and out.root_tag == "testsuites")
            if tag == "testsuite" and top:
                out.add_suite_counts(values)
            out.note_suite(tag, values)
            self.suites.append((tag, values))
            self.suite_name = values.get("name", "")
            return True
        # Not JUnit, if it is the root: the streaming reader says so, with the line.
        return tag != "testcase" and bool(out.root_tag)

    def _end(self, tag: str) -> bool:
        if tag == "testcase" or (tag in SUITE_TAGS and not self.suites):
            return False
        if tag in SUITE_TAGS:
            self.suites.pop()
            self.suite_name = self.suites[-1][1].get("name", "") if self.suites else ""
        return True

    def _outside(self, text: str) -> bool:
        """A document without testcases: apply its tags."""
        tags = _TAG.findall(text)
        self.tags += len(tags)
        for slash, tag, attrs, empty in tags:
            if slash:
                if not self._end(tag):
                    return False
            elif not self._start(tag, attrs) or (empty and not self._end(tag)):
                return False
        return True

    # -- the document -------------------------------------------------------------------------
    def _read(self, window: list[str]) -> bool:
        text = window.pop()
        if "\r" in text:  # XML 1.0 §2.11: line ends are read as "\n"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        start = 0
        if not self.windows and _DECLARATION.match(text):
            start = text.find("?>") + 2
            if start < 2:
                return False
            self.tags = 1
        layout = self.layout
        if layout is None:
            first = text.find(_TESTCASE, start)
            if first < 0:
                return self._outside(text[start:])
            layout = self.layout = _layout_at(text, first)
            if layout is None:
                return False
        elif not text.startswith(_TESTCASE):
            return False  # not a window the caller cuts
        parts = _tokens(layout).split(text)
        del text  # the parts hold it all; one copy is enough
        width = len(layout) + 6  # the groups, and the text after the tag
        rows = (len(parts) - 1) // width
        self.tags += rows
        if parts[0][start:].strip():
            return False
        k = len(layout)
        testcases = parts[1 + k :: width]  # "/" or "" for a testcase, else None
        ends = parts[2 + k :: width]  # the name of an end tag
        names = parts[3 + k :: width]  # the name of another start tag
        if "testcase" in names:
            return False  # a testcase start tag in another layout
        attrs = parts[4 + k :: width]
        texts = parts[width::width]
        # Each tag is one of the three kinds of the pattern: its kind is read from the slash
        # groups of the testcase and other start tag alternatives (None for an end tag).
        slashes = zip(testcases, parts[5 + k :: width], strict=True)
        code = "".join(map(_KIND.get, slashes, repeat(")")))
        is_testcase = list(map(is_not, testcases, repeat(None)))
        columns = {
            name: fix_values(list(compress(parts[1 + j :: width], is_testcase)))
            for j, name in enumerate(layout)
        }
        del parts, testcases, is_testcase
        tokens = Tokens(code, names, attrs, texts, ends)
        steps = self._structure(tokens)
        if steps is None:
            return False
        batches, flat, nested = steps
        if not batches:
            return True
        plain = "status" not in columns
        kids, decided = flat_children(tokens, flat, columns.get("classname") if plain else None)
        kids.update(nested)
        for begin, end, suite, path in batches:
            self.out.at_suite_path(path)
            part = {name: values[begin:end] for name, values in columns.items()}
            self.out.add_columns(
                part, end - begin, _shift(kids, begin, end), suite, _shift(decided, begin, end)
            )
        return True

    def _structure(
        self, tokens: Tokens
    ) -> tuple[list[tuple[int, int, str, str]], list[tuple[int, int, str]], dict[int, Kids]] | None:
        """Walk the tag kinds: the batches of testcases (first, end, suite) between suite tags,
        the testcases whose children have nothing inside (number, tag row, kinds of the
        children), and the children of the others. None for a shape left to expat."""
        code = tokens.code
        batches: list[tuple[int, int, str, str]] = []
        flat: list[tuple[int, int, str]] = []
        nested: dict[int, Kids] = {}
        begin = case = 0  # first testcase of the open batch; testcases so far
        pos, size = 0, len(code)
        step = _STEP.match
        while pos < size:
            match = step(code, pos)
            assert match is not None  # the last alternative takes any character
            kind, end = code[pos], match.end()
            if kind == "t":
                case += end - pos
            elif kind == "T":
                if end - pos > 2:
                    flat.append((case, pos, code[pos + 1 : end - 1]))
                elif end - pos == 2:
                    pass  # nothing but text inside: a plain pass
                else:
                    found = nested_kids(tokens, pos)
                    if found is None:
                        return None
                    end, children = found
                    if children.tags:
                        nested[case] = children
                case += 1
            else:
                if case > begin:
                    batches.append((begin, case, self.suite_name, suite_path(self.suites)))
                    begin = case
                # (the kind says which of the columns has this tag)
                if kind == ")":
                    if not self._end(tokens.ends[pos] or ""):
                        return None
                else:
                    tag = tokens.names[pos] or ""
                    if not self._start(tag, tokens.attrs[pos] or "") or (
                        kind == "." and not self._end(tag)
                    ):
                        return None
            pos = end
        if case > begin:
            batches.append((begin, case, self.suite_name, suite_path(self.suites)))
        if not self.out.root_tag:
            return None  # testcases outside any suite: not JUnit
        return batches, flat, nested


def _shift(found: dict[int, _T], begin: int, end: int) -> dict[int, _T]:
    """The entries of testcases ``begin`` to ``end``, numbered from ``begin``."""
    if not found:
        return {}
    if begin == 0 and end > max(found):
        return found
    return {n - begin: value for n, value in found.items() if begin <= n < end}


def scan_junit(text: str, path: str) -> SuiteRun | None:
    """The run in ``text`` (a whole decoded JUnit document that expat accepts and that has no
    DOCTYPE, comment, CDATA section or processing instruction), or None if its shape is not one
    this reader handles."""
    scan = BulkScan(path)
    scan.feed([text])
    run = scan.finish()
    return run if scan.tags == text.count("<") else None
