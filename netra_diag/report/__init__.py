"""Notebooks as reports: papermill runs, self-contained HTML, JSON summaries, secret safety.

In a notebook::

    from netra_diag import report
    summary = report.Summary(summary_path, notebook="latency_sla")
    summary.check("sla", kind="sla", passed=evaluation.passed, detail=evaluation.verdict)
    report.format_table(frame, ["phase", "p95_ms"], empty="no measurements")  # for readers

From Python or ``netra-diag report NAME -p KEY VALUE``::

    result = report.run_report("latency_sla", {"sla_file": "service"}, out_dir="netra-report")
    result.exit_code, result.headline, result.html_path

Submodules load lazily where they are heavy: importing this package pulls in neither papermill
nor nbconvert nor plotly.
"""

from __future__ import annotations

from netra_diag.report.artifacts import DEFAULT_OUT_DIR, MAX_REPORT_BYTES, prepare_out_dir
from netra_diag.report.failed_checks import ChecksFailed
from netra_diag.report.figures import PLOTLY_MIME, figure_placeholder, figure_spec
from netra_diag.report.kernelspec import ensure_kernel
from netra_diag.report.notebooks import find_notebook, notebook_parameters, notebooks_dir
from netra_diag.report.outcome import ReportResult
from netra_diag.report.parameters import (
    flag_parameter,
    number_parameter,
    require_paths,
    text_parameter,
)
from netra_diag.report.runner import run_report
from netra_diag.report.safety import (
    check_parameters,
    find_leaks,
    is_token,
    scrub_notebook,
    scrub_text,
    secret_values,
)
from netra_diag.report.summary import Check, CheckKind, Summary, exit_code_for
from netra_diag.report.tables import Table, format_table
from netra_diag.report.triage_checks import triage_checks

__all__ = [
    "DEFAULT_OUT_DIR",
    "MAX_REPORT_BYTES",
    "PLOTLY_MIME",
    "Check",
    "CheckKind",
    "ChecksFailed",
    "ReportResult",
    "Summary",
    "Table",
    "check_parameters",
    "ensure_kernel",
    "exit_code_for",
    "figure_placeholder",
    "figure_spec",
    "find_leaks",
    "find_notebook",
    "flag_parameter",
    "format_table",
    "is_token",
    "notebook_parameters",
    "notebooks_dir",
    "number_parameter",
    "prepare_out_dir",
    "require_paths",
    "run_report",
    "scrub_notebook",
    "scrub_text",
    "secret_values",
    "text_parameter",
    "triage_checks",
]
