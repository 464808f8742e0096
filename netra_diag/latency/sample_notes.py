"""What the size of a sample supports: how many samples a quantile or a mean needs before its
estimate and interval mean something, and the words that say so (re-exported by
``netra_diag.latency.summary``)."""

from __future__ import annotations

import math

from netra_diag.wording import plural

__all__ = [
    "MIN_MEAN_SAMPLES",
    "MIN_TAIL_SAMPLES",
    "mean_sample_note",
    "quantile_label",
    "sample_size_note",
    "samples_needed",
]

# Fewer samples than this beyond a quantile and its estimate is too unstable to act on.
MIN_TAIL_SAMPLES = 10
# Below this many samples the bootstrap interval of a mean of skewed latencies is too narrow:
# on lognormal samples (sigma 1) its "95 %" held the true mean 70 % of the time at n = 5, 80 %
# at 10, 90 % at 30.
MIN_MEAN_SAMPLES = 30


def quantile_label(q: float) -> str:
    """``0.5 -> "p50"``, ``0.999 -> "p99.9"``."""
    return f"p{q * 100:.10g}"


def samples_needed(q: float) -> int:
    """Samples needed for ``MIN_TAIL_SAMPLES`` of them to lie beyond quantile ``q``."""
    return math.ceil(round(MIN_TAIL_SAMPLES / min(q, 1.0 - q), 6))


def mean_sample_note(n: int) -> str:
    """Why the mean of ``n`` samples and its interval mean little, or ``""``."""
    if n < 5:
        return f"mean of {plural(n, 'sample')} has no useful interval"
    if n < MIN_MEAN_SAMPLES:
        return (
            f"mean of {n} samples: its interval is too narrow for skewed latencies "
            f"(needs >= {MIN_MEAN_SAMPLES})"
        )
    return ""


def sample_size_note(q: float, n: int) -> str:
    """Why quantile ``q`` of ``n`` samples means little, or ``""`` when it is well supported."""
    label = quantile_label(q)
    tail = n * min(q, 1.0 - q)
    side = "above" if q >= 0.5 else "below"
    if n == 0:
        return f"{label} of no samples is undefined"
    if q in (0.0, 1.0):
        return ""
    need = samples_needed(q)
    if tail < 1:
        # Interpolated between the two most extreme values, not equal to the extreme itself
        # (a p95 of 8 samples read 876 ms beside a max of 890 ms); of one sample, it is it.
        extreme = "maximum" if q >= 0.5 else "minimum"
        what = "that one sample" if n == 1 else f"about the {extreme}"
        return (
            f"{label} of {plural(n, 'sample')} is {what}: at least {need} samples are needed "
            f"for {MIN_TAIL_SAMPLES} to lie {side} it"
        )
    if tail < MIN_TAIL_SAMPLES:
        return (
            f"{label} of {n} samples rests on {plural(math.floor(tail), 'sample')} {side} it; "
            f"{need} are needed for {MIN_TAIL_SAMPLES} to lie {side} it"
        )
    return ""
