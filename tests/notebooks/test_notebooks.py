# mypy: disallow-untyped-calls=False
# (nbformat has no type annotations)
"""Every notebook: committed clean, parameters pinned, and executed headless with papermill.

Executions go through ``netra_diag.report.run_report`` (papermill, scrub, HTML export, JSON
summary), with parameters that keep each run to a few seconds on a small machine.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import UsageError
from netra_diag.report import exit_code_for, find_leaks, run_report, secret_values
from netra_diag.report.summary import Check

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# The parameters each notebook declares, with their defaults: the notebooks' public interface.
PINNED: dict[str, dict[str, str]] = {
    "live_session": {
        "url": '""',
        "sub": '"notebook-user"',
        "profile": '"local"',
        "secret_env": '"JWT_SECRET_KEY"',
        "allow_production": "False",
        "transport": '"auto"',
        "message": '"Why did last night\'s golden-path suite fail?"',
        "run_timeout": "20.0",
        "faults": '""',
        "time_scale": "1.0",
        "raise_on_failed_checks": "False",
        "summary_path": '""',
    },
    "token_lab": {
        "sub": '"u1"',
        "profile": '"local"',
        "allow_production": "False",
        "ttl": '""',
        "extra_claims": '\'{"permissions": ["read", "write"]}\'',
        "secret_env": '"JWT_SECRET_KEY"',
        "raise_on_failed_checks": "False",
        "summary_path": '""',
    },
    "suite_triage": {
        "results": '""',
        "baseline": '""',
        "recordings": '""',
        "history": '""',
        "raise_on_failed_checks": "False",
        "summary_path": '""',
    },
    "latency_sla": {
        "recordings": '""',
        "record_dir": '""',
        "users": "10",
        "runs": "2",
        "time_scale": "0.25",
        "sla": '"service"',
        "phases": '"first_event,tool_duration,run_total"',
        "raise_on_failed_checks": "False",
        "summary_path": '""',
    },
    "investigation_report": {
        "recordings": '""',
        "record_dir": '""',
        "users": "20",
        "runs": "3",
        "faults": '"drop_event@0.08,duplicate_event@0.05,stall@0.05"',
        "time_scale": "0.25",
        "sla": '"service"',
        "results": '""',
        "baseline": '""',
        "raise_on_failed_checks": "False",
        "summary_path": '""',
    },
}

# Light settings for the test runs (the defaults are what a user gets).
LIGHT: dict[str, dict[str, Any]] = {
    "live_session": {"time_scale": "0.1"},
    "token_lab": {},
    "suite_triage": {},
    "latency_sla": {"users": "3", "runs": "1", "time_scale": "0.1"},
    "investigation_report": {
        "users": "4",
        "runs": "2",
        "time_scale": "0.1",
        "faults": "drop_event@0.5,duplicate_event@0.3",
    },
}


def _load(name: str) -> Any:
    return nbformat.read(str(NOTEBOOKS / f"{name}.ipynb"), as_version=4)


def test_every_notebook_is_listed() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(PINNED)


def test_notebooks_match_their_generator() -> None:
    result = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(PINNED))
def test_notebook_is_committed_clean(name: str) -> None:
    nb = _load(name)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and nb.cells.index(tagged[0]) == 1
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None
        tree = ast.parse(cell.source.replace("await ", ""))
        defined = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert not defined, f"{name} defines code instead of calling the library"


@pytest.mark.parametrize("name", sorted(PINNED))
def test_parameters_are_pinned(name: str) -> None:
    found = papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    assert {k: v["default"] for k, v in found.items()} == PINNED[name]
    # Every assignment in the cell was understood (a comment papermill cannot parse would
    # silently drop its parameter).
    cell = next(c for c in _load(name).cells if "parameters" in c.metadata.get("tags", []))
    assigned = [line.split("=")[0].strip() for line in cell.source.splitlines() if "=" in line]
    assert sorted(assigned) == sorted(found)
    assert all(v["help"] for v in found.values()), "every parameter says what it is"


_CELL = re.compile(r"<t([dh])[^>]*>(.*?)</t[dh]>", re.S)


def unreadable_cells(html: str) -> list[str]:
    """Table cells a reader should not see: a pandas index, six-decimal floats, True/False,
    Python dict or list reprs."""
    found = []
    for kind, cell in _CELL.findall(html):
        text = cell.strip()
        plain = text in ("True", "False", "NaN", "None")
        if (
            re.fullmatch(r"-?\d+\.\d{4,}", text)
            or plain
            or text.startswith(("{'", "{}", "['", "[]"))
        ):
            found.append(text)
        elif kind == "h" and re.fullmatch(r"\d+", text) and "dataframe" in html:
            found.append(f"index {text}")
    return found


def _run(name: str, tmp_path: Path) -> Any:
    result = run_report(name, LIGHT[name], out_dir=tmp_path, cell_timeout=120)
    assert result.error is None, result.error
    secrets = secret_values(__import__("os").environ)
    for path in (result.notebook_path, result.html_path, result.summary_path):
        assert path is not None and path.is_file()
        assert find_leaks(path.read_text(encoding="utf-8"), secrets) == []
    assert result.sizes["notebook"] < 2 * 1024 * 1024
    assert result.sizes["html"] < 2 * 1024 * 1024
    assert result.exit_code is exit_code_for(result.checks)
    html = result.html_path.read_text(encoding="utf-8")
    assert 'class="dataframe"' not in html, "a DataFrame shown as is (index, raw values)"
    assert unreadable_cells(html) == []
    return result


def test_token_lab_runs(tmp_path: Path) -> None:
    result = _run("token_lab", tmp_path)
    assert result.exit_code is ExitCode.OK
    drift = result.values["drift"]
    verdicts = {row["case"]: row["verdict"] for row in drift}
    assert verdicts["as the auth service issues it"] == "valid"
    assert sum(v == "rejected" for v in verdicts.values()) == len(verdicts) - 1
    html = result.html_path.read_text(encoding="utf-8")
    assert "wrong_issuer" in html and "bad_signature" in html
    # The handshake table: headers as 'Name: value' lines, subprotocols as a list in words.
    assert re.search(r"<td>Authorization: Bearer eyJ…#[0-9a-f]{8}</td>", html)
    assert re.search(r"<td>jwt-auth, jwt\.&lt;base64url eyJ…#[0-9a-f]{8}&gt;</td>", html)
    assert "{&#x27;Authorization" not in html and "[jwt-auth" not in html
    assert "verdict: minted; secret from" in html
    explained = {row["case"]: row["explanation"] for row in drift}
    assert "it verifies with $JWT_SECRET" in explained["signed with the wrong secret ($JWT_SECRET)"]
    assert "cut short" in explained["copied with its last 4 characters cut"]
    assert "known-bad subprotocol format" in html


def test_suite_triage_runs_on_the_bundled_example(tmp_path: Path) -> None:
    result = _run("suite_triage", tmp_path)
    assert result.exit_code is ExitCode.NEW_FAILURES
    assert result.headline.startswith("1 of 4 golden-path")
    assert "token helper signature drift" in result.headline
    assert result.values["counts"]["errors"] >= 1
    # The notebook ends with its summary: a table of checks, not "Summary(..., 1 checks, ...)".
    html = result.html_path.read_text(encoding="utf-8")
    assert "Summary(" not in html and "<th>status</th>" in html
    # At a glance: the suites by outcome and the causes by phase, drawn.
    assert html.count('class="netra-figure"') >= 2
    assert "Tests by outcome, per suite" in html and "Failing tests by cause" in html


def test_suite_triage_draws_the_flaky_tests_of_a_history(tmp_path: Path) -> None:
    def run(outcome: str) -> str:
        failure = '<failure message="assert 1 == 2">AssertionError</failure>'
        return (
            '<testsuites><testsuite name="pytest" tests="2">'
            '<testcase classname="tests.test_a" name="test_steady" time="0.1"/>'
            '<testcase classname="tests.test_a" name="test_flips" time="0.2">'
            f"{failure if outcome == 'F' else ''}</testcase></testsuite></testsuites>"
        )

    history = tmp_path / "history"
    history.mkdir()
    for n, outcome in enumerate("PFPF"):
        (history / f"run{n}.xml").write_text(run(outcome), encoding="utf-8")
    results = tmp_path / "current.xml"
    results.write_text(run("P"), encoding="utf-8")
    result = run_report(
        "suite_triage",
        {"results": str(results), "history": str(history)},
        out_dir=tmp_path / "out",
    )
    assert result.error is None, result.error
    html = result.html_path.read_text(encoding="utf-8")
    assert "Flaky tests, run by run: 1 flaky test over 5 runs" in html
    with pytest.raises(UsageError, match=r"parameter history: .*: no such file or directory"):
        run_report("suite_triage", {"history": str(tmp_path / "nope")}, out_dir=tmp_path / "o2")


def test_latency_sla_runs_against_the_embedded_service(tmp_path: Path) -> None:
    # An investigation_report's recordings in the same --out (both default to ./netra-report).
    theirs = tmp_path / "recordings"
    theirs.mkdir()
    for name in ("collection.json", "turn-demo-engineer.jsonl", "00000-fanout-user-0000.jsonl"):
        (theirs / name).write_text("{}\n", encoding="utf-8")
    result = _run("latency_sla", tmp_path)
    assert sorted(p.name for p in theirs.iterdir()) == [
        "00000-fanout-user-0000.jsonl",
        "collection.json",
        "turn-demo-engineer.jsonl",
    ]
    sla = result.values["sla"]
    assert sla["sla"] == "service" and {c["id"] for c in sla["checks"]} >= {"connect-max"}
    expected = ExitCode.SLA_BREACH if sla["breached"] else ExitCode.OK
    assert result.exit_code is expected
    html = result.html_path.read_text(encoding="utf-8")
    assert html.count('class="netra-figure"') >= 3
    # Milliseconds rounded, units in the header, required as yes/no, the source of each row.
    assert "<th>p95 (ms)</th>" in html and "<th>required</th>" in html
    assert "<td>yes</td>" in html and "<td>True</td>" not in html
    assert "<td>tool_duration</td><td>client</td>" in html
    # What it recorded is kept beside the report, as investigation_report keeps its own, in a
    # folder of its own: a report into the same --out never replaces the other's recordings.
    assert result.recordings_path == (tmp_path / "recordings-latency_sla").resolve()
    assert len(list(result.recordings_path.glob("*.jsonl"))) >= 3
    summary = json.loads(result.summary_path.read_text())
    assert summary["artifacts"]["recordings"] == "recordings-latency_sla"


def test_latency_sla_refuses_an_unknown_phase(tmp_path: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "a.jsonl").write_text("{}\n", encoding="utf-8")
    params = {"phases": "first_event,frist_frame", "recordings": str(folder)}
    result = run_report("latency_sla", params, out_dir=tmp_path / "o", html=False)
    assert result.exit_code is ExitCode.USAGE
    assert "phases: unknown phase 'frist_frame'; phases are connect," in result.headline


def test_live_session_runs_and_shows_the_final_panel(tmp_path: Path) -> None:
    result = _run("live_session", tmp_path)
    assert result.exit_code is ExitCode.OK
    assert {c.name for c in result.checks} == {"connected", "auth", "contracts"}
    assert result.values["outcome"].startswith("completed")
    html = result.html_path.read_text(encoding="utf-8")
    # The page shows the headline the report prints (the notebook sets none of its own).
    assert f"<p><b>{result.headline}</b></p>" in html
    # The panel's display was refreshed after the run: the report shows its final state.
    assert "state: closed" in html or "state: connected" in html
    assert html.count("agent_started") >= 1 and "netra-event-table" in html
    # No findings: a sentence, not an empty table's headers.
    assert '<p class="netra-empty">no findings: every contract held</p>' in html
    assert "<th>severity</th>" not in html


def test_investigation_report_runs_end_to_end(tmp_path: Path) -> None:
    result = _run("investigation_report", tmp_path)
    names = {c.name for c in result.checks}
    assert names >= {"infrastructure", "auth", "contracts", "sla", "new_failures"}
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    inv = summary["values"]["investigation"]
    assert inv["injected_faults"] > 0
    assert inv["injected_detected"] == inv["injected_faults"]
    # What the notebook recorded is kept beside the report, not in a hidden temporary folder.
    assert result.recordings_path == (tmp_path / "recordings").resolve()
    assert len(list(result.recordings_path.glob("*.jsonl"))) >= 4
    assert summary["artifacts"]["recordings"] == "recordings"
    contracts = next(c for c in result.checks if c.name == "contracts")
    assert isinstance(contracts, Check) and not contracts.passed
    # Worst first: the contract failure leads the headline and decides the exit code.
    assert result.exit_code is ExitCode.CONTRACT
    assert result.headline.startswith(contracts.detail)
    # The report's table of checks shows each one's status: one not judged for lack of data
    # (the SLA here: no reconnect measurements) is never shown as a pass.
    sla = next(c for c in result.checks if c.name == "sla")
    html = result.html_path.read_text(encoding="utf-8")
    assert not sla.verified and "<td>not verified</td>" in html
    assert "<th>passed</th>" not in html


def test_investigation_report_says_so_when_nothing_was_found(tmp_path: Path) -> None:
    params = {"users": "2", "runs": "1", "time_scale": "0.1", "faults": "", "results": "none"}
    result = run_report("investigation_report", params, out_dir=tmp_path, cell_timeout=120)
    assert result.error is None, result.error
    html = result.html_path.read_text(encoding="utf-8")
    # The sentences as shown (the cells' sources hold them too).
    assert '<p class="netra-empty">no faults were injected</p>' in html
    clean = '<p class="netra-empty">no findings: every session kept the event contract</p>'
    assert html.count(clean) == 2
    assert "<th>severity</th>" not in html and "<th>detected by</th>" not in html
    assert unreadable_cells(html) == []


async def test_investigation_report_never_grades_own_recordings_with_the_bundled_suite(
    tmp_path: Path,
) -> None:
    # `-p recordings DIR` without `-p results`: the bundled example's failures are someone
    # else's tests (they gave "new_failures: 21 new failures", exit 7, to the user's CI).
    import time

    from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
    from netra_diag.live import run_fanout
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    config = EmulatorConfig(timing=TimingProfile(time_scale=0.1))
    async with run_service(config) as svc:
        await run_fanout(
            svc.url,
            users=2,
            token_for=lambda user: mint_token(user, key=LOCAL_DEV_SECRET, now=time.time()),
            record_dir=tmp_path / "rec",
            progress=False,
        )
    params = {"recordings": str(tmp_path / "rec")}
    result = run_report("investigation_report", params, out_dir=tmp_path / "out", html=False)
    assert result.error is None, result.error
    suite = next(c for c in result.checks if c.name == "new_failures")
    assert suite.status == "not verified" and "no results given" in suite.detail
    assert result.exit_code is not ExitCode.NEW_FAILURES
    # Recordings given to read: the report recorded nothing of its own.
    assert result.recordings_path is None and not (tmp_path / "out" / "recordings").exists()


def test_suite_triage_without_a_baseline_does_not_pass_a_failing_suite(tmp_path: Path) -> None:
    results = tmp_path / "onefail.xml"
    results.write_text(
        '<testsuites><testsuite name="pytest" tests="2" failures="1">'
        '<testcase classname="tests.test_a" name="test_ok" time="0.1"/>'
        '<testcase classname="tests.test_a" name="test_bad" time="0.2">'
        '<failure message="assert 1 == 2">AssertionError</failure></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    result = run_report(
        "suite_triage", {"results": str(results)}, out_dir=tmp_path / "out", html=False
    )
    assert result.error is None, result.error
    check = next(c for c in result.checks if c.name == "new_failures")
    assert check.status == "not verified" and "no baseline" in check.detail
    assert result.headline.startswith("1 of 2") and "not verified" in result.headline


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"extra_claims": "not json"}, "extra claims: "),
        ({"profile": "production"}, "profile: production"),
        ({"ttl": "banana"}, "ttl: bad TTL 'banana'"),
        ({"secret_env": "NO_SUCH_VAR_QA", "profile": "staging"}, "$NO_SUCH_VAR_QA is not set"),
    ],
)
def test_token_lab_reports_bad_input_in_its_own_words(
    tmp_path: Path, params: dict[str, str], message: str
) -> None:
    result = run_report("token_lab", params, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.USAGE
    assert message in result.headline and "AttributeError" not in result.headline


def test_token_lab_signs_the_drift_table_with_secret_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_KEY", "q" * 54)
    result = run_report("token_lab", {"secret_env": "QA_KEY"}, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.OK
    assert "signing secret from $QA_KEY" in result.notebook_path.read_text(encoding="utf-8")


def test_live_session_names_the_unset_secret_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_VAR_QA", raising=False)
    params = {"secret_env": "NO_SUCH_VAR_QA", "profile": "staging", "time_scale": "0.1"}
    result = run_report("live_session", params, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.USAGE
    assert "$NO_SUCH_VAR_QA is not set" in result.headline
    assert "$JWT_SECRET_KEY" not in result.headline


def test_live_session_in_jupyterlab_shows_the_panel_despite_an_unset_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In JupyterLab (no summary_path) the set-up cell says what is wrong and goes on, so that
    # the panel, where another variable can be named, is drawn; only the run itself is refused.
    monkeypatch.delenv("NO_SUCH_VAR_QA", raising=False)
    out = tmp_path / "lab.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as failed:
        papermill.execute_notebook(
            str(NOTEBOOKS / "live_session.ipynb"),
            str(out),
            parameters={"secret_env": "NO_SUCH_VAR_QA", "profile": "staging", "time_scale": 0.1},
            kernel_name="python3",
            progress_bar=False,
        )
    assert failed.value.ename == "UsageError"
    cells = [c for c in nbformat.read(str(out), as_version=4).cells if c.cell_type == "code"]
    printed = {
        i: "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
        for i, c in enumerate(cells)
    }
    setup = next(i for i, text in printed.items() if text.startswith("secret:"))
    assert "$NO_SUCH_VAR_QA is not set" in printed[setup]
    panel = next(i for i, c in enumerate(cells) if "panel.show()" in c.source)
    assert panel > setup and not any(o.output_type == "error" for o in cells[panel].outputs)
    assert any(o.output_type == "error" for o in cells[panel + 1].outputs)  # the run refused


def test_live_session_says_it_signs_with_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_VAR_QA", raising=False)
    params = {"secret_env": "NO_SUCH_VAR_QA", "time_scale": "0.1"}
    result = run_report("live_session", params, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.OK
    assert [w for w in result.warnings if w.startswith("$NO_SUCH_VAR_QA is not set: signing")]


def test_live_session_refuses_an_empty_sub(tmp_path: Path) -> None:
    result = run_report("live_session", {"sub": " "}, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.USAGE
    assert "sub: the token's subject (user id) is empty" in result.headline


def test_live_session_refuses_an_unknown_transport(tmp_path: Path) -> None:
    result = run_report("live_session", {"transport": "hedaer"}, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.USAGE
    assert "transport: unknown 'hedaer'; choose one of auto, header," in result.headline


def _closed_port() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"


def test_live_session_failures_are_plain_text_and_shown(tmp_path: Path) -> None:
    result = run_report("live_session", {"url": _closed_port()}, out_dir=tmp_path)
    assert result.exit_code is ExitCode.INFRASTRUCTURE
    connected = next(c for c in result.checks if c.name == "connected")
    assert connected.detail.startswith("could not connect to ws://127.0.0.1:")
    assert "<" not in result.headline + connected.detail and "&#x27;" not in connected.detail
    assert {c.name: c.status for c in result.checks}["contracts"] == "not verified"
    html = result.html_path.read_text(encoding="utf-8")
    assert "could not connect" in html


def test_live_session_rejected_token_connected_and_auth_failed(tmp_path: Path) -> None:
    result = run_report("live_session", {"transport": "none"}, out_dir=tmp_path, html=False)
    status = {c.name: c.status for c in result.checks}
    assert status == {"connected": "pass", "auth": "FAIL", "contracts": "not verified"}
    assert result.exit_code is ExitCode.CONTRACT
    assert result.headline.startswith("auth: token rejected: closed 1008")


def test_live_session_expects_a_known_bad_format_to_be_refused(tmp_path: Path) -> None:
    params = {"transport": "bad:jwt-bare"}
    result = run_report("live_session", params, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.OK
    auth = next(c for c in result.checks if c.name == "auth")
    assert auth.detail.startswith("refused as expected")


def test_live_session_bad_url_is_a_parameter_error(tmp_path: Path) -> None:
    result = run_report("live_session", {"url": "not-a-url"}, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.USAGE
    assert "url: must start with ws://" in result.headline


def test_live_session_timeout_leads_and_exits_4(tmp_path: Path) -> None:
    params = {"run_timeout": "0.5", "time_scale": "0.5"}
    result = run_report("live_session", params, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.TIMEOUT
    assert result.headline.startswith("run: timed out after 0.5 s")
    assert {c.name: c.status for c in result.checks}["contracts"] == "not verified"


@pytest.fixture(scope="module")
def damaged_recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    from netra_diag import investigation

    folder = tmp_path_factory.mktemp("recordings")
    config = investigation.CollectConfig(users=2, runs=1, faults="", time_scale=0.1)
    collection = asyncio.run(investigation.collect(folder, config))
    cassette = sorted(collection.record_dir.glob("*fanout*.jsonl"))[0]
    cassette.write_bytes(cassette.read_bytes()[:1500])
    return collection.record_dir


@pytest.mark.parametrize("name", ["latency_sla", "investigation_report"])
def test_a_damaged_recording_is_reported(
    name: str, damaged_recordings: Path, tmp_path: Path
) -> None:
    params = {"recordings": str(damaged_recordings)}
    if name == "investigation_report":
        params["results"] = "none"
    result = run_report(name, params, out_dir=tmp_path, html=False)
    assert result.error is None, result.error
    assert len(result.warnings) == 1 and "line " in result.warnings[0]
    assert "1 recording damaged (" in result.headline


@pytest.mark.parametrize("name", ["latency_sla", "investigation_report"])
def test_an_empty_recordings_folder_is_a_parameter_error(name: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    # Refused before the notebook runs (netra-diag report exits 2 with this message) ...
    with pytest.raises(
        UsageError, match=r"^parameter recordings: .*: no cassettes \(\*\.jsonl\) found"
    ):
        run_report(name, {"recordings": str(empty)}, out_dir=tmp_path / "o", html=False)
    # ... and by what the notebook calls, when it runs without the report command's check.
    from netra_diag import investigation

    with pytest.raises(UsageError, match=r"^recordings: .*: no cassettes \(\*\.jsonl\) found$"):
        investigation.find_cassettes(str(empty))


def test_suite_triage_refuses_a_baseline_without_results(tmp_path: Path) -> None:
    baseline = str(NOTEBOOKS.parent / "netra_diag" / "data" / "suites" / "baseline.xml")
    result = run_report("suite_triage", {"baseline": baseline}, out_dir=tmp_path, html=False)
    assert result.exit_code is ExitCode.USAGE
    assert "baseline: given without results" in result.headline


def test_token_lab_says_its_pass_proves_little(tmp_path: Path) -> None:
    result = run_report("token_lab", {}, out_dir=tmp_path)
    assert result.exit_code is ExitCode.OK
    assert "proves little" in result.headline and "all 1" not in result.headline


def test_latency_sla_records_against_its_own_service_whatever_netra_url_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRA_URL", _closed_port())
    params = {"users": "1", "runs": "1", "time_scale": "0.1"}
    result = run_report("latency_sla", params, out_dir=tmp_path, html=False)
    assert result.error is None, result.error
    assert result.warnings == ()
