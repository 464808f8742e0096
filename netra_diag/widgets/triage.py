"""Triage panel: filter failure clusters; open a failing test's traceback, recording and findings.

Composes a ``suites.triage.TriageReport`` with ``events.sources.load_cassette_stream``,
``events.timeline.build_timeline``, ``events.contracts.check_run`` and
``charts.timeline.timeline_figure`` for the test's linked recording.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from netra_diag.widgets.base import Panel, escape, figure_html, html_table, in_kernel, pre

__all__ = ["TriagePanel"]

ALL = "all categories"


class TriagePanel(Panel):
    """Clusters of failures, worst first; pick one, then one of its tests.

    Drive: ``category.value`` (a category label or ``ALL``), ``search.value`` (text in the
    signature or a test id), ``clusters.value`` (index into ``report.clusters``), ``tests.value``
    (a test id). Results: ``clusters.options``, ``detail.value`` (traceback, HTML),
    ``findings_html.value``, ``figure`` (the recording's timeline, or ``None``).
    """

    title = "Suite triage"

    def __init__(self, report: Any) -> None:
        from netra_diag.suites.categories import category_label

        self.report = report
        self.figure: Any = None
        self.contract: Any = None
        labels = sorted({category_label(c.category) for c in report.clusters})
        self.headline = widgets.HTML(f"<p><b>{escape(report.headline)}</b></p>")
        self.category = widgets.Dropdown(options=[ALL, *labels], value=ALL, description="category")
        self.search = widgets.Text(placeholder="text in signature or test id", description="filter")
        # As wide as the panel: a cluster's label and a test id are long, and a fixed-width list
        # cut them where they differ ("2 × secret or claim mismatch [auth]: A").
        wide = {"width": "98%"}  # 100% and the widget margin overflow the panel by 2 px
        self.clusters = widgets.Select(options=[], rows=6, description="clusters", layout=wide)
        self.tests = widgets.Select(options=[], rows=5, description="tests", layout=wide)
        self.detail = widgets.HTML()
        self.findings_html = widgets.HTML()
        self.output = widgets.Output()
        self.category.observe(lambda _c: self._filter(), names="value")
        self.search.observe(lambda _c: self._filter(), names="value")
        self.clusters.observe(lambda _c: self._pick_cluster(), names="value")
        self.tests.observe(lambda _c: self._pick_test(), names="value")
        super().__init__(
            children=[
                self.headline,
                widgets.HBox([self.category, self.search]),
                self.clusters,
                self.tests,
                self.detail,
                self.output,
                self.findings_html,
            ]
        )
        self._filter()

    def _label(self, index: int) -> str:
        from netra_diag.suites.categories import category_label

        c = self.report.clusters[index]
        return f"{c.size} × {category_label(c.category)} [{c.phase}]: {c.signature.exc_type}"

    def _filter(self) -> None:
        from netra_diag.suites.categories import category_label

        needle = self.search.value.strip().lower()
        options = []
        for index, c in enumerate(self.report.clusters):
            if self.category.value != ALL and category_label(c.category) != self.category.value:
                continue
            haystack = " ".join([c.signature.describe(), *c.tests]).lower()
            if needle and needle not in haystack:
                continue
            options.append((self._label(index), index))
        self.clusters.options = options
        before, after = self.clusters.value, options[0][1] if options else None
        self.clusters.value = after
        if before == after:  # no change event: show it anyway
            self._pick_cluster()

    def _pick_cluster(self) -> None:
        index = self.clusters.value
        if index is None:
            # Nothing picked: no test, and no recording left over from the last one.
            self.tests.options = []
            # "no cluster matches" read as a filter hiding failures where nothing failed
            self.detail.value = (
                "<p><i>no cluster matches the filters</i></p>"
                if self.report.clusters
                else "<p><i>nothing failed: no failures to group by cause</i></p>"
            )
            self.figure, self.contract = None, None
            self.findings_html.value = ""
            if in_kernel():
                self.output.clear_output()
            return
        c = self.report.clusters[index]
        self.tests.options = list(c.tests)
        before = self.tests.value
        self.tests.value = c.representative if c.representative in c.tests else c.tests[0]
        if before == self.tests.value:
            self._pick_test()

    def _pick_test(self) -> None:
        from netra_diag.suites.categories import category_label

        test_id = self.tests.value
        index = self.clusters.value
        if test_id is None or index is None:
            return
        c = self.report.clusters[index]
        case = self.report.current.details.get(test_id)
        problem = case.primary if case is not None else None
        text = (problem.text or problem.message) if problem is not None else "(no details)"
        self.detail.value = (
            f"<p>{escape(category_label(c.category))}: {escape(c.category_reason)}<br>"
            f"{escape(c.because)}; phase <b>{escape(c.phase)}</b></p>"
            f"<p><b>{escape(test_id)}</b></p>{pre(text)}"
        )
        self._show_recording(test_id)

    def _show_recording(self, test_id: str) -> None:
        from netra_diag.charts.timeline import timeline_figure
        from netra_diag.errors import NetraDiagError
        from netra_diag.events.contracts import check_run
        from netra_diag.events.sources import load_cassette_stream
        from netra_diag.events.timeline import build_timeline

        recordings = self.report.recordings.get(test_id, ())
        self.figure, self.contract = None, None
        if in_kernel():
            self.output.clear_output()
        if not recordings:
            self.findings_html.value = "<p><i>no recording linked to this test</i></p>"
            return
        try:
            stream = load_cassette_stream(recordings[0].path)
        except (NetraDiagError, OSError) as exc:
            # Moved, deleted or cut short since triage linked it: said here, in words (a raise
            # in a selection callback reaches no one, and left the last test's findings shown).
            self.findings_html.value = (
                '<p style="color:#b00">the recording linked to this test could not be read: '
                f"{escape(exc)}</p>"
            )
            return
        self.contract = check_run(stream.events, context=stream.context())
        timeline = build_timeline(stream.events, stream.marks, label=stream.label, end=stream.end)
        self.figure = timeline_figure(timeline, reports=self.contract)
        rows = [
            {"severity": str(f.severity), "rule": str(f.rule), "finding": f.message}
            for f in self.contract.findings
        ]
        self.findings_html.value = f"<p>{escape(self.contract.verdict)}</p>" + html_table(
            rows, ("severity", "rule", "finding")
        )
        if in_kernel():
            from IPython.display import display

            with self.output:
                display(self.figure)

    def _filter_text(self) -> str:
        """What the filters keep, in words (``3 of 21 clusters (category …, filter 'x')``);
        empty while they keep every cluster."""
        shown, total = len(self.clusters.options), len(self.report.clusters)
        filters = []
        if self.category.value != ALL:
            filters.append(f"category {self.category.value}")
        if self.search.value.strip():
            filters.append(f"filter {self.search.value.strip()!r}")
        if not filters:
            return ""
        return f"{shown} of {total} clusters ({', '.join(filters)})"

    def static_html(self) -> str:
        """The panel as it stands: the clusters its filters keep, the picked test's traceback,
        recording and findings."""
        from netra_diag.suites.categories import category_label

        clusters = [self.report.clusters[index] for _label, index in self.clusters.options]
        rows = [
            {
                "tests": c.size,
                "category": category_label(c.category),
                "phase": c.phase,
                "why": c.because,
                "representative": c.representative,
            }
            for c in clusters
        ]
        shown = self._filter_text()
        parts: list[str] = [
            self.headline.value,
            f"<p><i>{escape(shown)}</i></p>" if shown else "",
            html_table(rows, ("tests", "category", "phase", "why", "representative"))
            if rows
            else "",
            self.detail.value,
            figure_html(self.figure),
            self.findings_html.value,
        ]
        return "".join(parts)
