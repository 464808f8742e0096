"""A compressed cassette damaged part way keeps what decompressed before the damage, whatever
the error zlib reports. Decompression went 64 KiB at a time, and a piece that failed gave
nothing back: a small cassette damaged in its second half lost its header too, and read as
"not a cassette: no header on line 1"."""

from __future__ import annotations

import gzip
import json
import random
from itertools import takewhile

from netra_diag.recording_gzip import gunzip_kept


def _document() -> bytes:
    header = {"kind": "header", "format": "netra-cassette", "version": 1, "labels": {}}
    lines = [json.dumps(header)]
    lines += [
        json.dumps({"kind": "frame", "dir": "in", "t_ns": n * 1_000_003, "text": f"event {n}"})
        for n in range(400)
    ]
    return ("\n".join(lines) + "\n").encode()


def _same_start(a: bytes, b: bytes) -> int:
    return sum(1 for _ in takewhile(lambda pair: pair[0] == pair[1], zip(a, b, strict=False)))


def test_damage_in_the_second_half_keeps_the_first() -> None:
    body = _document()
    packed = gzip.compress(body, mtime=0)
    for seed in range(8):
        rng = random.Random(seed)
        for share in (0.5, 0.75):
            at = int(len(packed) * share)
            damaged = packed[:at] + rng.randbytes(len(packed) - at)
            out, problem = gunzip_kept(damaged)
            assert problem.startswith("the gzip data is damaged"), problem
            # What the undamaged part held comes out as it was (less what the decoder holds
            # back), the header first; what the decoder took for data before it saw the damage
            # may follow (the lines reader says those lines are damaged).
            same = _same_start(out, body)
            assert same >= len(body) * share * 0.5, (seed, share, same, len(body))
            assert out.startswith(b'{"kind": "header"'), (seed, share)
