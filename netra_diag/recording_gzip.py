"""Cassettes kept gzip-compressed (``run.jsonl.gz``: a large fan-out's recordings archived by a
CI job) are read as they are: the bytes are decompressed before the lines are parsed.

A compressed file cut short (a copy interrupted, an upload that stopped) still holds the lines
before the cut: they are kept, and the cut is said, as for a plain cassette whose last line is
cut. Decompression goes piece by piece for that reason: ``gzip.decompress`` gives nothing back
from a damaged stream.
"""

from __future__ import annotations

import zlib
from typing import Any

__all__ = ["GZIP_MAGIC", "gunzip_kept"]

GZIP_MAGIC = b"\x1f\x8b"
_PIECE = 1 << 16
_STEP = 64  # bytes fed at a time when reading a damaged piece again


def gunzip_kept(raw: bytes) -> tuple[bytes, str]:
    """The decompressed bytes of gzip data ``raw`` (every member, as ``gunzip`` reads a file of
    several), and what was wrong with it ("" when nothing): what decompressed before a damaged or
    missing part is kept."""
    out: list[bytes] = []
    rest = raw
    while rest:
        # 16 + MAX_WBITS: a gzip header and trailer around the deflate data
        unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
        for start in range(0, len(rest), _PIECE):
            piece = rest[start : start + _PIECE]
            before = unpack.copy()
            try:
                out.append(unpack.decompress(piece))
            except zlib.error as exc:
                # What the damaged piece held before the damage is kept too: read again from
                # where it began, in small steps, up to the step that fails.
                out.append(_up_to_damage(before, piece))
                return b"".join(out), f"the gzip data is damaged ({exc}); read up to there"
            if unpack.eof:
                break
        if not unpack.eof:
            out.append(unpack.flush())
            return b"".join(
                out
            ), "the gzip data ends early (the file was cut or damaged); read up to there"
        rest = unpack.unused_data.lstrip(b"\0")  # (padding some tools write after a member)
    return b"".join(out), ""


def _up_to_damage(unpack: Any, piece: bytes) -> bytes:
    """What ``unpack`` decompresses of ``piece`` before the step where the data is damaged."""
    out: list[bytes] = []
    for start in range(0, len(piece), _STEP):
        try:
            out.append(unpack.decompress(piece[start : start + _STEP]))
        except zlib.error:
            break
    return b"".join(out)
