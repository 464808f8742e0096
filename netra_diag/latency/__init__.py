"""Latency: per-phase metrics, honest summaries, mergeable histograms, SLAs as code, comparison.

Pure core (numpy and pandas only; no sockets, no plotting)::

    frames, events, runs = netra_diag.recording.load_frames(paths)
    metrics = phase_metrics(frames)              # tidy: run, user, phase, value_ms, source, ok …
    summary = summarize_latency(metrics)         # count, mean, min/max, p50…p99.9 with 95 % CIs
    report = evaluate_sla(load_sla("service"), metrics)   # PROTOCOL.md §8 numbers
    diff = compare_latency(baseline_metrics, metrics)     # regression / improvement / noise

Figures live in ``netra_diag.charts.latency``; the CLI in ``netra-diag sla check``.
"""

from netra_diag.latency.compare import ComparisonReport, PhaseComparison, Verdict, compare_latency
from netra_diag.latency.evaluate import evaluate_sla
from netra_diag.latency.gate import SlaGate
from netra_diag.latency.histogram import LatencyHistogram
from netra_diag.latency.metrics import (
    METRIC_COLUMNS,
    Phase,
    frames_from_run,
    metrics_from_runs,
    phase_metrics,
)
from netra_diag.latency.omission import (
    OmissionReport,
    correct_coordinated_omission,
    omission_from_fanout,
)
from netra_diag.latency.sla import SlaCheck, SlaSpec, load_sla, parse_sla
from netra_diag.latency.sla_report import CheckResult, CheckStatus, SlaReport
from netra_diag.latency.summary import (
    DEFAULT_QUANTILES,
    Estimate,
    GroupSummary,
    LatencySummary,
    summarize_latency,
)
from netra_diag.latency.units import Dimension, parse_quantity

__all__ = [
    "DEFAULT_QUANTILES",
    "METRIC_COLUMNS",
    "CheckResult",
    "CheckStatus",
    "ComparisonReport",
    "Dimension",
    "Estimate",
    "GroupSummary",
    "LatencyHistogram",
    "LatencySummary",
    "OmissionReport",
    "Phase",
    "PhaseComparison",
    "SlaCheck",
    "SlaGate",
    "SlaReport",
    "SlaSpec",
    "Verdict",
    "compare_latency",
    "correct_coordinated_omission",
    "evaluate_sla",
    "frames_from_run",
    "load_sla",
    "metrics_from_runs",
    "omission_from_fanout",
    "parse_quantity",
    "parse_sla",
    "phase_metrics",
    "summarize_latency",
]
