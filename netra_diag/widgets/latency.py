"""Latency panel: pick recordings and phases; histogram or ECDF; summary and SLA tables.

Composes ``netra_diag.latency`` (``summarize_latency``, ``evaluate_sla``) and
``netra_diag.charts.latency`` (``histogram_figure``, ``ecdf_figure``) over a ``phase_metrics``
DataFrame; selecting only filters rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from netra_diag.report.tables import format_table
from netra_diag.widgets.base import Panel, escape, figure_html, in_kernel

__all__ = ["LatencyPanel"]

# By source too: a tool's duration is measured by the client and reported by the server, and
# the two are different measurements.
_BY = ["phase", "source"]
_SUMMARY_COLUMNS = (*_BY, "count", "failed", "p50_ms", "p95_ms", "p99_ms", "max_ms", "unreliable")
_SLA_COLUMNS = ("status", "id", "rule", "observed_text", "ci_text", "n", "required", "note")


def _short_names(paths: Sequence[str]) -> list[str]:
    """Each recording's path below the folder they share: recorded in one temp folder, the whole
    paths differ only past the width of the list (``/tmp/netra-latency-8wz4jvdx/0000…``)."""
    if len(paths) < 2:
        return [os.path.basename(p) or p for p in paths]
    try:
        common = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # relative and absolute paths mixed
        return list(paths)
    return [os.path.relpath(p, common) if common else p for p in paths]


def _frame_html(frame: Any, columns: Sequence[str], labels: dict[str, str] | None = None) -> str:
    """``frame`` as a readable table (no index, rounded milliseconds, yes/no), or a sentence."""
    return format_table(frame, columns, labels=labels, empty="no data")._repr_html_()


class LatencyPanel(Panel):
    """Histogram/ECDF and tables for the chosen recordings and phases.

    ``metrics``: ``latency.phase_metrics(frames)``; ``sla``: an ``SlaSpec`` (``load_sla``) to
    evaluate on the selection, or ``None``. Drive: ``recordings.value``, ``phases.value`` (tuples),
    ``kind.value`` (``"histogram"`` / ``"ecdf"``). Results: ``figure`` (the current ``go.Figure``),
    ``summary_html.value``, ``sla_html.value``, ``sla_report``.
    """

    title = "Latency"

    def __init__(
        self,
        metrics: Any,
        *,
        sla: Any = None,
        phases: Sequence[str] | None = None,
        kind: str = "histogram",
    ) -> None:
        missing = [c for c in ("phase", "value_ms") if c not in getattr(metrics, "columns", ())]
        if missing:
            from netra_diag.errors import LatencyDataError

            raise LatencyDataError(
                "LatencyPanel",
                f"metrics need column(s) {missing} (latency.phase_metrics(frames) gives them); "
                f"got {list(getattr(metrics, 'columns', []))}",
            )
        if "cassette" not in metrics.columns:
            # A table built by hand: one recording, named for what it is.
            metrics = metrics.assign(cassette="(these metrics)")
        self.metrics = metrics
        self.sla_spec = sla
        self.sla_report: Any = None
        self.figure: Any = None
        cassettes = sorted(str(c) for c in metrics["cassette"].dropna().unique())
        available = [str(p) for p in metrics["phase"].dropna().unique()]
        chosen = [p for p in (phases or available) if p in available] or available[:1]
        self.recordings = widgets.SelectMultiple(
            options=list(zip(_short_names(cassettes), cassettes, strict=True)),
            value=tuple(cassettes),
            rows=min(8, max(2, len(cassettes))),
            description="recordings",
            layout={"width": "60%"},
        )
        self.phases = widgets.SelectMultiple(
            options=available,
            value=tuple(chosen),
            rows=min(8, max(2, len(available))),
            description="phases",
            layout={"width": "38%"},
        )
        self.kind = widgets.ToggleButtons(options=["histogram", "ecdf"], value=kind)
        self.output = widgets.Output()
        self.notice = widgets.HTML()  # an empty selection, or a selection that could not be drawn
        self.summary_html = widgets.HTML()
        self.sla_html = widgets.HTML()
        for control in (self.recordings, self.phases, self.kind):
            control.observe(lambda _change: self.refresh(), names="value")
        super().__init__(
            children=[
                widgets.HBox([self.recordings, self.phases]),
                self.kind,
                self.notice,
                self.output,
                widgets.HTML("<b>Summary</b> (milliseconds)"),
                self.summary_html,
                widgets.HTML("<b>SLA</b>"),
                self.sla_html,
            ]
        )
        self.refresh()

    def selected(self) -> Any:
        """The metric rows of the chosen recordings (all phases)."""
        rows = self.metrics[self.metrics["cassette"].astype(str).isin(self.recordings.value)]
        return rows

    def refresh(self) -> None:
        """Redraw the figure and tables for the current selection; an empty selection, or one that
        cannot be drawn, is said in the panel (a raise in a selection callback reaches no one)."""
        try:
            self._refresh()
        except Exception as exc:  # shown in the panel; the controls stay usable
            self.notice.value = (
                '<p style="color:#b00">this selection could not be drawn: '
                f"{escape(type(exc).__name__)}: {escape(exc)}</p>"
            )

    def _refresh(self) -> None:
        from IPython.display import display

        from netra_diag.charts.latency import ecdf_figure, histogram_figure, sla_limits
        from netra_diag.latency import evaluate_sla, summarize_latency

        rows = self.selected()
        phases = list(self.phases.value)
        empty = ""
        if self.metrics.empty:
            empty = "no measurements: the recordings hold no phase to measure"
        elif not self.recordings.value:
            empty = "no recording selected: pick one or more (shift- or ctrl-click)"
        elif not phases:
            empty = "no phase selected: pick one or more (shift- or ctrl-click)"
        self.notice.value = f"<p><b>{escape(empty)}</b></p>" if empty else ""
        self.figure = None
        if not empty:
            draw = histogram_figure if self.kind.value == "histogram" else ecdf_figure
            self.figure = draw(rows, phase=phases, limits=sla_limits(self.sla_spec, phases))
        if in_kernel():
            # wait=True keeps the old figure until new output comes: with nothing to draw, none
            # comes, and the figure of the last selection stayed under "no phase selected".
            self.output.clear_output(wait=self.figure is not None)
            if self.figure is not None:
                with self.output:
                    display(self.figure)
        if empty:
            self.summary_html.value = f"<p>{escape(empty)}</p>"
            self.sla_report = None
            if self.sla_spec is not None:
                # With no measurements at all the SLA is still evaluated: every check "no data".
                self.sla_html.value = (
                    "<p>no recording selected: the SLA is not evaluated</p>"
                    if not self.recordings.value and not self.metrics.empty
                    else self._sla_html(evaluate_sla(self.sla_spec, rows))
                )
            return
        chosen = rows[rows["phase"].isin(phases)] if phases else rows
        # Failed attempts stay in: the summary counts them ("failed") rather than showing the
        # runs that finished as if they were all.
        by = [c for c in _BY if c in chosen.columns]
        summary = summarize_latency(chosen, by=by) if len(chosen) else None
        self.summary_html.value = (
            _frame_html(summary.to_frame(), [*by, *_SUMMARY_COLUMNS[len(_BY) :]])
            if summary
            else "<p>no samples</p>"
        )
        if self.sla_spec is not None:
            self.sla_html.value = self._sla_html(evaluate_sla(self.sla_spec, rows))

    def _sla_html(self, report: Any) -> str:
        self.sla_report = report
        labels = {"ci_text": f"{report.confidence:.0%} CI"}
        table = _frame_html(report.to_frame(), _SLA_COLUMNS, labels)
        return f"<p>{escape(report.headline)}</p>" + table

    def static_html(self) -> str:
        tables = f"{self.summary_html.value}{self.sla_html.value}"
        return f"{self.notice.value}{figure_html(self.figure)}{tables}"
