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
from functools import lru_cache, partial
from itertools import compress, repeat
from operator import add, is_not
from typing import TypeVar

from netra_diag.suites.junit_cases import (
    PROBLEM_TAGS,
    SUITE_TAGS,
    TEXT_TAGS,
    CaseCollector,
    Child,
    Decided,
    FailureSink,
    Kids,
    details_of_shape,
    kids_of,
)
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.xmlstream import clip_text

__all__ = ["BulkScan", "scan_junit", "unescape"]

# Attributes of a start tag in a well-formed document; values may hold ">" but never "<".
_ATTRS = r"""((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)"""
# One tag: end tag, or start / empty-element tag.
_TAG = re.compile(r"<(/?)([^\s/>]+)" + _ATTRS + r"\s*(/?)>")
_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# The layout of testcase attributes read as columns: separated by one space, in double quotes.
_PLAIN_ATTRS = re.compile(r'(?: [^\s=/>"\']+="[^"]*")+')
_PLAIN_NAME = re.compile(r' ([^\s=/>"\']+)="')
_REF = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_TESTCASE = "<testcase"
# The kind of each tag, one character each: "t" an empty testcase, "T" a testcase start tag,
# "(" another start tag, "." another empty-element tag, ")" an end tag.
_TESTCASE_KIND = {"/": "t", "": "T", None: ""}
_START_KIND = {"/": ".", "": "(", None: ""}
_END: dict[str | None, str] = {None: ""}  # any end tag's name: ")"
# What the kinds say: a run of empty testcases, a testcase whose children have nothing inside
# ("()" or "." each, then the testcase's end tag), or any other single tag.
_STEP = re.compile(r"t+|T(?:\(\)|\.)*\)|.")
_NO_ATTRS: dict[str, str] = {}
# Attribute texts that are each exactly ` message="..."`, joined with "\x00" (which no
# attribute value can hold).
_PLAIN_MESSAGE = re.compile(r' message="[^"\x00]*"(?:\x00 message="[^"\x00]*")*')
_T = TypeVar("_T")
_DECLARATION = re.compile(r"<\?xml\s")


def _ref(match: re.Match[str]) -> str:
    if match[1]:
        return chr(int(match[1]))
    if match[2]:
        return chr(int(match[2], 16))
    return _NAMED[match[3]]


def unescape(text: str) -> str:
    """``text`` with the references of a DTD-less document replaced, as expat reports it."""
    if "&" not in text:
        return text
    if "&#" in text:
        return _REF.sub(_ref, text)
    # Every "&" starts one of the five references; "&amp;" last, so that what it leaves behind
    # is never read as another reference.
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _attr_value(value: str) -> str:
    # XML 1.0 §3.3.3: a literal tab or newline in an attribute value is read as a space (a
    # character reference to one is not); carriage returns are gone by now.
    if "\n" in value or "\t" in value:
        value = value.replace("\n", " ").replace("\t", " ")
    return unescape(value)


def _attrs(text: str) -> dict[str, str]:
    if not text:
        return {}
    return {name: _attr_value(dq or sq) for name, dq, sq in _ATTR.findall(text)}


def _message_and_type_at(
    columns: list[list[str] | None], child: int
) -> tuple[list[str], list[str]]:
    return _message_and_type(columns[child] or [])


def _message_and_type(found: list[str]) -> tuple[list[str], list[str]]:
    """The ``message`` and ``type`` attributes ("" if missing or empty) of each of ``found``,
    attribute texts of failure/error/skip elements (only those two are ever read). pytest's
    ` message="..."` is sliced out at once; any other layout goes through ``_attrs``."""
    if _PLAIN_MESSAGE.fullmatch("\x00".join(found)):
        return _fix_values([text[10:-1] for text in found]), [""] * len(found)
    parsed = list(map(_attrs, found))
    messages = [a.get("message") or "" for a in parsed]
    return messages, [a.get("type") or "" for a in parsed]


def _text_value(text: str) -> str:
    return clip_text(unescape(text))


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
            values = _attrs(attrs)
            if not out.root_tag:
                out.root_tag, out.root_attrs = tag, values
            top = not self.suites or (len(self.suites) == 1 and out.root_tag == "testsuites")
            if tag == "testsuite" and top:
                out.add_suite_counts(values)
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
        # Each tag is one of the three kinds of the pattern: two of its three kind columns are
        # "" and the third its kind character.
        code = "".join(
            map(
                add,
                map(
                    add,
                    map(_TESTCASE_KIND.__getitem__, testcases),
                    map(_END.get, ends, repeat(")")),
                ),
                map(_START_KIND.__getitem__, parts[5 + k :: width]),
            )
        )
        is_testcase = list(map(is_not, testcases, repeat(None)))
        columns = {
            name: _fix_values(list(compress(parts[1 + j :: width], is_testcase)))
            for j, name in enumerate(layout)
        }
        del parts, testcases, is_testcase
        tokens = _Tokens(code, names, attrs, texts, ends)
        steps = self._structure(tokens)
        if steps is None:
            return False
        batches, flat, nested = steps
        if not batches:
            return True
        plain = "status" not in columns
        kids, decided = _flat_children(tokens, flat, columns.get("classname") if plain else None)
        kids.update(nested)
        for begin, end, suite in batches:
            part = {name: values[begin:end] for name, values in columns.items()}
            self.out.add_columns(
                part, end - begin, _shift(kids, begin, end), suite, _shift(decided, begin, end)
            )
        return True

    def _structure(
        self, tokens: _Tokens
    ) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]], dict[int, Kids]] | None:
        """Walk the tag kinds: the batches of testcases (first, end, suite) between suite tags,
        the testcases whose children have nothing inside (number, tag row, kinds of the
        children), and the children of the others. None for a shape left to expat."""
        code = tokens.code
        batches: list[tuple[int, int, str]] = []
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
                    found = _nested_kids(tokens, pos)
                    if found is None:
                        return None
                    end, children = found
                    if children.tags:
                        nested[case] = children
                case += 1
            else:
                if case > begin:
                    batches.append((begin, case, self.suite_name))
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
            batches.append((begin, case, self.suite_name))
        if not self.out.root_tag:
            return None  # testcases outside any suite: not JUnit
        return batches, flat, nested


class _Tokens:
    """The tags of a document as columns (one row per tag) and their kinds (``code``)."""

    __slots__ = ("attrs", "code", "ends", "names", "texts")

    def __init__(
        self,
        code: str,
        names: list[str | None],
        attrs: list[str | None],
        texts: list[str],
        ends: list[str | None],
    ) -> None:
        self.code, self.names, self.attrs, self.texts, self.ends = code, names, attrs, texts, ends


def _shift(found: dict[int, _T], begin: int, end: int) -> dict[int, _T]:
    """The entries of testcases ``begin`` to ``end``, numbered from ``begin``."""
    if not found:
        return {}
    if begin == 0 and end > max(found):
        return found
    return {n - begin: value for n, value in found.items() if begin <= n < end}


def _fix_values(values: list[str]) -> list[str]:
    joined = "".join(values)
    if "&" in joined or "\n" in joined or "\t" in joined:
        return list(map(_attr_value, values))
    return values


def _flat_children(
    tokens: _Tokens, flat: list[tuple[int, int, str]], classnames: list[str] | None
) -> tuple[dict[int, Kids], dict[int, Decided]]:
    """The children of the testcases none of whose children has anything inside, grouped by the
    tags of their children so that each child position is read for a whole group in C loops: a
    child's text is the text after its start tag ("(" in the kinds) or none (".").

    Groups that ``details_of_shape`` handles come back decided, by testcase number; the others
    as ``Kids``. ``classnames`` is None when the testcases have none (nothing is decided then).
    """
    by_kinds: dict[str, tuple[list[int], list[int]]] = {}
    for case, row, kinds in flat:
        cases, rows = by_kinds.setdefault(kinds, ([], []))
        cases.append(case)
        rows.append(row)
    names, attrs, texts = tokens.names, tokens.attrs, tokens.texts
    kids: dict[int, Kids] = {}
    decided: dict[int, Decided] = {}
    for kinds, (cases, rows) in by_kinds.items():
        starts = [(offset, kind == "(") for offset, kind in enumerate(kinds, 1) if kind != ")"]
        tag_columns = [[names[row + offset] for row in rows] for offset, _ in starts]
        by_tags: dict[tuple[str, ...], list[int]] = {}
        for n, key in enumerate(zip(*tag_columns, strict=True)):
            by_tags.setdefault(key, []).append(n)
        for tags, members in by_tags.items():
            at = [rows[n] for n in members]
            attr_texts = [
                [attrs[row + offset] or "" for row in at] if tag in PROBLEM_TAGS else None
                for tag, (offset, _) in zip(tags, starts, strict=True)
            ]
            text_columns = [
                (
                    list(map(_text_value, [texts[row + offset] for row in at]))
                    if opened
                    else [""] * len(at)
                )
                if tag in TEXT_TAGS
                else [None] * len(at)
                for tag, (offset, opened) in zip(tags, starts, strict=True)
            ]
            numbers = [cases[n] for n in members]
            done = (
                None
                if classnames is None
                else details_of_shape(
                    tags,
                    [classnames[n] for n in numbers],
                    partial(_message_and_type_at, attr_texts),
                    text_columns,  # type: ignore[arg-type]
                )
            )
            if done is not None:
                decided.update(zip(numbers, done, strict=True))
                continue
            attr_columns = [
                list(map(_attrs, found)) if found is not None else [_NO_ATTRS] * len(at)
                for found in attr_texts
            ]
            kids.update(
                zip(
                    numbers,
                    map(
                        Kids,
                        repeat(tags),
                        zip(*attr_columns, strict=True),
                        zip(*text_columns, strict=True),
                        repeat(None),
                        repeat(()),
                    ),
                    strict=False,  # repeat() is endless
                )
            )
    return kids, decided


def _nested_kids(tokens: _Tokens, row: int) -> tuple[int, Kids] | None:
    """The children of the testcase whose start tag is at ``row``, tag by tag with the streaming
    reader's rules (see its ``start``/``end``): the text of a failure/output element and of a
    Surefire ``<stackTrace>`` in it, ``<property>`` elements one level down, other text dropped.
    Returns the row after the testcase's end tag, and the children."""
    code, names, attrs, texts, ends = (
        tokens.code,
        tokens.names,
        tokens.attrs,
        tokens.texts,
        tokens.ends,
    )
    record = _Record()
    sink: list[str] | None = None  # where character data goes now
    depth = 0
    for pos in range(row + 1, len(code)):
        kind = code[pos]
        if kind == ")":
            if not depth:
                if ends[pos] != "testcase":
                    return None
                return pos + 1, record.finish()
            depth -= 1
        elif kind in "(.":
            tag: str = names[pos]  # type: ignore[assignment]
            depth += 1
            if depth == 1:
                sink = record.add(Child(tag, _attrs(attrs[pos] or "")))
            elif depth == 2:
                if tag == "property":
                    values = _attrs(attrs[pos] or "")
                    record.children[-1].props.append(
                        (values.get("name", ""), values.get("value", ""))
                    )
                elif tag == "stackTrace":
                    sink = record.stacks[-1] = []
                else:
                    sink = None
            if kind == ".":
                depth -= 1
        else:
            return None  # a testcase inside a testcase
        if depth < 2 and kind in ").":  # back in a child, or between children
            sink = record.texts[-1] if depth == 1 else None
        text = texts[pos]
        if text and sink is not None:
            sink.append(text)
    return None


class _Record:
    """The children of one testcase while its tags go by, with the pieces of their texts."""

    __slots__ = ("children", "stacks", "texts")

    def __init__(self) -> None:
        self.children: list[Child] = []
        self.texts: list[list[str] | None] = []
        self.stacks: list[list[str] | None] = []

    def add(self, child: Child) -> list[str] | None:
        """Add a child; the list its text goes to, if it keeps text."""
        pieces: list[str] | None = [] if child.tag in TEXT_TAGS else None
        self.children.append(child)
        self.texts.append(pieces)
        self.stacks.append(None)
        return pieces

    def finish(self) -> Kids:
        for child, text, stack in zip(self.children, self.texts, self.stacks, strict=True):
            if text is not None:
                child.text = _text_value("".join(text))
            if stack is not None:
                child.stack = _text_value("".join(stack))
        return kids_of(self.children)


def scan_junit(text: str, path: str) -> SuiteRun | None:
    """The run in ``text`` (a whole decoded JUnit document that expat accepts and that has no
    DOCTYPE, comment, CDATA section or processing instruction), or None if its shape is not one
    this reader handles."""
    scan = BulkScan(path)
    scan.feed([text])
    run = scan.finish()
    return run if scan.tags == text.count("<") else None
