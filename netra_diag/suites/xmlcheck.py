"""Whether expat accepts a document, and whether it is plain enough for the bulk reader.

``netra_diag.suites.junit_scan`` reads a document by splitting its text, which is exact only for a
well-formed document without DOCTYPE, comments, CDATA sections or processing instructions, in
UTF-8. This check runs expat (with the same guards as the streaming reader,
``netra_diag.suites.xmlstream.secure_parser``) over the bytes without any per-element callback —
the constructs the bulk reader cannot read stop it through handlers that only run when one is
there — and counts the ``<`` in the bytes, which the bulk reader compares with the tags it read.
A document that fails the check is read by the streaming reader, which reports the error with
its line, or reads what the bulk reader could not.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from xml.parsers import expat

from defusedxml.common import DefusedXmlException

from netra_diag.suites.xmlstream import secure_parser

__all__ = ["XmlCheck", "check_file", "check_xml"]

_UTF8 = frozenset({"utf-8", "utf8"})


class XmlCheck(NamedTuple):
    plain: bool  # expat accepts it, and it has nothing the bulk reader cannot read
    tags: int  # how many "<" the bytes hold


class _NotPlain(Exception):
    """A construct the bulk reader leaves to the streaming reader."""


def _not_plain(*_: Any) -> None:
    raise _NotPlain


def _declaration(version: str, encoding: str | None, standalone: int) -> None:
    if encoding is not None and encoding.lower() not in _UTF8:
        raise _NotPlain


def _parser() -> Any:
    parser = secure_parser()
    parser.StartDoctypeDeclHandler = _not_plain
    parser.CommentHandler = _not_plain
    parser.StartCdataSectionHandler = _not_plain
    parser.ProcessingInstructionHandler = _not_plain
    parser.XmlDeclHandler = _declaration
    return parser


_FAILED = (expat.ExpatError, DefusedXmlException, _NotPlain, ValueError, RecursionError)


def check_xml(data: bytes) -> XmlCheck:
    """Check ``data``, a whole document (see the module docstring)."""
    try:
        _parser().Parse(data, True)
    except _FAILED:
        return XmlCheck(False, 0)
    return XmlCheck(True, data.count(b"<"))


def check_file(path: str, chunk: int = 1 << 20) -> tuple[bool, int]:
    """``check_xml`` of the file at ``path``, read in chunks (memory stays flat), as a plain
    tuple: it is what a forked child sends back (``netra_diag.suites.background``)."""
    parser = _parser()
    tags = 0
    try:
        with open(path, "rb") as fh:
            while data := fh.read(chunk):
                tags += data.count(b"<")
                parser.Parse(data, False)
            parser.Parse(b"", True)
    except (*_FAILED, OSError):
        return False, 0
    return True, tags
