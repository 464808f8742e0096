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

import mmap
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from defusedxml.common import DefusedXmlException

from netra_diag.suites.xmlstream import secure_parser

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["check_open_file", "check_xml"]

_UTF8 = frozenset({"utf-8", "utf8"})


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


def check_xml(data: Buffer, chunk: int = 8 << 20) -> tuple[bool, int]:
    """Check ``data``, a whole document (see the module docstring), fed to expat in chunks:
    ``(plain, tags)``, whether expat accepts it and it has nothing the bulk reader cannot read,
    and how many ``<`` it holds (0 when not plain). A plain tuple: it is what a forked child
    sends back (``netra_diag.suites.background``)."""
    parser = _parser()
    tags = 0
    view = memoryview(data)
    try:
        for start in range(0, len(view), chunk):
            piece = view[start : start + chunk]
            tags += bytes(piece).count(b"<")
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except _FAILED:
        return False, 0
    finally:
        view.release()
    return True, tags


def check_open_file(fd: int) -> tuple[bool, int]:
    """``check_xml`` of the whole file open as descriptor ``fd``: what a helper process runs
    (``netra_diag.suites.background``), given the descriptor the reader has open, so that it
    checks the very file the reader reads even if the path is replaced meanwhile."""
    try:
        data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return False, 0
    with data:
        return check_xml(data)
