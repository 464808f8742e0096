"""Safe, streaming XML for test reports: expat with defusedxml's guards, and bounded text.

Test reports come from CI artifacts and pull requests, so they are untrusted input. The parser
refuses what defusedxml refuses by default: entity declarations (the "billion laughs" expansion)
and external entities or DTDs (file and network reads). The guards are the three expat handlers
defusedxml's own expat-based parsers install, raising defusedxml's exceptions; they are set on a
plain ``xml.parsers.expat`` parser rather than used through ``defusedxml.ElementTree`` because
that one is the pure-Python ElementTree parser and builds a tree, several times slower than
calling back into the reader for each element, which is what lets a 100k-case report stream.
"""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

from defusedxml.common import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden

__all__ = ["MAX_TEXT", "TextBuffer", "clip_text", "refusal_reason", "secure_parser"]

# A failure body or captured output longer than this keeps its head and tail: the innermost frame
# and the exception line are at the end of a traceback.
MAX_TEXT = 32 * 1024
_HEAD = 8 * 1024


def clip_text(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` if short enough, else its head and tail with a note of how much was cut."""
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[:_HEAD]}\n… [{cut} characters cut] …\n{text[-(limit - _HEAD) :]}"


class TextBuffer:
    """Collects character data of one element, never holding much more than ``MAX_TEXT``.

    A 100 MB ``<system-out>`` costs no more memory than a short one: the middle is dropped as it
    streams past, and ``value()`` says how much was cut.
    """

    __slots__ = ("_cut", "_parts", "_size")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._cut = 0

    def append(self, data: str) -> None:
        self._parts.append(data)
        self._size += len(data)
        if self._size > 4 * MAX_TEXT:
            whole = "".join(self._parts)
            keep_tail = MAX_TEXT - _HEAD
            self._cut += len(whole) - _HEAD - keep_tail
            self._parts = [whole[:_HEAD], whole[-keep_tail:]]
            self._size = _HEAD + keep_tail

    def value(self) -> str:
        whole = "".join(self._parts)
        if self._cut:
            head, tail = self._parts[0], "".join(self._parts[1:])
            cut = self._cut + max(0, len(whole) - MAX_TEXT)
            tail = tail[-(MAX_TEXT - _HEAD) :]
            return f"{head}\n… [{cut} characters cut] …\n{tail}"
        return clip_text(whole)


def _refuse_entity(
    name: str, is_parameter: bool, value: Any, base: Any, sysid: Any, pubid: Any, notation: Any
) -> None:
    raise EntitiesForbidden(name, value, base, sysid, pubid, notation)


def _refuse_unparsed(name: str, base: Any, sysid: Any, pubid: Any, notation: Any) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation)


def _refuse_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def refusal_reason(exc: DefusedXmlException) -> str:
    """Why a document was refused, in words (defusedxml's own text is a constructor call)."""
    if isinstance(exc, EntitiesForbidden):
        if exc.sysid:
            return (
                f"declares external entity '{exc.name}' ({exc.sysid}): external entities are "
                "refused, never fetched or read"
            )
        return (
            f"declares entity '{exc.name}': entity declarations are refused (nested ones expand "
            "exponentially: the billion-laughs attack)"
        )
    if isinstance(exc, ExternalReferenceForbidden):
        return f"refers to external resource {exc.sysid!r}: never fetched or read"
    return str(exc)


def secure_parser() -> Any:
    """A non-namespace expat parser with defusedxml's guards and buffered character data."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    parser.ordered_attributes = False
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_unparsed
    parser.ExternalEntityRefHandler = _refuse_external
    return parser
