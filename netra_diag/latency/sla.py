"""SLAs as code: a small TOML file of checks, parsed into an ``SlaSpec``.

File format (``netra_diag/data/sla/service.toml`` is a complete example)::

    name = "service"                       # optional: name, description, source
    description = "the service's own numbers"

    [[check]]
    id = "event-latency-p95"               # optional; defaults to "<phase>-<statistic>"
    phase = "event_latency"                # a phase of phase_metrics() (``Phase``), or a
                                           # context phase (CONTEXT_PHASES: memory_peak,
                                           # suite_duration, suite_success)
    statistic = "p95"                      # pNN / pNN.N, median, mean, min, max, count,
                                           # rate (events/s over `burst` gaps), success_rate
    # percentile = 95                      # the same as statistic = "p95"
    comparison = "<"                       # <, <=, >, >=
    threshold = "100 ms"                   # a number with a unit (ms, s, /s, %, MB …),
                                           # or threshold = 100 with unit = "ms"
    sustained = "60 s"                     # optional: must hold in every window this long
    required = true                        # optional (default true): counts toward the verdict
    burst = 20                             # rate only: events per burst (default 20)
    source = "server"                      # optional: only rows measured by client or server
    min_samples = 1                        # optional: fewer samples count as "no data"
    where = { tool = "cost_analyzer" }     # optional: equality filters on metric columns
                                           # (tool, source, user, run, cassette, label_<name>)
    description = "PROTOCOL.md §8"

A phase must be one of ``KNOWN_PHASES``: a misspelt phase would otherwise never match a row and
read as "no data" (or pass with ``--allow-missing``). ``parse_sla(..., phases=None)`` accepts any
name, for metric tables built by hand with phases of their own. Thresholds are never negative: no
duration, size, rate, count or share is below zero.

Errors raise ``ConfigFileError`` with the file, the line and the field. ``tomllib`` reports the
line of syntax errors; for semantic errors the line of the offending key (or of its
``[[check]]`` header) is found by scanning the text, since ``tomllib`` keeps no positions.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from netra_diag.errors import ConfigFileError
from netra_diag.latency.phase_names import Phase
from netra_diag.latency.sla_direction import direction_note, never_passes
from netra_diag.latency.sla_file import builtin_hint, wrong_kind
from netra_diag.latency.sla_lines import Locator as _Locator
from netra_diag.latency.sla_lines import key_on_line as _key_on_line
from netra_diag.latency.sla_statistics import check_dimension as _check_dimension
from netra_diag.latency.sla_statistics import parse_statistic
from netra_diag.latency.units import Dimension, format_quantity, parse_quantity

__all__ = [
    "BUILTIN_SLAS",
    "COMPARISONS",
    "CONTEXT_PHASES",
    "KNOWN_PHASES",
    "SlaCheck",
    "SlaSpec",
    "load_sla",
    "parse_sla",
    "parse_statistic",
]

BUILTIN_SLAS: tuple[str, ...] = ("service", "remediation")
COMPARISONS: dict[str, str] = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
CONTEXT_PHASES: dict[str, Dimension] = {
    # Measurements recordings cannot carry, given with ``sla check --context NAME=VALUE``
    # (PROTOCOL.md §10's remediation table), and what each one measures.
    "memory_peak": Dimension.MEMORY,
    "suite_duration": Dimension.TIME,
    "suite_success": Dimension.FRACTION,
}
KNOWN_PHASES: tuple[str, ...] = (*(str(p) for p in Phase), *CONTEXT_PHASES)
_TOP_KEYS = ("name", "description", "source", "check")
_CHECK_KEYS = (
    "id",
    "phase",
    "metric",
    "statistic",
    "percentile",
    "comparison",
    "threshold",
    "unit",
    "sustained",
    "required",
    "burst",
    "source",
    "min_samples",
    "where",
    "description",
)
# Metric columns (``latency.metrics.METRIC_COLUMNS``) with values worth filtering on.
_WHERE_COLUMNS = ("tool", "source", "user", "run", "cassette")


@dataclass(frozen=True, slots=True)
class SlaCheck:
    """One check. ``threshold`` and ``sustained_ms`` are in canonical units (see ``units``)."""

    id: str
    phase: str
    statistic: str
    quantile: float | None
    comparison: str
    threshold: float
    dimension: Dimension
    threshold_text: str
    required: bool = True
    sustained_ms: float | None = None
    burst: int = 20
    source: str | None = None
    min_samples: int = 1
    where: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    line: int | None = None

    def holds(self, observed: float) -> bool:
        """Whether ``observed`` (canonical units) satisfies the comparison."""
        if not math.isfinite(observed):
            return False
        t = self.threshold
        return {
            "<": observed < t,
            "<=": observed <= t,
            ">": observed > t,
            ">=": observed >= t,
        }[self.comparison]

    @property
    def lower_is_better(self) -> bool:
        return self.comparison in ("<", "<=")

    @property
    def direction_note(self) -> str:
        """A warning when the comparison points the unusual way for what is measured, or no
        value can pass it (``sla_direction``); "" otherwise."""
        return direction_note(self)

    @property
    def rule(self) -> str:
        """``"p95 < 100 ms"``."""
        return (
            f"{self.statistic} {self.comparison} {format_quantity(self.threshold, self.dimension)}"
        )


@dataclass(frozen=True, slots=True)
class SlaSpec:
    name: str
    checks: tuple[SlaCheck, ...]
    description: str = ""
    source: str = ""
    path: str = ""


def load_sla(path: str | Path, *, phases: Collection[str] | None = KNOWN_PHASES) -> SlaSpec:
    """Read an SLA file, or a built-in by name (``"service"``, ``"remediation"``). ``phases``:
    the phase names a check may use (``None``: any)."""
    text_path = str(path)
    candidate = Path(text_path)
    if not candidate.exists() and text_path in BUILTIN_SLAS:
        res = resources.files("netra_diag") / "data" / "sla" / f"{text_path}.toml"
        return parse_sla(
            res.read_text(encoding="utf-8"), path=f"<builtin {text_path}>", phases=phases
        )
    try:
        raw = candidate.read_bytes()
    except OSError as exc:
        why = f"{exc.strerror or exc}{builtin_hint(text_path, BUILTIN_SLAS)}"
        raise ConfigFileError(text_path, f"cannot read SLA file: {why}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigFileError(text_path, "not UTF-8 text", line=line) from exc
    if wrong_kind(text):
        raise ConfigFileError(text_path, wrong_kind(text), line=1)
    return parse_sla(text, path=text_path, phases=phases)


def parse_sla(
    text: str, *, path: str = "<string>", phases: Collection[str] | None = KNOWN_PHASES
) -> SlaSpec:
    """Parse SLA TOML text. Raises ConfigFileError naming the line and field. ``phases``: the
    phase names a check may use (default ``KNOWN_PHASES``; ``None`` accepts any name)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        if match:
            reason += f" (column {match.group(2)})"
        field_name = _key_on_line(text, line) if line else None
        raise ConfigFileError(path, f"TOML syntax: {reason}", line=line, field=field_name) from exc
    locator = _Locator(text)
    for key in data:
        if key not in _TOP_KEYS:
            # A check's field above the first [[check]], or a [where] table after one, is read
            # by TOML as the file's own: say where it belongs, not only that it is unknown.
            belongs = (
                f"; {key!r} is a field of a check: put it below its [[check]] header "
                f"({key} = ..., or a [check.{key}] table)"
                if key in _CHECK_KEYS
                else ""
            )
            raise ConfigFileError(
                path,
                _unknown(key, _TOP_KEYS) + belongs,
                line=locator.top_key(key),
                field=key,
            )
    name = _string(data, "name", path, locator.top_key("name"), default=Path(path).stem)
    description = _string(data, "description", path, locator.top_key("description"))
    source = _string(data, "source", path, locator.top_key("source"))
    raw_checks = data.get("check")
    if raw_checks is None:
        raise ConfigFileError(path, "no [[check]] entries", line=None, field="check")
    if not isinstance(raw_checks, list) or not all(isinstance(c, dict) for c in raw_checks):
        raise ConfigFileError(
            path, "'check' must be an array of tables ([[check]])", line=locator.top_key("check")
        )
    checks: list[SlaCheck] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_checks):
        check = _parse_check(raw, index, path, locator, phases)
        if check.id in seen:
            raise ConfigFileError(
                path,
                f"duplicate check id {check.id!r} (check #{seen[check.id] + 1} has it too)",
                line=locator.check_key(index, "id"),
                field="id",
            )
        seen[check.id] = index
        checks.append(check)
    return SlaSpec(name, tuple(checks), description, source, path)


def _unknown(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown field {key!r}{hint}; known fields: {', '.join(known)}"


def _string(
    data: Mapping[str, Any], key: str, path: str, line: int | None, default: str = ""
) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ConfigFileError(
            path, f"must be a string, got {type(value).__name__}", line=line, field=key
        )
    return value


def _parse_check(
    raw: dict[str, Any],
    index: int,
    path: str,
    locator: _Locator,
    phases: Collection[str] | None,
) -> SlaCheck:
    def fail(key: str, reason: str) -> ConfigFileError:
        return ConfigFileError(
            path, f"check #{index + 1}: {reason}", line=locator.check_key(index, key), field=key
        )

    for key in raw:
        if key not in _CHECK_KEYS:
            raise fail(key, _unknown(key, _CHECK_KEYS))
    if "phase" in raw and "metric" in raw:
        raise fail("metric", "give either 'phase' or 'metric', not both")
    phase_key = "metric" if "metric" in raw else "phase"
    phase = raw.get(phase_key)
    if not isinstance(phase, str) or not phase.strip():
        raise fail(phase_key, "missing or empty: name the phase this check measures")
    phase = phase.strip()
    if phases is not None and phase not in phases:
        close = difflib.get_close_matches(phase, list(phases), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise fail(phase_key, f"unknown phase {phase!r}{hint} (known: {', '.join(phases)})")

    if "statistic" in raw and "percentile" in raw:
        raise fail("percentile", "give either 'statistic' or 'percentile', not both")
    if "percentile" in raw:
        pct = raw["percentile"]
        if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 < pct < 100:
            raise fail("percentile", f"must be a number between 0 and 100, got {pct!r}")
        statistic, quantile = parse_statistic(f"p{float(pct):.10g}")
    else:
        stat = raw.get("statistic")
        if not isinstance(stat, str):
            raise fail("statistic", "missing: say which statistic (p95, max, mean, rate …)")
        try:
            statistic, quantile = parse_statistic(stat)
        except ValueError as exc:
            raise fail("statistic", str(exc)) from None

    comparison = raw.get("comparison")
    if not isinstance(comparison, str) or comparison not in COMPARISONS:
        raise fail("comparison", f"must be one of <, <=, >, >=; got {comparison!r}")

    if "threshold" not in raw:
        raise fail("threshold", "missing: give a number with a unit, e.g. '100 ms'")
    unit = raw.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise fail("unit", f"must be a string such as 'ms', got {unit!r}")
    try:
        quantity = parse_quantity(raw["threshold"], unit=unit)
    except ValueError as exc:
        raise fail("threshold", str(exc)) from None
    if quantity.value < 0:
        raise fail("threshold", f"must not be negative, got {quantity.text!r}")
    _check_dimension(statistic, quantity, fail)

    sustained_ms = None
    if "sustained" in raw:
        try:
            window = parse_quantity(raw["sustained"])
        except ValueError as exc:
            raise fail("sustained", str(exc)) from None
        if window.dimension is not Dimension.TIME or window.value <= 0:
            raise fail(
                "sustained", f"must be a positive duration such as '60 s', got {window.text!r}"
            )
        sustained_ms = window.value

    required = raw.get("required", True)
    if not isinstance(required, bool):
        raise fail("required", f"must be true or false, got {required!r}")
    burst = raw.get("burst", 20)
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 2:
        raise fail("burst", f"must be an integer >= 2, got {burst!r}")
    if "burst" in raw and statistic != "rate":
        raise fail("burst", "only applies to statistic = 'rate'")
    source = raw.get("source")
    if source is not None and source not in ("client", "server"):
        raise fail("source", f"must be 'client' or 'server', got {source!r}")
    min_samples = raw.get("min_samples", 1)
    if isinstance(min_samples, bool) or not isinstance(min_samples, int) or min_samples < 1:
        raise fail("min_samples", f"must be an integer >= 1, got {min_samples!r}")
    where = raw.get("where", {})
    if not isinstance(where, dict) or not all(isinstance(v, str) for v in where.values()):
        raise fail("where", 'must be a table of column = "value" strings')
    if phases is not None:
        # A misspelt column matches no row: the check would read as "no data", never judged.
        for column in where:
            if column not in _WHERE_COLUMNS and not column.startswith("label_"):
                close = difflib.get_close_matches(column, _WHERE_COLUMNS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise fail(
                    "where",
                    f"unknown column {column!r}{hint}; filter on {', '.join(_WHERE_COLUMNS)} "
                    "or label_<name> (a recording label)",
                )
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be a string")
    check_id = raw.get("id", f"{phase}-{statistic}")
    if not isinstance(check_id, str) or not check_id.strip():
        raise fail("id", f"must be a non-empty string, got {check_id!r}")
    check = SlaCheck(
        id=check_id.strip(),
        phase=phase,
        statistic=statistic,
        quantile=quantile,
        comparison=str(comparison),
        threshold=quantity.value,
        dimension=quantity.dimension,
        threshold_text=quantity.text,
        required=required,
        sustained_ms=sustained_ms,
        burst=burst,
        source=source,
        min_samples=min_samples,
        where=dict(where),
        description=description,
        line=locator.check_header(index),
    )
    impossible = never_passes(check)
    if impossible:
        # Judged, it would be a breach whatever the service did: the file is wrong, not it.
        raise fail("threshold", f"{impossible}; no recording could meet this limit")
    return check
