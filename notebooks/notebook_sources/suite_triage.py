"""The cells of ``suite_triage.ipynb``: failing suite results grouped by cause,
diffed against a baseline, with the worst finding first.
"""

from notebook_sources.cells import RUN_HINT, Cell, code, gate_cell, md, parameters

CELLS: list[Cell] = [
    md(
        """
# Suite triage

What is failing, why, and what is new, from JUnit XML, pytest-json or jest `--json` results:
failures grouped by cause, the service's failure categories named, a diff against the baseline,
passes that prove little, and a headline that puts the worst finding first. By default it triages
the bundled example against its baseline: the service's remediation report of PROTOCOL.md §10.
Given `results` without a `baseline`, failing tests fail the report as they fail `netra-diag
triage` (exit 1), since none can be told new.
"""
        + RUN_HINT.format(name="suite_triage")
    ),
    parameters(
        """
results = ""  # result files or shard folders, comma-separated; empty: the bundled example
baseline = ""  # the baseline's files, comma-separated; empty: none (new failures not judged)
recordings = ""  # folder of cassettes recorded with --netra-record, linked to failing tests
history = ""  # folder of earlier runs, one results file or shard folder each (flakiness)
raise_on_failed_checks = False  # True: a failed required check fails a papermill run (exit 1)
summary_path = ""  # set by `netra-diag report`: where the JSON summary goes
"""
    ),
    code(
        """
from IPython.display import Markdown, display

from netra_diag import investigation, report
from netra_diag.charts.triage import causes_figure, flakiness_figure, suite_outcomes_figure
from netra_diag.suites.triage import triage
from netra_diag.widgets import TriagePanel

summary = report.Summary(summary_path, notebook="suite_triage")
# Run by papermill itself, `-p raise_on_failed_checks false` is a text, which Python reads
# as true, `-p results 5` an int, and `-y` may give a list: each is read or refused here.
raise_on_failed_checks = report.flag_parameter("raise_on_failed_checks", raise_on_failed_checks)
results = report.text_parameter("results", results)
baseline = report.text_parameter("baseline", baseline)
recordings = report.text_parameter("recordings", recordings)
history = report.text_parameter("history", history)
# Both empty: the bundled example and its baseline; a baseline without results is refused.
current, previous = investigation.suite_inputs(results, baseline)
result = triage(
    current, baseline=previous, recordings=recordings or None, history=history or None
)
summary.set_headline(result.headline)
for warning in result.warnings:  # (a history run left out, a file not results, ...)
    summary.warn(warning)
display(Markdown(result.to_markdown()))
"""
    ),
    md(
        """
## At a glance

Each suite's tests by outcome (worst suite on top; a diamond where the baseline's passes were),
the failing tests by cause and the phase they failed in, and, with a `history`, the flaky tests
run by run.
"""
    ),
    code(
        """
display(suite_outcomes_figure(result))
display(causes_figure(result))
if result.flakiness is not None:
    display(flakiness_figure(result))
"""
    ),
    md(
        """
## Explore the clusters

Filter by category or text; pick a cluster, then a test: its traceback, and its recording's
timeline and contract findings when one is linked.
"""
    ),
    code(
        """
panel = TriagePanel(result)
panel
"""
    ),
    code(
        """
summary.record("counts", result.current.counts.as_dict())
summary.record("clusters", [
    {"tests": c.size, "category": str(c.category), "phase": str(c.phase), "why": c.because}
    for c in result.clusters
])
if result.flakiness is not None:
    # (counts.flaky is this run's retried tests; these flip across the history's runs)
    summary.record("flaky_in_history", [
        {"test": f.test_id, "runs": f.history, "score": f.score} for f in result.flakiness.flaky
    ])
# Without a baseline "new" cannot be judged: new_failures is then not verified, never a pass,
# and failing tests fail the report as they fail `netra-diag triage` (exit 1; 9 for an outage).
checks = report.triage_checks(result)  # failed first
summary.extend(checks)
new_failures = next(c for c in checks if c.name == "new_failures")
summary.set_headline(investigation.triage_headline(result, new_failures))
summary
"""
    ),
    gate_cell(),
]
