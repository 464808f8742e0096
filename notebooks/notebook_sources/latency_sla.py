"""The cells of ``latency_sla.ipynb``: latency phase by phase with intervals the
sample allows, and the service's SLA evaluated as code.
"""

from notebook_sources.cells import RUN_HINT, Cell, code, gate_cell, md, parameters

CELLS: list[Cell] = [
    md(
        """
# Latency and SLAs

How fast the service is, phase by phase, with the honesty the sample size allows: percentiles
with confidence intervals from order statistics (open-ended where the sample cannot bound them),
a warning where a percentile means little, attempts that never finished counted apart,
distributions, and the service's own SLA numbers (PROTOCOL.md §8) evaluated as code.
"""
        + RUN_HINT.format(name="latency_sla")
    ),
    parameters(
        """
recordings = ""  # folder or comma-separated cassettes; empty: record a fan-out now
record_dir = ""  # where recordings made now go; empty: a temp folder (report: --out/recordings)
users = 10  # fan-out size when recording now
runs = 2  # runs per user when recording now
time_scale = 0.25  # pace of the embedded service when recording now; 1.0 is realistic
sla = "service"  # a bundled SLA (service, remediation) or the path of a TOML file
phases = "first_event,tool_duration,run_total"  # phases to plot, comma-separated
raise_on_failed_checks = False  # True: a failed required check fails a papermill run (exit 1)
summary_path = ""  # set by `netra-diag report`: where the JSON summary goes
"""
    ),
    code(
        """
import tempfile

from netra_diag import investigation, report
from netra_diag.charts.latency import ecdf_figure, histogram_figure, sla_limits
from netra_diag.latency import evaluate_sla, load_sla, phase_metrics, summarize_latency
from netra_diag.recording import load_frames
from netra_diag.widgets import LatencyPanel

summary = report.Summary(summary_path, notebook="latency_sla")
# Run by papermill itself, `-p users ten` is a text and `-p raise_on_failed_checks false` a
# text, which Python reads as true: each is read here as its default's type, or refused.
users = report.number_parameter("users", users, whole=True)
runs = report.number_parameter("runs", runs, whole=True)
time_scale = report.number_parameter("time_scale", time_scale)
raise_on_failed_checks = report.flag_parameter("raise_on_failed_checks", raise_on_failed_checks)
recordings = report.text_parameter("recordings", recordings)
sla = report.text_parameter("sla", sla)
phases = report.text_parameter("phases", phases, numbers=True)
chosen = investigation.latency_phases(phases)  # an unknown phase is refused, not drawn empty
sla_spec = load_sla(sla)  # read now: a bad SLA file is refused before a fan-out is recorded
if not recordings:
    config = investigation.CollectConfig(users=users, runs=runs, faults="", time_scale=time_scale)
    collection = await investigation.collect(
        record_dir or tempfile.mkdtemp(prefix="netra-latency-"), config
    )
    recordings = str(collection.record_dir)
    print(f"recorded {collection.fanout['users']} users' sessions in {recordings}")
# A folder without cassettes is refused; lines the loader cannot read are warnings, not silence.
damage = []
cassettes = investigation.find_cassettes(recordings)
metrics = phase_metrics(load_frames(cassettes, on_warning=damage.append).frames)
for warning in damage:
    print("warning:", summary.warn(warning))
# Whether the sessions got in at all: recordings of a service that was down are no latency
# sample that merely lacks data (infrastructure, exit 9; a refused token: auth, exit 3).
summary.extend(investigation.connection_checks(cassettes))
caveat = investigation.damage_caveat(damage)
measured = metrics[metrics["ok"].astype(bool)]
print(f"{len(metrics)} measurements from {metrics['cassette'].nunique()} recordings")
"""
    ),
    md("## Per phase"),
    code(
        """
# By source too: a tool's duration is measured by the client and reported by the server.
# (all rows: attempts that never finished are counted as "failed", apart from the statistics)
table = summarize_latency(metrics, by=["phase", "source"]).to_frame()
report.format_table(
    table,
    [
        *("phase", "source", "count", "failed", "p50_ms", "p90_ms", "p95_ms", "p99_ms"),
        *("max_ms", "unreliable"),
    ],
    empty="no measurements",
)
"""
    ),
    md("## SLA"),
    code(
        """
sla_report = evaluate_sla(sla_spec, metrics)
summary.set_headline(sla_report.headline + (f"; {caveat}" if caveat else ""))
print(summary.headline)
summary.record("sla", sla_report.to_dict())
# (a pass the sample cannot prove, or one on the runs that finished only, is not verified)
summary.check(
    "sla",
    kind="sla",
    passed=not sla_report.breached,
    detail=sla_report.headline,
    verified=sla_report.verdict != "NOT VERIFIED" and not sla_report.weak_passes,
)
report.format_table(
    sla_report.to_frame(),
    ["status", "id", "rule", "observed_text", "ci_text", "n", "required", "note"],
)
"""
    ),
    md("## Distributions"),
    code(
        """
# The SLA's limits on the phases drawn: a maximum as a line, a percentile as a mark on the ECDF.
limits = sla_limits(sla_spec, chosen)
histogram_figure(measured, phase=chosen, limits=limits)
"""
    ),
    code("ecdf_figure(measured, phase=chosen, limits=limits)"),
    md(
        """
## Explore

Pick recordings and phases; the SLA table is evaluated on the selection.
"""
    ),
    code(
        """
panel = LatencyPanel(metrics, sla=sla_spec, phases=chosen)
panel
"""
    ),
    gate_cell(),
]
