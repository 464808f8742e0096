"""Measurements the recordings cannot carry, given as context (``sla check --context
memory_peak=229.5MB``, PROTOCOL.md §10), as the sample an SLA check is evaluated on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from netra_diag.errors import UsageError
from netra_diag.latency.sla import SlaCheck
from netra_diag.latency.sla_sample import Sample
from netra_diag.latency.units import Dimension, parse_quantity

__all__ = ["ContextValue", "sample_from_context"]

ContextValue = float | int | str | Sequence[float | int | str]


def sample_from_context(check: SlaCheck, value: ContextValue) -> Sample:
    """The sample of a measurement given with ``--context`` (a string with a unit, a number in
    the canonical unit, ``"k/n"`` successes, or a list of them)."""
    items: list[Any] = list(value) if isinstance(value, list | tuple) else [value]
    values: list[float] = []
    ok: list[bool] = []
    fraction = None
    for item in items:
        if isinstance(item, str) and "/" in item and item.replace(" ", "").count("/") == 1:
            left, _, right = item.replace(" ", "").partition("/")
            if left.isdigit() and right.isdigit() and int(right) > 0:
                k, n = int(left), int(right)
                if k > n:
                    raise UsageError(
                        f"context {check.phase}={item!r}: more successes than attempts"
                    )
                ok += [True] * k + [False] * (n - k)
                continue
        try:
            quantity = parse_quantity(item)
        except ValueError as exc:
            raise UsageError(f"context {check.phase}={item!r}: {exc}") from None
        if quantity.dimension is Dimension.COUNT:
            number = quantity.value  # a bare number is in the check's canonical unit
        elif quantity.dimension is check.dimension or (
            check.statistic == "success_rate" and quantity.dimension is Dimension.FRACTION
        ):
            number = quantity.value
        else:
            raise UsageError(
                f"context {check.phase}={item!r} is a {quantity.dimension}, but check "
                f"{check.id!r} compares a {check.dimension}"
            )
        if check.statistic == "success_rate":
            fraction = number
        else:
            values.append(number)
            ok.append(True)
    arr = np.asarray(values, dtype=np.float64)
    return Sample(arr, np.asarray(ok, dtype=bool), None, None, fraction, "context")
