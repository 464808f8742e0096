"""The cells of ``live_session.ipynb``: one authenticated session: its events as
they arrive, the contract findings, and why the socket closed.
"""

from notebook_sources.cells import RUN_HINT, Cell, code, gate_cell, md, parameters

CELLS: list[Cell] = [
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
