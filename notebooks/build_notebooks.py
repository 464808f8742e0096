# mypy: disallow-untyped-calls=False
# (nbformat has no type annotations)
"""Write the notebooks in this folder from the cell texts below, without outputs.

The .ipynb files are generated so that a change to a notebook is a readable diff of this file, and
so that they are always committed clean (no outputs, no execution counts, one ``parameters``
cell). Edit a notebook here, then run::

    .venv/bin/python notebooks/build_notebooks.py

``tests/notebooks/test_notebooks.py`` fails when a committed notebook differs from what this
script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

Cell = tuple[str, str]  # ("md" | "code" | "parameters", source)


def md(text: str) -> Cell:
    return ("md", text.strip("\n"))


def code(text: str) -> Cell:
    return ("code", text.strip("\n"))


def parameters(text: str) -> Cell:
    return ("parameters", text.strip("\n"))


RUN_HINT = """
Run it in JupyterLab with `netra-diag lab` (the reference service runs beside it), or headless as
a report: `netra-diag report {name} -p KEY VALUE ...` writes the executed notebook, an HTML page
and a JSON summary to `./netra-report/`, and exits non-zero, by class, when a required check
fails. Run by `papermill` itself, the notebook exits 0 whatever its checks say unless given
`-p raise_on_failed_checks True`: its last cell then raises, naming the failed checks (exit 1).
"""


def gate_cell() -> Cell:
    """The last cell: a failed required check fails a papermill run, when asked to."""
    return code(
        """
# papermill exits 0 whatever the checks say; a CI job running it directly asks for exit 1 here.
if raise_on_failed_checks:
    summary.raise_for_failed_checks()
"""
    )


NOTEBOOKS: dict[str, list[Cell]] = {}

NOTEBOOKS["live_session"] = [
    md(
        """
# Live session

Open an authenticated session to the agent service, send one message, and watch the events
arrive: the table and the timeline grow frame by frame, and the panel says how the handshake went,
whether the token was really validated (or auth was bypassed), and why the socket closed.
"""
        + RUN_HINT.format(name="live_session")
    ),
    parameters(
        """
url = ""  # WebSocket URL; empty: $NETRA_URL (netra-diag lab), else an embedded service
sub = "notebook-user"  # the token's subject (user id)
profile = "local"  # token profile: local, test, development, staging, production
secret_env = "JWT_SECRET_KEY"  # NAME of the environment variable holding the signing secret
allow_production = False  # profile production signs only when this says so
transport = "auto"  # auto, header, subprotocol, query, none, or bad:jwt-bare for a negative check
message = "Why did last night's golden-path suite fail?"  # the chat message to send
run_timeout = 20.0  # seconds before the run counts as timed out
faults = ""  # faults the embedded service injects, e.g. "drop_event@0.5,stall@0.2"
time_scale = 1.0  # pace of the embedded service: 1.0 realistic, 0.2 five times faster
raise_on_failed_checks = False  # True: a failed required check fails a papermill run (exit 1)
summary_path = ""  # set by `netra-diag report`: where the JSON summary goes
"""
    ),
    code(
        """
import os

from netra_diag import investigation, report
from netra_diag.charts.timeline import timeline_figure
from netra_diag.errors import UsageError
from netra_diag.events.contracts import check_run
from netra_diag.events.timeline import build_timeline
from netra_diag.widgets import LiveSessionPanel

summary = report.Summary(summary_path, notebook="live_session")
# A token, or a secret's value where its name goes (-p secret_env "$JWT_SECRET_KEY"), is refused
# here, never shown (papermill itself keeps every -p value in the cell it injects; only
# `netra-diag report` refuses one before anything is written).
report.check_parameters(
    dict(url=url, sub=sub, profile=profile, secret_env=secret_env, transport=transport,
         message=message, faults=faults),
    os.environ,
)
# Run by papermill itself, `-p sub 42` is an int and `-p allow_production false` a text, which
# Python reads as true: each is read here as its default's type, or refused naming it.
url = report.text_parameter("url", url, numbers=True)
sub = report.text_parameter("sub", sub, numbers=True)
profile = report.text_parameter("profile", profile, numbers=True)
secret_env = report.text_parameter("secret_env", secret_env, numbers=True)
transport = report.text_parameter("transport", transport, numbers=True)
message = report.text_parameter("message", message, numbers=True)
faults = report.text_parameter("faults", faults, numbers=True)
allow_production = report.flag_parameter("allow_production", allow_production)
time_scale = report.number_parameter("time_scale", time_scale)
raise_on_failed_checks = report.flag_parameter("raise_on_failed_checks", raise_on_failed_checks)
transport = investigation.session_transport(transport)  # an unknown one is refused here
sub = investigation.session_subject(sub)  # an empty one too, not replaced by a default
run_timeout = investigation.session_timeout(run_timeout)  # and 0, -1 or nan, before any service
# Where the token's signing secret comes from; a named variable that is unset is said. A report
# stops here; in JupyterLab the panel below says it too and takes another variable's name.
try:
    secret = investigation.signing_secret(profile, secret_env, os.environ)
except UsageError as problem:
    if summary_path:
        raise
    print("secret:", problem)
else:
    if secret.warning:
        print("warning:", summary.warn(secret.warning))
service = investigation.ensure_service(
    url, faults=faults, time_scale=time_scale, secret_env=secret_env
)
print("service:", service.url, "(embedded)" if service.embedded else "")
"""
    ),
    md(
        """
## The panel

The buttons connect, run and stop on the kernel's own event loop: the kernel stays free while a
run is in flight. The cell after the panel does what **Run** does.
"""
    ),
    code(
        """
panel = LiveSessionPanel(
    url=service.url,
    sub=sub,
    profile=profile,
    secret_env=secret_env,
    allow_production=allow_production,
    transport=transport,
    message=message,
    timeout=run_timeout,
)
panel.show()
"""
    ),
    code(
        """
record = await panel.run()
print(panel.describe())
"""
    ),
    md(
        """
## What happened

The same run after the fact: its timeline with the contract findings marked, then the findings.
"""
    ),
    code(
        """
events = record.events if record else ()
contract = check_run(events)
timeline = build_timeline(events, record.marks if record else (), label="live session")
timeline_figure(timeline, reports=contract)
"""
    ),
    code(
        """
print(contract.verdict)
report.format_table(
    contract.to_frame(),
    ["severity", "rule", "message"],
    empty="no findings: every contract held" if events else "no findings: no events to check",
)
"""
    ),
    code(
        """
session = panel.session
summary.record("outcome", panel.outcome.value)
summary.record("handshake", session.handshake.to_dict() if session else None)
# Plain-text verdicts: a refused token connected (auth failed), a bad: transport expects a
# refusal, and a client-side timeout leads the contract verdict on the cut-off run.
summary.extend(
    investigation.session_checks(
        record=record,
        session=session,
        contract=contract,
        error=panel.error,
        timeout=run_timeout,
        transport=transport,
    )
)
summary
"""
    ),
    md(
        """
## Close

The session closes here. In a headless report the embedded service stops too; in JupyterLab it
keeps running, so the panel's buttons still work after *Run All* (it stops with the kernel).
"""
    ),
    code(
        """
await panel.stop()
if summary_path:  # a report: nothing clicks the panel after this cell
    service.stop()
print(panel.state.value)
"""
    ),
    gate_cell(),
]

NOTEBOOKS["token_lab"] = [
    md(
        """
# Token lab

Mint a token as the auth service would, inspect it without a key, verify it as the service
does, and see every way the service's own test helpers get tokens wrong (PROTOCOL.md §3, §9).
Tokens are shown as fingerprints (`eyJ…#a1b2c3d4`), never whole; the signing secret is read
from the environment variable named below and never shown.
"""
        + RUN_HINT.format(name="token_lab")
    ),
    parameters(
        """
sub = "u1"  # the token's subject (user id)
profile = "local"  # local, test, development, staging, production (with allow_production)
allow_production = False  # production tokens are accepted by the live service: say so here
ttl = ""  # lifetime such as "15m"; empty: the profile's default
extra_claims = '{"permissions": ["read", "write"]}'  # JSON object of extra claims
secret_env = "JWT_SECRET_KEY"  # NAME of the environment variable holding the signing secret
raise_on_failed_checks = False  # True: a failed required check fails a papermill run (exit 1)
summary_path = ""  # set by `netra-diag report`: where the JSON summary goes
"""
    ),
    code(
        """
import json
import os
import time

import pandas as pd

from netra_diag import investigation, report, tokens
from netra_diag.widgets import TokenPanel

summary = report.Summary(summary_path, notebook="token_lab")
# A token, or a secret's value where its name goes (-p secret_env "$JWT_SECRET_KEY"), is refused
# here, never shown (papermill itself keeps every -p value in the cell it injects; only
# `netra-diag report` refuses one before anything is written).
report.check_parameters(
    dict(sub=sub, profile=profile, ttl=ttl, extra_claims=extra_claims, secret_env=secret_env),
    os.environ,
)
# Run by papermill itself, `-p sub 42` is an int and `-p allow_production false` a text, which
# Python reads as true: each is read here as its default's type, or refused naming it.
sub = report.text_parameter("sub", sub, numbers=True)
profile = report.text_parameter("profile", profile, numbers=True)
ttl = report.text_parameter("ttl", ttl, numbers=True)
extra_claims = report.text_parameter("extra_claims", extra_claims, numbers=True)
secret_env = report.text_parameter("secret_env", secret_env, numbers=True)
allow_production = report.flag_parameter("allow_production", allow_production)
raise_on_failed_checks = report.flag_parameter("raise_on_failed_checks", raise_on_failed_checks)
panel = TokenPanel(
    sub=sub, profile=profile, ttl=ttl, secret_env=secret_env, allow_production=allow_production
)
panel.claims.value = extra_claims
token = panel.mint()  # kept in this variable only; the panel shows its fingerprint
panel.raise_for_error()  # a bad parameter stops the run here, in the panel's own words
if panel.secret_warning:
    print("warning:", summary.warn(panel.secret_warning))
panel
"""
    ),
    md("## Verify it as the service does"),
    code(
        """
verification = panel.verify()
# Which problems, not only how many ("REJECTED for local: 1 problem" said nothing of why).
problems = "; ".join(f"[{f.code}] {f.message}" for f in verification.failures)
summary.check(
    "minted token verifies",
    kind="auth",
    passed=verification.ok,
    detail=verification.explain().splitlines()[0] + (f": {problems}" if problems else ""),
)
if verification.ok:
    # Minted and verified here with the same key and profile: a round trip, little more.
    summary.set_headline(
        "the one required check passed, and it proves little: the token was minted and verified "
        "with the same key here, so whether the service accepts it is not checked; the drift "
        "table below shows how real helpers go wrong"
    )
print(verification.explain())
"""
    ),
    md(
        """
## The drift engineers triage

Each row is a token minted the way one of the service's helpers (or a clock, or a config) gets it
wrong, verified under the chosen profile; the explanation says expected vs actual.
"""
    ),
    code(
        """
# The same secret the panel signed with ($secret_env), never displayed: only where it is from.
secret = investigation.signing_secret(profile, secret_env, os.environ)
print("signing secret from", secret.source)
key = secret.value
now = time.time()
WRONG_SECRET = "not-the-secret-the-service-reads"  # what a drifted helper signs with
cases = {
    "as the auth service issues it": {},
    "helper with iss=netra-test, aud=netra-api": {
        "claims": {"iss": "netra-test", "aud": "netra-api"}
    },
    "helper sets type but not token_type": {"claims": {"token_type": None}},
    "a refresh token used as access": {"token_type": "refresh"},
    "expired an hour ago": {"now": now - 3 * 3600, "ttl": "2h"},
    "issued two minutes in the future": {"now": now + 120},
    "signed with the wrong secret ($JWT_SECRET)": {"key": WRONG_SECRET},
    "alg none": {"algorithm": "none"},
    "copied with its last 4 characters cut": {"cut": 4},
}
rows = []
for case, options in cases.items():
    cut = options.pop("cut", 0)
    minted = tokens.mint_token(
        sub,
        **{"key": key, "now": now, "profile": profile, **options},
        allow_production=allow_production,
    )
    minted = minted[:-cut] if cut else minted
    # (the helper's secret is tried too, as `token verify` tries the environment's: the
    # explanation then names which secret the token was signed with)
    verdict = tokens.verify_token(
        minted, key, now=now, profile=profile, other_secrets={"$JWT_SECRET": WRONG_SECRET}
    )
    rows.append(
        {
            "case": case,
            "token": verdict.fingerprint,
            "verdict": "valid" if verdict.ok else "rejected",
            "failures": ", ".join(str(f.code) for f in verdict.failures),
            "explanation": verdict.failures[0].message if verdict.failures else "",
        }
    )
drift = pd.DataFrame(rows)
summary.record("drift", drift)
report.format_table(drift)
"""
    ),
    md(
        """
## Carrying the token

How each transport puts the token into the handshake (PROTOCOL.md §2), fingerprinted. Then the
known-bad format a helper sends, `["jwt", token]`, as inspecting the paste explains it.
"""
    ),
    code(
        """
url = "ws://127.0.0.1:8000/ws"
# (with now, "expected" judges the token's claims too: an expired token is refused everywhere)
report.format_table(
    [tokens.build_handshake(url, token, transport).redacted(now) for transport in tokens.Transport],
    ["transport", "url", "headers", "subprotocols", "expected"],
)
"""
    ),
    code(
        """
print(tokens.inspect_token(json.dumps(["jwt", token]), now=now).notes[0])
"""
    ),
    gate_cell(),
]

NOTEBOOKS["suite_triage"] = [
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

NOTEBOOKS["latency_sla"] = [
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

NOTEBOOKS["investigation_report"] = [
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


def build(name: str, cells: list[Cell]) -> nbformat.NotebookNode:
    nb: nbformat.NotebookNode = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for index, (kind, source) in enumerate(cells):
        # Stable ids keep regenerated notebooks byte-identical.
        cell_id = f"{name.replace('_', '-')}-{index:02d}"
        if kind == "md":
            nb.cells.append(new_markdown_cell(source, id=cell_id))
        else:
            cell = new_code_cell(source, id=cell_id)
            if kind == "parameters":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    return nb


def render(name: str) -> str:
    text: str = nbformat.writes(build(name, NOTEBOOKS[name]))
    return text + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in NOTEBOOKS:
        path = HERE / f"{name}.ipynb"
        text = render(name)
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run notebooks/build_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
