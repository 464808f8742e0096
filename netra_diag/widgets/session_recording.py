"""Where the live session panel records each connection: ``record`` for the first, a numbered
name beside it for each later one (``run-2.jsonl``...), so a Stop then Run, or a run after the
form changed, never overwrites an earlier session's cassette."""

from __future__ import annotations

from pathlib import Path

__all__ = ["modified_ns", "recording_for"]


def recording_for(record: str | None, n: int) -> Path | None:
    """The panel's ``n``-th cassette (1-based; a connect refused before writing one takes no
    number): ``record`` itself for the first, ``<stem>-<n><suffix>`` beside it for later ones."""
    if record is None:
        return None
    path = Path(record)
    if n <= 1:
        return path
    return path.with_name(f"{path.stem}-{n}{path.suffix}")


def modified_ns(path: Path | None) -> int | None:
    # When the file was last written (None: no such file): tells a file this attempt wrote
    # from one an earlier run left there.
    try:
        return None if path is None else path.stat().st_mtime_ns
    except OSError:
        return None
