"""Values the bulk JUnit reader (``netra_diag.suites.junit_scan``) takes from its tag columns:
attribute values and texts as expat would report them, and the children of testcases.

The bulk reader splits the document into tags; what is inside a tag or between two tags is still
escaped text. ``unescape`` and ``attr_value`` apply XML 1.0's rules for a document without a DTD
(character and predefined entity references; tabs and newlines in attribute values read as
spaces). ``flat_children`` reads the children of many testcases at once, grouped by the tags of
their children, and ``nested_kids`` one testcase tag by tag, with the streaming reader's rules.
"""

from __future__ import annotations

import re
from functools import lru_cache, partial
from itertools import repeat
from operator import add

from netra_diag.suites.junit_children import (
    PROBLEM_TAGS,
    TEXT_TAGS,
    Child,
    Decided,
    Kids,
    details_of_shape,
    kids_of,
)
from netra_diag.suites.xmlstream import clip_text

__all__ = [
    "Tokens",
    "attr_value",
    "fix_values",
    "flat_children",
    "nested_kids",
    "parse_attrs",
    "text_value",
    "unescape",
]

_ATTR = re.compile(r"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REF = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
# Attribute texts that are each exactly ` message="..."` (or ` message='...'`), joined with
# "\x00" (which no attribute value can hold).
_ONE_MESSAGE = r""" message=(?:"[^"\x00]*"|'[^'\x00]*')"""
_PLAIN_MESSAGE = re.compile(f"{_ONE_MESSAGE}(?:\x00{_ONE_MESSAGE})*")
_ATTR_NAME = re.compile(r"""\s+([^\s=/>]+)\s*=\s*(?:"[^"]*"|'[^']*')""")
_READ_ATTRS = frozenset({"message", "type"})
_NO_ATTRS: dict[str, str] = {}


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


def attr_value(value: str) -> str:
    # XML 1.0 §3.3.3: a literal tab or newline in an attribute value is read as a space (a
    # character reference to one is not); carriage returns are gone by now.
    if "\n" in value or "\t" in value:
        value = value.replace("\n", " ").replace("\t", " ")
    return unescape(value)


def parse_attrs(text: str) -> dict[str, str]:
    if not text:
        return {}
    return {name: attr_value(dq or sq) for name, dq, sq in _ATTR.findall(text)}


def _message_and_type_at(
    columns: list[list[str] | None], child: int
) -> tuple[list[str], list[str]]:
    return _message_and_type(columns[child] or [])


@lru_cache(maxsize=16)
def _plain_layout(names: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """For attribute texts that are each exactly `` name="..."`` (or ``'...'``) for each of
    ``names`` in that order: one that reads the values of one text (two groups per name, one
    per quote: the other is ""), and one that matches such texts joined with "\x00" (which no
    attribute value can hold)."""
    one, plain = (
        "".join(f""" {re.escape(n)}=(?:"{g}[^"\x00]*)"|'{g}[^'\x00]*)')""" for n in names)
        for g in ("(", "(?:")
    )
    return re.compile(one), re.compile(f"{plain}(?:\x00{plain})*")


def _message_and_type(found: list[str]) -> tuple[list[str], list[str]]:
    """The ``message`` and ``type`` attributes ("" if missing or empty) of each of ``found``,
    attribute texts of failure/error/skip elements (only those two are ever read). When all are
    written in the layout of the first, one space before each name and none around "=", as
    pytest writes them (`` message="..."``, `` type="pytest.skip" message="..."``), they are read
    at once: a lone message is sliced out, two attributes read with one regular expression over
    all of them; any other layout goes through ``parse_attrs``, one by one."""
    joined = "\x00".join(found)
    if _PLAIN_MESSAGE.fullmatch(joined):
        return fix_values([text[10:-1] for text in found]), [""] * len(found)
    names = tuple(_ATTR_NAME.findall(found[0])) if found else ()
    if names and set(names) <= _READ_ATTRS and len(set(names)) == len(names):
        each, whole = _plain_layout(names)
        if whole.fullmatch(joined):
            groups = list(zip(*each.findall(joined), strict=True))
            values = {
                name: fix_values(list(map(add, groups[2 * j], groups[2 * j + 1])))
                for j, name in enumerate(names)
            }
            missing = [""] * len(found)
            return values.get("message", missing), values.get("type", missing)
    parsed = list(map(parse_attrs, found))
    messages = [a.get("message") or "" for a in parsed]
    return messages, [a.get("type") or "" for a in parsed]


def text_value(text: str) -> str:
    return clip_text(unescape(text))


class Tokens:
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


def fix_values(values: list[str]) -> list[str]:
    joined = "".join(values)
    if "&" in joined or "\n" in joined or "\t" in joined:
        return list(map(attr_value, values))
    return values


def flat_children(
    tokens: Tokens, flat: list[tuple[int, int, str]], classnames: list[str] | None
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
                    list(map(text_value, [texts[row + offset] for row in at]))
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
                list(map(parse_attrs, found)) if found is not None else [_NO_ATTRS] * len(at)
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


def nested_kids(tokens: Tokens, row: int) -> tuple[int, Kids] | None:
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
                sink = record.add(Child(tag, parse_attrs(attrs[pos] or "")))
            elif depth == 2:
                if tag == "property":
                    values = parse_attrs(attrs[pos] or "")
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
                child.text = text_value("".join(text))
            if stack is not None:
                child.stack = text_value("".join(stack))
        return kids_of(self.children)
