"""The cells of ``investigation_report.ipynb``: the whole investigation in one place:
faults injected, sessions recorded and checked, latency, diagnosis and suite triage.
"""

from notebook_sources.cells import RUN_HINT, Cell, code, gate_cell, md, parameters

CELLS: list[Cell] = [
    md(
        """
# Investigation report

The whole investigation in one place, as `netra-diag demo` runs it: the reference service with
injected faults, many users fanned out and recorded, every session's event contract checked,
latency against the service's SLA, what was injected against what was diagnosed, and the bundled
failing suite triaged. The headline puts the worst finding first.
"""
        + RUN_HINT.format(name="investigation_report")
    ),
    parameters(
        """
recordings = ""  # folder (`netra-diag demo`, fanout --record) or cassettes, comma-separated
record_dir = ""  # where recordings made now go; empty: a temp folder (report: --out/recordings)
users = 20  # fan-out size when collecting now
runs = 3  # runs per user when collecting now
faults = "drop_event@0.08,duplicate_event@0.05,stall@0.05"  # injected when collecting now
time_scale = 0.25  # pace of the embedded service when collecting now; 1.0 is realistic
sla = "service"  # a bundled SLA (service, remediation) or the path of a TOML file
results = ""  # suite files, comma-separated; empty: bundled (demo recordings only); "none": skip
baseline = ""  # the baseline's results, comma-separated (with `results`)
raise_on_failed_checks = False  # True: a failed required check fails a papermill run (exit 1)
summary_path = ""  # set by `netra-diag report`: where the JSON summary goes
"""
    ),
    code(
        """
# Record the sessions (or read them), then judge them: the report's long step.
import tempfile

from IPython.display import Markdown, display

from netra_diag import investigation, report
from netra_diag.charts.latency import ecdf_figure, histogram_figure
from netra_diag.charts.timeline import swimlanes_figure, timeline_figure
from netra_diag.charts.triage import causes_figure, suite_outcomes_figure
from netra_diag.events.timeline import build_timeline
from netra_diag.latency import load_sla
from netra_diag.suites.render import markdown_literal
from netra_diag.widgets import LatencyPanel, TriagePanel

summary = report.Summary(summary_path, notebook="investigation_report")
# Run by papermill itself, `-p users ten` is a text and `-p raise_on_failed_checks false` a
# text, which Python reads as true: each is read here as its default's type, or refused.
users = report.number_parameter("users", users, whole=True)
runs = report.number_parameter("runs", runs, whole=True)
time_scale = report.number_parameter("time_scale", time_scale)
raise_on_failed_checks = report.flag_parameter("raise_on_failed_checks", raise_on_failed_checks)
recordings = report.text_parameter("recordings", recordings)
faults = report.text_parameter("faults", faults, numbers=True)
sla = report.text_parameter("sla", sla)
# results "none" skips the triage; empty: the bundled example for recordings of the embedded
# service made here or by the demo, for your own recordings no suite (new_failures not verified).
suite, suite_baseline = investigation.investigation_suite(
    report.text_parameter("results", results), report.text_parameter("baseline", baseline)
)
# Read now: a missing results file or a bad SLA file is refused before a fan-out is recorded.
report.require_paths("results", suite)
report.require_paths("baseline", suite_baseline)
load_sla(sla)
if not recordings:
    config = investigation.CollectConfig(
        users=users, runs=runs, faults=faults, time_scale=time_scale
    )
    collection = await investigation.collect(
        record_dir or tempfile.mkdtemp(prefix="netra-investigation-"), config
    )
    recordings = str(collection.record_dir)
    print(f"recorded {collection.fanout['users']} users' sessions in {recordings}")
inv = investigation.analyse(recordings, sla=sla, results=suite, baseline=suite_baseline)
summary.set_headline(inv.headline)
summary.extend(inv.checks)
for warning in inv.warnings:  # lines of damaged recordings the loader skipped
    print("warning:", summary.warn(warning))
summary.record("investigation", inv.to_summary())
display(Markdown(f"## Headline\\n\\n**{markdown_literal(inv.headline)}**"))
# The status, not "passed": a check that could not be judged for lack of data is no pass.
checks = [
    {"status": c.status, "check": c.name, "kind": str(c.kind), "detail": c.detail}
    for c in inv.checks
]
report.format_table(checks, empty="no checks")
"""
    ),
    md(
        """
## Injected and diagnosed

Every fault the service injected, and how the diagnosis saw it: the contract rule that fault
breaks, found in its own run (a dropped tool_completed leaves an unfinished tool, a duplicate a
duplicate_event); for a stall, which breaks no contract, the event gap it left (or the wait for
the first event, when it came before agent_started). A fault no recording can show, such as the
last of several agent_thinking steps dropped, is marked "not observable" and not counted.
"""
    ),
    code(
        """
report.format_table(
    inv.injected,
    ["fault", "user_id", "run_id", "detail", "detected_by"],
    labels={"user_id": "user"},
    empty="no faults were injected",
)
"""
    ),
    md("## Event contracts"),
    code(
        """
findings = inv.findings_frame()
clean = "no findings: every session kept the event contract"
report.format_table(
    findings["rule"].astype(str).value_counts().rename_axis("rule").reset_index(name="findings"),
    caption=f"{len(findings)} findings in {len(inv.contracts)} sessions",
    empty=clean,
)
"""
    ),
    code(
        """
report.format_table(
    findings.head(30),
    ["cassette", "severity", "rule", "message"],
    caption=f"the first 30 of {len(findings)}" if len(findings) > 30 else "",
    empty=clean,
)
"""
    ),
    md(
        """
## Timelines

One agent turn as a user saw it, then every run of the sessions that broke the contract, aligned
at their start, findings marked.
"""
    ),
    code(
        """
turn = [s for s in inv.streams if s.labels.get("role") == "turn"]
if turn:
    first = turn[0]
    display(
        timeline_figure(
            build_timeline(first.events, first.marks, label=first.label, end=first.end),
            reports=inv.contracts[first.label],
            title="One agent turn",
        )
    )
failing = [s for s in inv.streams if not inv.contracts[s.label].ok][:8]
swimlanes_figure(
    [build_timeline(s.events, s.marks, label=s.label, end=s.end) for s in failing],
    reports=[inv.contracts[s.label] for s in failing],
    title=f"Runs of {len(failing)} sessions that broke the contract",
)
"""
    ),
    md("## Latency"),
    code(
        """
print(inv.sla.headline)
report.format_table(
    inv.sla.to_frame(), ["status", "id", "rule", "observed_text", "n", "required", "note"]
)
"""
    ),
    code(
        """
measured = inv.metrics[inv.metrics["ok"].astype(bool)]
# By phase and source: a tool's duration is measured by the client and reported by the server.
report.format_table(
    inv.latency.to_frame(),
    ["phase", "source", "count", "p50_ms", "p95_ms", "p99_ms", "max_ms", "unreliable"],
    empty="no measurements",
)
"""
    ),
    code(
        """
histogram_figure(measured, phase=["first_event", "tool_duration", "run_total"])
"""
    ),
    code(
        """
ecdf_figure(measured, phase=["first_event", "event_gap", "run_total"])
"""
    ),
    code(
        """
LatencyPanel(inv.metrics, sla=inv.sla.spec, phases=["first_event", "run_total"])
"""
    ),
    md("## Suite triage"),
    code(
        """
if inv.triage is not None:
    display(Markdown(inv.triage.to_markdown()))
    display(suite_outcomes_figure(inv.triage))
    display(causes_figure(inv.triage))
    display(TriagePanel(inv.triage))
"""
    ),
    md("## Fan-out and isolation"),
    code(
        """
fanout = dict(inv.collection.get("fanout", {}))
isolation = fanout.pop("isolation", {})
if isolation.get("verdict"):
    print("isolation:", isolation["verdict"], "|", "; ".join(isolation.get("reasons", ())))
else:
    print("no fan-out summary beside these recordings: isolation and connections not judged")
report.format_table(
    {k: v for k, v in fanout.items() if not isinstance(v, dict)},
    labels={"name": "fan-out", "value": ""},
    empty="",
)
"""
    ),
    gate_cell(),
]
