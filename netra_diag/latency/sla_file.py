"""What an SLA file argument that is not one was: a mistyped built-in name, or a recording or
results file given first (``sla check run.jsonl service``, the arguments swapped). Said in the
error, rather than "No such file" alone or a TOML syntax error on line 1 of a JSON file."""

from __future__ import annotations

import difflib
from collections.abc import Collection

__all__ = ["builtin_hint", "wrong_kind"]


def builtin_hint(name: str, builtins: Collection[str]) -> str:
    """``" (did you mean the built-in SLA 'service'? ...)"`` for a missing file whose name is
    close to a built-in one; ``""`` otherwise."""
    close = difflib.get_close_matches(name.lower(), list(builtins), n=1, cutoff=0.6)
    if not close or "/" in name or "." in name:
        return ""
    return f" (did you mean the built-in SLA {close[0]!r}? built-ins: {', '.join(builtins)})"


def wrong_kind(text: str) -> str:
    """Why ``text`` is some other kind of file than an SLA (``""`` when it may be one): TOML
    never starts with ``{`` or ``<``, which recordings and results files do."""
    first = text.lstrip("\ufeff \t\r\n")[:200]
    usage = "SLA_FILE comes first: netra-diag sla check SLA_FILE CASSETTES..."
    if first.startswith("{") and "netra-cassette" in first:
        return f"this is a recording (a cassette), not an SLA file; {usage}"
    if first.startswith("{"):
        return f"this is JSON, not an SLA file (TOML of [[check]] entries); {usage}"
    if first.startswith("<"):
        return (
            f"this is XML (a results file?), not an SLA file (TOML of [[check]] entries); {usage}"
        )
    return ""
