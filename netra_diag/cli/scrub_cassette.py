"""Scrubbing a cassette file that is already on disk (``netra-diag scrub run.jsonl``).

``Recorder`` writes cassettes scrubbed, but only of what it knew: the session's tokens, the
secrets it was given and anything JWT-shaped. A cassette shared in a pull request may still hold
a secret it did not know (an API key a test printed into a message, an opaque bearer token in a
recorded refusal's headers, a ticket in a URL a server echoed), or come from an older writer or
a hand edit. Every string of every line (keys included) goes through the report scrubbers:
tokens and known secret values become fingerprints, a ticket in a query string its fingerprint,
the value of a secret-named key (``api_key=…``, ``Bearer …``) ``<secret>``.

A line that is not JSON (a garbled line, the cut last line of a killed writer) is scrubbed as
text, so a damaged cassette loses nothing of what it held but its secrets. Lines without a secret
are kept byte for byte; changed lines are written back as the writer writes them (compact JSON,
ASCII only), so a cut can still damage only the last line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_diag.errors import RecordingError
from netra_diag.redaction import hide_assigned_secrets, scrub
from netra_diag.report.safety import scrub_text

__all__ = ["CassetteScrub", "scrub_cassette", "scrub_cassette_bytes"]


@dataclass
class CassetteScrub:
    """What scrubbing one cassette did (or would do, in check mode): the 1-based numbers of the
    lines that held a token or secret."""

    path: Path
    lines: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.lines)

    def describe(self) -> str:
        if not self.lines:
            return "clean"
        shown = ", ".join(str(n) for n in self.lines[:10])
        more = f" and {len(self.lines) - 10} more" if len(self.lines) > 10 else ""
        noun = "line" if len(self.lines) == 1 else "lines"
        return f"token or secret on {noun} {shown}{more}"


def _scrub_string(text: str, secrets: Sequence[str]) -> str:
    # scrub_text, not redaction.scrub: base64 that only looks like a wrapped token (a binary
    # frame's "b64") is left whole.
    out = scrub_text(text, secrets)
    if "ticket=" in out:
        # Tickets are opaque: only a query string says what they are (redaction.scrub knows).
        out = scrub(out)
    return hide_assigned_secrets(out)


def _scrub_json(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        return _scrub_string(value, secrets)
    if isinstance(value, dict):
        return {_scrub_string(k, secrets): _scrub_json(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, secrets) for v in value]
    return value


def _strict_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) < len(pairs):
        raise ValueError("duplicate key")
    return dict(pairs)


def _scrub_line(line: bytes, secrets: Sequence[str]) -> bytes:
    text = line.decode("utf-8", "surrogateescape")
    try:
        # A line written again must say what it said: NaN (which the writer never writes) or a
        # duplicate key would not survive a round trip, so such a line is scrubbed as text.
        obj = json.loads(text, parse_constant=_strict_constant, object_pairs_hook=_unique_pairs)
    except (ValueError, RecursionError):
        # Not JSON (garbled, or cut short by a kill): scrub it as text and keep the rest. Any
        # character the scrub adds ("…" of a fingerprint) is written as its JSON escape.
        cleaned = _scrub_string(text, secrets)
        if cleaned == text:
            return line
        return cleaned.encode("ascii", "backslashreplace")
    cleaned_obj = _scrub_json(obj, secrets)
    if cleaned_obj == obj:
        return line
    return json.dumps(cleaned_obj, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def scrub_cassette_bytes(raw: bytes, secrets: Sequence[str]) -> tuple[bytes, list[int]]:
    """``raw`` with every token and secret scrubbed, and the 1-based numbers of the lines that
    changed. Pure."""
    lines = raw.split(b"\n")
    changed: list[int] = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        # A cassette checked out with CRLF endings keeps them on the lines written again.
        body, cr = (line[:-1], b"\r") if line.endswith(b"\r") else (line, b"")
        cleaned = _scrub_line(body, secrets) + cr
        if cleaned != line:
            lines[index] = cleaned
            changed.append(index + 1)
    return b"\n".join(lines), changed


def scrub_cassette(path: Path, secrets: Sequence[str], *, check: bool = False) -> CassetteScrub:
    """Scrub the cassette at ``path`` in place (unless ``check``), atomically: a reader never
    sees half a file. Any JSON Lines file is scrubbed the same way (a fault log next to the
    cassettes, a cassette cut inside its header): a secret is one wherever it stands. Raises
    ``RecordingError`` naming the file when it cannot be read or written."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordingError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    cleaned, lines = scrub_cassette_bytes(raw, secrets)
    result = CassetteScrub(path, lines)
    if lines and not check:
        tmp = path.with_name(f".{path.name}.scrub-tmp")
        try:
            if path.stat().st_size != len(raw):
                # A recorder still appending would go on writing into the file replaced below,
                # and every line after this moment would be lost.
                raise RecordingError(
                    str(path),
                    "grew while it was scrubbed (still being recorded?); left as it was: "
                    "scrub it once the recording has ended",
                )
            tmp.write_bytes(cleaned)
            os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise RecordingError(str(path), f"cannot write: {exc.strerror or exc}") from exc
    return result
