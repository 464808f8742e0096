"""The result of evaluating an SLA: one ``CheckResult`` per check, gathered in an ``SlaReport``
that renders as a headline, a table (DataFrame or text) and JSON.

Statuses: ``pass``, ``fail``, ``no data`` (no rows for the phase, or fewer than ``min_samples``).
``SlaReport.passed`` is True only when every required check passed; ``breached`` is True when a
required check failed on data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from netra_diag.latency.sla import SlaCheck, SlaSpec
from netra_diag.latency.units import Dimension, format_quantity

__all__ = ["CheckResult", "CheckStatus", "SlaReport"]


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NO_DATA = "no data"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check. ``observed``, ``ci_low`` and ``ci_high`` are in the check's
    canonical unit; ``reliable`` is False when the sample size cannot support the statistic;
    ``conclusive`` is False when the confidence interval straddles the threshold."""

    check: SlaCheck
    status: CheckStatus
    observed: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    reliable: bool = False
    conclusive: bool = False
    note: str = ""
    data_from: str = ""
    left_out: int = 0  # attempts that never finished, so have no value in the statistic
    # Whether those attempts, counted at their worst, would overturn a pass.
    left_out_decides: bool = False
    # ``observed`` is a lower bound: attempts that timed out counted at the time they had run.
    at_least: bool = False

    @property
    def weak_pass(self) -> bool:
        """Passed, but on too few samples, with an interval across the threshold, or only on the
        attempts that finished."""
        return self.status is CheckStatus.PASS and not (self.reliable and self.conclusive)

    @property
    def unfinished_pass(self) -> bool:
        """Passed on the attempts that finished, when the ones that did not could overturn it."""
        return self.status is CheckStatus.PASS and self.left_out_decides

    def observed_text(self) -> str:
        text = format_quantity(self.observed, self.check.dimension)
        return f"≥ {text}" if self.at_least else text

    def ci_text(self) -> str:
        """``"12.6 ms–13.3 ms"``; ``"≥ 12.6 ms"`` when the sample bounds only that side (the
        p95 of 30 samples has no upper bound), ``""`` for no interval."""
        low, high = self.ci_low, self.ci_high
        if math.isnan(low) or math.isnan(high) or (math.isinf(low) and math.isinf(high)):
            return ""
        dim = self.check.dimension
        if math.isinf(high):
            return f"≥ {format_quantity(low, dim)}"
        if math.isinf(low):
            return f"≤ {format_quantity(high, dim)}"
        return f"{format_quantity(low, dim)}–{format_quantity(high, dim)}"


@dataclass(frozen=True, slots=True)
class SlaReport:
    spec: SlaSpec
    results: tuple[CheckResult, ...]
    confidence: float = 0.95

    @property
    def passed(self) -> bool:
        """Every required check passed on data (``no data`` is never a pass), and at least one
        check did: an SLA of optional checks none of which had data showed nothing."""
        required = all(r.status is CheckStatus.PASS for r in self.results if r.check.required)
        return required and any(r.status is CheckStatus.PASS for r in self.results)

    @property
    def breached(self) -> bool:
        """A required check failed on data."""
        return any(r.status is CheckStatus.FAIL for r in self.results if r.check.required)

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.status is CheckStatus.FAIL)

    @property
    def missing(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.status is CheckStatus.NO_DATA)

    @property
    def weak_passes(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.results if r.weak_pass)

    @property
    def verdict(self) -> str:
        """``BREACH`` (a required check failed on data), ``NOT VERIFIED`` (a required check
        has no data, or no check passed on data at all) or ``PASS``."""
        if self.breached:
            return "BREACH"
        if any(r.check.required for r in self.missing):
            return "NOT VERIFIED"
        if not any(r.status is CheckStatus.PASS for r in self.results):
            return "NOT VERIFIED"  # "PASS — 0 of 1 checks pass" said nothing was shown
        return "PASS"

    def headline_details(self) -> list[str]:
        """What the verdict rests on: ``["1 of 2 checks pass", "1 fail (…)", …]``."""
        total = len(self.results)
        passed = sum(r.status is CheckStatus.PASS for r in self.results)
        fails, missing, weak = self.failures, self.missing, self.weak_passes
        missing_req = [r for r in missing if r.check.required]
        parts = [f"{passed} of {total} checks pass"]
        if fails:
            worst = fails[0]
            parts.append(
                f"{len(fails)} fail ({worst.check.id}: {worst.check.statistic} "
                f"{worst.observed_text()}, limit {worst.check.comparison} "
                f"{format_quantity(worst.check.threshold, worst.check.dimension)})"
            )
        if missing:
            req = f", {len(missing_req)} of them required" if missing_req else ""
            clocks = sum(r.note.startswith("not verified:") for r in missing)
            why = f" ({clocks} because the server's and client's clocks disagree)" if clocks else ""
            parts.append(f"{len(missing)} no data{req}{why}")
        unfinished = [r for r in weak if r.unfinished_pass]
        if unfinished:
            first = unfinished[0]
            parts.append(
                f"{len(unfinished)} passed only on the attempts that finished ({first.check.id}: "
                f"{first.left_out} of {first.n + first.left_out} never did)"
            )
        if len(weak) > len(unfinished):
            parts.append(f"{len(weak) - len(unfinished)} passed on too few samples to mean much")
        return parts

    @property
    def headline(self) -> str:
        """One line: the verdict first, then what it rests on."""
        first, *rest = self.headline_details()
        return "; ".join([f"SLA {self.spec.name!r}: {self.verdict} — {first}", *rest])

    def to_frame(self) -> pd.DataFrame:
        """One row per check. Columns: ``id``, ``phase``, ``rule`` (``"p95 < 100 ms"``),
        ``statistic``, ``comparison``, ``threshold``, ``observed``, ``ci_low``, ``ci_high``
        (canonical units), ``unit`` (``ms``, ``per_s``, ``fraction``, ``bytes``, ``count``),
        ``observed_text``, ``ci_text`` (``"≥ 12.6 ms"`` where the interval has one side only:
        in JSON an unbounded ``ci_low``/``ci_high`` is null), ``n``, ``status``, ``required``,
        ``reliable``, ``conclusive``, ``note``, ``data_from``, ``left_out`` (attempts without a
        value, never finished). A check failed on runs that timed out has for ``observed`` the
        lower bound they prove, and ``observed_text`` says so (``"≥ 4.002 s"``)."""
        rows = [
            {
                "id": r.check.id,
                "phase": r.check.phase,
                "rule": r.check.rule,
                "statistic": r.check.statistic,
                "comparison": r.check.comparison,
                "threshold": r.check.threshold,
                "observed": r.observed,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "unit": _UNIT_NAMES[r.check.dimension],
                "observed_text": r.observed_text(),
                "ci_text": r.ci_text(),
                "n": r.n,
                "status": str(r.status),
                "required": r.check.required,
                "reliable": r.reliable,
                "conclusive": r.conclusive,
                "note": r.note,
                "data_from": r.data_from,
                "left_out": r.left_out,
            }
            for r in self.results
        ]
        return pd.DataFrame(rows, columns=_FRAME_COLUMNS)

    def text(self) -> str:
        lines = [self.headline]
        table = [
            [
                "status",
                "check",
                "rule",
                "observed",
                f"{self.confidence * 100:.10g}% CI",
                "n",
                "note",
            ]
        ]
        for r in self.results:
            flag = str(r.status).upper() + ("" if r.check.required else " (opt)")
            ci = r.ci_text()
            table.append([flag, r.check.id, r.check.rule, r.observed_text(), ci, str(r.n), r.note])
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]) - 1)]
        for row in table:
            cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
            lines.append("  ".join([*cells, row[-1]]).rstrip())
        weak = self.weak_passes
        unfinished = [r.check.id for r in weak if r.unfinished_pass]
        thin = [r.check.id for r in weak if not r.unfinished_pass]
        if unfinished:
            names = ", ".join(unfinished)
            lines.append(f"passed only on the attempts that finished (see notes): {names}")
        if thin:
            lines.append(f"passed on too few samples to mean much (see notes): {', '.join(thin)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        # The generated repr spells out the spec and every check result.
        return f"SlaReport({self.headline!r})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, passed, breached, headline, checks (``to_frame`` rows)."""
        frame = self.to_frame()
        checks = json.loads(frame.to_json(orient="records"))
        return {
            "sla": self.spec.name,
            "path": self.spec.path,
            "passed": self.passed,
            "breached": self.breached,
            "headline": self.headline,
            "checks": checks,
            "weak_passes": [r.check.id for r in self.weak_passes],
        }


_UNIT_NAMES = {
    Dimension.TIME: "ms",
    Dimension.RATE: "per_s",
    Dimension.FRACTION: "fraction",
    Dimension.MEMORY: "bytes",
    Dimension.COUNT: "count",
}
_FRAME_COLUMNS = [
    "id",
    "phase",
    "rule",
    "statistic",
    "comparison",
    "threshold",
    "observed",
    "ci_low",
    "ci_high",
    "unit",
    "observed_text",
    "ci_text",
    "n",
    "status",
    "required",
    "reliable",
    "conclusive",
    "note",
    "data_from",
    "left_out",
]
