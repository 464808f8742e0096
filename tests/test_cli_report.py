# mypy: disallow-untyped-calls=False
# (nbformat has no type annotations)
"""``netra-diag report`` / ``scrub`` / ``lab`` and the report machinery behind them.

Secret safety (parameters, scrubbing, the final scan), exit codes by class, parameter coercion,
the self-contained HTML export, and the scrub command as a pre-commit check.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
import zmq
import zmq.asyncio
from jupyter_client.session import Session
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import UsageError
from netra_diag.redaction import fingerprint
from netra_diag.report import (
    Check,
    CheckKind,
    Summary,
    check_parameters,
    exit_code_for,
    find_leaks,
    is_token,
    scrub_notebook,
    secret_values,
)
from netra_diag.report.execution import (
    ReArmingChannel,
    ReportKernelClient,
    ReportKernelManager,
    RunTracker,
    kernel_config,
)
from netra_diag.report.figures import figure_placeholder, plain_scatter
from netra_diag.report.html import export_html
from netra_diag.report.runner import coerce_parameters, run_report
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

NOW = 1_764_028_800.0
TOKEN = mint_token("u1", key=LOCAL_DEV_SECRET, now=NOW)
SECRET = "correct-horse-battery-staple-0123456789"


def _notebook(tmp_path: Path, *cells: Any, params: str = "n = 3\nsummary_path = ''") -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        new_markdown_cell("# test notebook"),
        new_code_cell(params, metadata={"tags": ["parameters"]}),
        *cells,
    ]
    path = tmp_path / "sample.ipynb"
    nbformat.write(nb, str(path))
    return path


# -- exit codes and summaries -------------------------------------------------------------------


def test_exit_code_is_the_worst_class() -> None:
    def check(kind: CheckKind, passed: bool = False) -> Check:
        return Check(str(kind), kind, passed)

    assert exit_code_for([]) is ExitCode.OK
    assert exit_code_for([check(CheckKind.SLA, True)]) is ExitCode.OK
    assert exit_code_for([check(CheckKind.SLA)]) is ExitCode.SLA_BREACH
    both = [check(CheckKind.SLA), check(CheckKind.NEW_FAILURES)]
    assert exit_code_for(both) is ExitCode.NEW_FAILURES
    assert exit_code_for([*both, check(CheckKind.CONTRACT)]) is ExitCode.CONTRACT
    # A rejected token is exit 3 (contract or auth, as ExitCode says), not infrastructure.
    assert exit_code_for([check(CheckKind.AUTH), check(CheckKind.SLA)]) is ExitCode.CONTRACT
    assert exit_code_for([check(CheckKind.AUTH), check(CheckKind.INFRASTRUCTURE)]) is (
        ExitCode.INFRASTRUCTURE
    )
    # A client-side timeout leads a contract verdict on the cut-off run.
    assert exit_code_for([check(CheckKind.TIMEOUT), check(CheckKind.CONTRACT)]) is (
        ExitCode.TIMEOUT
    )
    assert exit_code_for([check(CheckKind.AUTH)], notebook_failed=True) is ExitCode.NOTEBOOK


def test_summary_shows_its_checks_as_a_table() -> None:
    summary = Summary(None, notebook="live_session")
    assert repr(summary) == "Summary('live_session', 0 checks, 0 failed)"
    summary.check("auth", kind="auth", passed=False, detail="token <rejected>")
    assert repr(summary) == "Summary('live_session', 1 check, 1 failed)"
    html = summary._repr_html_()
    assert "<td>FAIL</td><td>auth</td>" in html and "token &lt;rejected&gt;" in html


def test_summary_writes_json_after_every_call(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    summary = Summary(path, notebook="nb")
    summary.record("frame", __import__("pandas").DataFrame({"a": [1, 2]}))
    summary.record("nan", float("nan"))
    summary.check("sla", kind="sla", passed=False, detail="p95 too high")
    summary.check("sla", kind="sla", passed=True, detail="re-checked")  # replaces, not appends
    data = json.loads(path.read_text())
    assert data["values"] == {"frame": [{"a": 1}, {"a": 2}], "nan": None}
    assert data["checks"] == [
        {
            "name": "sla",
            "kind": "sla",
            "passed": True,
            "detail": "re-checked",
            "verified": True,
            "status": "pass",
        }
    ]
    assert Summary(None).path is None


def test_summary_scrubs_tokens_and_secrets_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A notebook records what it has at hand: a token it minted, a failure quoting one, a value
    # that is the signing secret. The file and the cell's view hold fingerprints only.
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    path = tmp_path / "s.json"
    summary = Summary(path, notebook="token_lab")
    assert summary.record("token", TOKEN) == TOKEN  # the notebook keeps its value
    summary.record(TOKEN, {"sent": [f"Bearer {TOKEN}"], "key": SECRET, "dev": LOCAL_DEV_SECRET})
    checked = summary.check("auth", kind="auth", passed=False, detail="token " + TOKEN)
    summary.set_headline("rejected " + TOKEN)
    summary.warn(f"fell back to {LOCAL_DEV_SECRET}")
    summary.warn(f"fell back to {LOCAL_DEV_SECRET}")  # once, scrubbed or not
    shown = [path.read_text(), summary._repr_html_(), repr(summary), str(summary.to_dict())]
    for text in shown:
        assert find_leaks(text, [SECRET, LOCAL_DEV_SECRET]) == [], text
    fp = fingerprint(TOKEN)
    assert checked.detail == f"token {fp}" and summary.headline == f"rejected {fp}"
    data = json.loads(path.read_text())
    assert data["values"]["token"] == fp
    assert data["values"][fp]["key"] == f"<secret {fingerprint(SECRET)}>"
    assert data["warnings"] == [f"fell back to <secret {fingerprint(LOCAL_DEV_SECRET)}>"]
    assert fp in summary._repr_html_()
    # Set directly, past the methods: still scrubbed where it is written and shown.
    summary.headline = TOKEN
    summary.record("n", 1)
    assert TOKEN not in path.read_text() and TOKEN not in summary._repr_html_()


def test_summary_records_arrays_and_refuses_what_has_no_json_form(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "s.json"
    summary = Summary(path)
    summary.record("x", {"arr": np.array([1.0, np.nan]), "grid": np.arange(4).reshape(2, 2)})
    summary.record("scalars", [np.int64(3), np.float32("nan"), np.float64(np.inf)])
    values = json.loads(path.read_text())["values"]
    assert values["x"] == {"arr": [1.0, None], "grid": [[0, 1], [2, 3]]}
    assert values["scalars"] == [3, None, None]

    class Opaque:
        def item(self) -> Any:
            raise ValueError("cannot convert")

    with pytest.raises(UsageError, match=r"Summary.record\('odd', …\): a Opaque has no JSON"):
        summary.record("odd", Opaque())
    assert "odd" not in summary.values


def test_summary_refuses_a_directory_and_leaves_no_temp_file(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(UsageError, match="is a directory; give the JSON file"):
        Summary(folder)
    # The path turns into a directory after the summary opened it: same error, nothing left.
    path = tmp_path / "s.json"
    summary = Summary(path)
    path.unlink()
    path.mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        summary.record("n", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.json"]


# -- parameters carry names, never secrets ----------------------------------------------------


def test_parameters_that_look_like_tokens_are_refused() -> None:
    with pytest.raises(UsageError) as caught:
        check_parameters({"user": TOKEN}, {})
    assert "looks like a JWT" in str(caught.value) and TOKEN not in str(caught.value)
    with pytest.raises(UsageError, match="value of \\$JWT_SECRET_KEY"):
        check_parameters({"label": f"x{SECRET}y"}, {"JWT_SECRET_KEY": SECRET})
    with pytest.raises(UsageError, match="local development secret"):
        check_parameters({"label": LOCAL_DEV_SECRET}, {})
    with pytest.raises(UsageError, match="-p secret_env NAME"):
        check_parameters({"token": "anything"}, {})
    # The hint names a parameter the notebooks have (no notebook has token_env).
    with pytest.raises(UsageError, match="-p secret_env JWT_SECRET_KEY") as hinted:
        check_parameters({"sub": TOKEN}, {})
    assert "token_env" not in str(hinted.value)
    with pytest.raises(UsageError, match="looks like a JWT"):
        check_parameters({"nested": {"list": ["ok", TOKEN]}}, {})
    check_parameters({"secret_env": "JWT_SECRET_KEY", "token_ttl": "15m", "n": 3}, {})


def test_secret_values_come_from_secret_named_variables() -> None:
    env = {"JWT_SECRET_KEY": SECRET, "HOME": "/root/somewhere", "API_TOKEN": "short"}
    values = secret_values(env)
    assert SECRET in values and LOCAL_DEV_SECRET in values
    assert "/root/somewhere" not in values and "short" not in values


def test_is_token_tells_tokens_from_base64_payloads() -> None:
    disguised = base64.urlsafe_b64encode(TOKEN.encode()).rstrip(b"=").decode()
    assert is_token(TOKEN) and is_token(disguised)
    # Random base64 that merely starts like a disguised token (PNG data, plotly typed arrays).
    noise = "ZXlK" + base64.b64encode(os.urandom(60)).decode().replace("+", "A").replace("/", "B")
    assert not is_token(noise[:64])
    assert find_leaks(f"x {noise[:64]} y", []) == []
    assert len(find_leaks(f"a {TOKEN} b {disguised}", [])) == 2


def test_scrub_notebook_replaces_tokens_everywhere(tmp_path: Path) -> None:
    nb = nbformat.read(
        str(
            _notebook(
                tmp_path,
                new_code_cell(
                    f"t = '{TOKEN}'",
                    outputs=[
                        new_output("stream", name="stdout", text=f"token {TOKEN}\n"),
                        new_output("execute_result", data={"text/plain": f"'{SECRET}'"}),
                        new_output("error", ename="E", evalue=TOKEN, traceback=[TOKEN]),
                    ],
                ),
            )
        ),
        as_version=4,
    )
    nb.metadata["papermill"] = {"parameters": {"t": TOKEN}}
    changed = scrub_notebook(nb, [SECRET])
    text = nbformat.writes(nb)
    assert changed == 1
    assert find_leaks(text, [SECRET]) == []
    assert "eyJ…#" in text and "<secret " in text


def test_coerce_parameters_uses_the_defaults_types() -> None:
    declared = {
        "n": {"default": "3"},
        "x": {"default": "0.5"},
        "flag": {"default": "False"},
        "name": {"default": "'a'"},
        "items": {"default": "[]"},
    }
    got = coerce_parameters(
        {"n": "7", "x": "2", "flag": "yes", "name": "12", "items": "[1, 2]"}, declared
    )
    assert got == {"n": 7, "x": 2.0, "flag": True, "name": "12", "items": [1, 2]}
    with pytest.raises(UsageError, match="wants an integer"):
        coerce_parameters({"n": "many"}, declared)
    with pytest.raises(UsageError, match="its parameters: flag, items, n, name, x"):
        coerce_parameters({"m": "1"}, declared)


# -- running reports ----------------------------------------------------------------------------


def test_report_runs_a_notebook_and_classifies_its_checks(tmp_path: Path) -> None:
    source = _notebook(
        tmp_path,
        new_code_cell(
            "from netra_diag import report\n"
            "s = report.Summary(summary_path, notebook='sample')\n"
            "s.record('n', n)\n"
            "s.check('latency', kind='sla', passed=n < 5, detail=f'n is {n}')"
        ),
        new_code_cell(
            "import plotly.graph_objects as go\n"
            "go.Figure(go.Bar(x=list(range(n)), y=list(range(n))))"
        ),
        new_code_cell(f"print('minted {TOKEN}')"),
    )
    result = run_report(source, {"n": "7"}, out_dir=tmp_path / "out")
    assert result.exit_code is ExitCode.SLA_BREACH
    assert result.headline == "latency: n is 7"
    assert result.values == {"n": 7}
    summary = json.loads(result.summary_path.read_text())
    assert summary["exit_class"] == "SLA_BREACH" and summary["parameters"] == {"n": 7}
    assert (tmp_path / "out" / ".gitignore").read_text() == "*\n"
    for path in (result.notebook_path, result.html_path, result.summary_path):
        assert path is not None and path.is_file()
        assert find_leaks(path.read_text(encoding="utf-8"), secret_values(os.environ)) == []
    html = result.html_path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert html.count('id="netra-plotlyjs"') == 1 and 'class="netra-figure"' in html
    assert "<script src=" not in html  # nothing fetched from a CDN
    assert result.sizes["html"] < 2 * 1024 * 1024


def test_a_failing_notebook_still_gets_a_report(tmp_path: Path) -> None:
    source = _notebook(tmp_path, new_code_cell("print('before')"), new_code_cell("1 / 0"))
    result = run_report(source, {}, out_dir=tmp_path / "out", html=False)
    assert result.exit_code is ExitCode.NOTEBOOK
    assert result.error is not None and "ZeroDivisionError" in result.error
    # In [4]: papermill's injected-parameters cell ran as In [2].
    expected = "notebook failed: In [4] '1 / 0': ZeroDivisionError: division by zero"
    assert result.headline == expected
    assert "before" in result.notebook_path.read_text()


def test_a_cell_refusing_its_input_exits_2_naming_the_line(tmp_path: Path) -> None:
    cell = new_code_cell(
        "from netra_diag.errors import UsageError\nx = 1\nraise UsageError('ttl: bad TTL')"
    )
    source = _notebook(tmp_path, cell, new_code_cell("print('after')"))
    result = run_report(source, {}, out_dir=tmp_path / "out", html=False)
    assert result.exit_code is ExitCode.USAGE
    assert result.headline == "bad input, nothing checked: ttl: bad TTL"
    # The line that raised, not the cell's first (an import).
    assert result.error is not None and "raise UsageError('ttl: bad TTL')" in result.error
    summary = json.loads(result.summary_path.read_text())
    assert summary["status"] == "bad_input" and summary["exit_code"] == 2


def test_notebook_warnings_reach_the_report(tmp_path: Path) -> None:
    cell = new_code_cell(
        "from netra_diag import report\n"
        "s = report.Summary(summary_path)\n"
        "s.warn('1 recording damaged')\n"
        "s.check('x', kind='sla', passed=True)"
    )
    result = run_report(_notebook(tmp_path, cell), {}, out_dir=tmp_path / "out", html=False)
    assert result.warnings == ("1 recording damaged",)
    assert json.loads(result.summary_path.read_text())["warnings"] == ["1 recording damaged"]


def test_a_notebook_recording_a_token_gets_its_report(tmp_path: Path) -> None:
    # Before the summary scrubbed what it was given, the report refused to write (exit 1).
    cell = new_code_cell(
        "from netra_diag import report\n"
        "from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token\n"
        "tok = mint_token('u1', key=LOCAL_DEV_SECRET, now=1_764_028_800.0)\n"
        "s = report.Summary(summary_path, notebook='sample')\n"
        "s.record('token', tok)\n"
        "s.check('auth', kind='auth', passed=True, detail='token ' + tok)\n"
        "s.set_headline('minted ' + tok)\n"
        "s"
    )
    result = run_report(_notebook(tmp_path, cell), {}, out_dir=tmp_path / "out", html=False)
    assert result.exit_code is ExitCode.OK, result.headline
    shown = result.values["token"]  # a fresh token (its own jti): known by its fingerprint
    assert shown.startswith("eyJ…#") and result.headline == f"minted {shown}"


async def _reply_while_sending(channel_class: type[Any]) -> str:
    """nbclient's situation, step by step: it waits on the shell channel for a reply; the reply
    arrives, and before the event loop notices, the client sends on that channel (an Output
    widget's captured output going back to the kernel). The reply's type, or "stranded"."""
    context = zmq.asyncio.Context()
    kernel: zmq.Socket[bytes] = zmq.Context.shadow(context.underlying).socket(zmq.ROUTER)
    client = context.socket(zmq.DEALER)
    try:
        kernel.bind("inproc://shell")
        client.connect("inproc://shell")
        session = Session(key=b"")
        channel = channel_class(client, session, None)
        channel.send(session.msg("execute_request"))
        identity, *_ = kernel.recv_multipart()
        waiting = asyncio.ensure_future(channel.get_msg(timeout=None))
        await asyncio.sleep(0.05)  # the wait is registered with the event loop
        # No await from here to the send: over inproc the reply is queued in the client's
        # socket when session.send returns, and the event loop has not looked yet.
        session.send(kernel, "execute_reply", ident=identity)
        channel.send(session.msg("comm_msg"))
        try:
            reply = await asyncio.wait_for(waiting, 5)
        except TimeoutError:
            return "stranded"
        return str(reply["msg_type"])
    finally:
        client.close(linger=0)
        kernel.close(linger=0)
        context.term()


async def test_a_send_while_waiting_never_strands_the_reply() -> None:
    # The hang behind 'netra-diag report' waiting forever with the kernel idle: a plain
    # AsyncZMQSocketChannel strands this reply every time (its send drains the socket's
    # wake-up); the report's channel re-checks after sending.
    assert await _reply_while_sending(ReArmingChannel) == "execute_reply"


def test_reports_use_the_re_arming_kernel_client(tmp_path: Path) -> None:
    from jupyter_client.manager import AsyncKernelManager

    client = AsyncKernelManager(config=kernel_config(str(tmp_path))).client()
    assert isinstance(client, ReportKernelClient)
    assert client.shell_channel_class is ReArmingChannel


class _SignalRecordingManager(ReportKernelManager):
    """The report's kernel manager, recording the signals it sends the kernel."""

    signals: list[int]

    async def _async_signal_kernel(self, signum: int) -> None:
        self.signals = [*getattr(self, "signals", []), signum]
        await super()._async_signal_kernel(signum)


def _kernel_noise(err: str) -> list[str]:
    """What the kernel logged on the shared stderr when it was shut down."""
    marks = ("KeyboardInterrupt caught in kernel", "ZMQError", "Traceback", "[IPKernelApp]")
    return [line for line in err.splitlines() if any(m in line for m in marks)]


def test_reports_use_the_quiet_kernel_manager(tmp_path: Path) -> None:
    from nbclient import NotebookClient

    client = NotebookClient(new_notebook(), config=kernel_config(str(tmp_path)))
    assert client.kernel_manager_class is ReportKernelManager


async def test_an_idle_kernel_is_shut_down_without_an_interrupt(tmp_path: Path) -> None:
    # jupyter_client's shutdown sends SIGINT first, busy or not; a kernel handling a message
    # when it lands logs "KeyboardInterrupt caught in kernel." on the report's stderr.
    manager = _SignalRecordingManager(config=kernel_config(str(tmp_path)))
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        await client.execute_interactive("x = 1", timeout=30)
    finally:
        client.stop_channels()
    await manager.shutdown_kernel()
    assert getattr(manager, "signals", []) == []
    assert not await manager.is_alive()


def test_a_timed_out_cell_is_shut_down_without_kernel_noise(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # The kernel shares the report's stderr (capfd sees it). A running cell is interrupted; it
    # must reply before the shutdown request closes the kernel's sockets, or ipykernel logs a
    # 'ZMQError: Socket operation on non-socket' traceback.
    source = _notebook(tmp_path, new_code_cell("import time\ntime.sleep(600)"))
    out = tmp_path / "out"
    code = main(["report", str(source), "--cell-timeout", "2", "--out", str(out)])
    assert code == ExitCode.NOTEBOOK
    captured = capfd.readouterr()
    assert "not finished within 2 s, stopped (cell timeout 2 s: --cell-timeout)" in captured.out
    assert _kernel_noise(captured.err) == []


def test_a_cell_that_never_answers_ends_the_run_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], timeout_factor: float
) -> None:
    source = _notebook(
        tmp_path, new_code_cell("print('before')"), new_code_cell("import time\ntime.sleep(600)")
    )
    out = tmp_path / "out"
    code = main(["report", str(source), "--timeout", str(6 * timeout_factor), "--out", str(out)])
    assert code == ExitCode.NOTEBOOK
    summary = json.loads((out / "sample.json").read_text())
    assert summary["error"].startswith("In [4] 'import time': not finished within")
    assert "budget ran out: --timeout)" in summary["error"]
    assert summary["error"] in capsys.readouterr().out
    assert "before" in (out / "sample.ipynb").read_text()  # the notebook as far as it ran
    assert (out / "sample.html").is_file()


def test_cells_share_what_is_left_of_the_run_budget() -> None:
    run = RunTracker(cell_timeout=600.0, run_timeout=100.0, started=time.monotonic() - 40.0)
    assert 59 <= run.timeout_for(None) <= 60
    assert "budget ran out" in run.timeout_error() and run.timeout_error().startswith("a cell")
    spent = RunTracker(cell_timeout=600.0, run_timeout=10.0, started=time.monotonic() - 60.0)
    assert spent.timeout_for(None) == 1  # nbclient reads 0 as no timeout at all
    unbounded = RunTracker(cell_timeout=30.0, run_timeout=None, started=time.monotonic())
    assert unbounded.timeout_for(None) == 30
    unbounded.on_cell_execute(cell={"source": "\nx = 1\n", "execution_count": 5}, cell_index=3)
    assert unbounded.timeout_error() == (
        "In [5] 'x = 1': not finished within 30 s, stopped (cell timeout 30 s: --cell-timeout)"
    )
    unbounded.on_cell_executed()
    assert unbounded.where() == ""


def test_cli_report_prints_each_checks_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _notebook(
        tmp_path,
        new_code_cell(
            "from netra_diag import report\n"
            "s = report.Summary(summary_path, notebook='sample')\n"
            "s.check('sla', kind='sla', passed=True, detail='no data', verified=False)\n"
            "s.check('contracts', kind='contract', passed=False, detail='2 runs broke it')\n"
            "s.check('auth', kind='auth', passed=True, detail='sub matched')"
        ),
    )
    code = main(["report", str(source), "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == ExitCode.CONTRACT
    # A check not judged for lack of data is never printed as a pass; the kind is shown only
    # where it is not the name already.
    assert "  [not verified] sla: no data\n" in out
    assert "  [FAIL] contracts (contract): 2 runs broke it\n" in out
    assert "  [pass] auth: sub matched\n" in out


def test_cli_report_exit_line_says_what_ok_leaves_unverified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _notebook(
        tmp_path,
        new_code_cell(
            "from netra_diag import report\n"
            "s = report.Summary(summary_path, notebook='sample')\n"
            "s.check('sla', kind='sla', passed=True, detail='no data', verified=False)"
        ),
    )
    assert main(["report", str(source), "--out", str(tmp_path / "o")]) == ExitCode.OK
    assert "exit:     0 (OK, but not verified: sla) in " in capsys.readouterr().out


def test_cli_report_refuses_secret_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _notebook(tmp_path, params="user = ''\nsummary_path = ''")
    code = main(["report", str(source), "-p", "user", TOKEN, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE and "looks like a JWT" in err and TOKEN not in err
    assert not (tmp_path / "o").exists()
    code = main(["report", str(source), "-p", "nope", "1", "--out", str(tmp_path / "o")])
    assert code == ExitCode.USAGE and "has no parameter 'nope'" in capsys.readouterr().err
    assert main(["report", "no_such_notebook"]) == ExitCode.USAGE


def test_cli_report_lists_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "token_lab", "--list-parameters"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert 'secret_env = "JWT_SECRET_KEY"' in out and "summary_path" in out


# -- HTML export --------------------------------------------------------------------------------


def _figure_nb(trace: dict[str, Any]) -> Any:
    nb = new_notebook()
    output = new_output(
        "display_data", data={"application/vnd.plotly.v1+json": {"data": [trace], "layout": {}}}
    )
    nb.cells = [new_code_cell("fig", outputs=[output])]
    return nb


def test_html_embeds_the_small_bundle_for_cartesian_figures() -> None:
    page = export_html(_figure_nb({"type": "bar", "x": [1, 2], "y": [3, 4]}))
    assert page.figures == 1 and page.bundle.startswith("cartesian-")
    assert page.size < 1_200_000
    # scattergl with few points draws as SVG scatter, so the small bundle still does.
    small_gl = export_html(_figure_nb({"type": "scattergl", "x": [1, 2], "y": [3, 4]}))
    assert small_gl.bundle.startswith("cartesian-")


def test_html_falls_back_to_the_full_bundle() -> None:
    page = export_html(_figure_nb({"type": "scatter3d", "x": [1], "y": [2], "z": [3]}))
    assert page.bundle.startswith("full-")
    big = {"type": "scattergl", "x": list(range(30_000)), "y": list(range(30_000))}
    assert plain_scatter({"data": [big]})["data"][0]["type"] == "scattergl"


def test_figure_placeholder_escapes_script_endings() -> None:
    html = figure_placeholder({"data": [{"type": "bar", "name": "</script><b>x"}], "layout": {}})
    assert "</script><b>" not in html and "<\\/script>" in html


# -- netra-diag scrub ---------------------------------------------------------------------------


def _dirty(tmp_path: Path) -> Path:
    return _notebook(
        tmp_path,
        new_code_cell(
            "token = mint()",
            outputs=[
                new_output("stream", name="stdout", text=f"got {TOKEN}\n"),
                new_output("stream", name="stdout", text="harmless\n"),
            ],
            execution_count=3,
        ),
        new_code_cell(f"header = 'Bearer {TOKEN}'"),
    )


def test_scrub_check_reports_without_changing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _dirty(tmp_path)
    before = path.read_bytes()
    assert main(["scrub", "--check", str(path)]) == 1
    assert path.read_bytes() == before
    out = capsys.readouterr().out
    assert "would change" in out and "(cell 3)" in out and TOKEN not in out


def test_scrub_removes_outputs_with_tokens_then_checks_clean(tmp_path: Path) -> None:
    path = _dirty(tmp_path)
    assert main(["scrub", str(path)]) == 0
    text = path.read_text()
    assert find_leaks(text, []) == [] and "harmless" in text and "eyJ…#" in text
    assert main(["scrub", "--check", str(path)]) == 0
    assert main(["scrub", "--strip-outputs", str(path)]) == 0
    nb = nbformat.read(str(path), as_version=4)
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb.cells
        if c.cell_type == "code"
    )


def test_scrub_rejects_what_is_not_a_notebook(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    assert main(["scrub", str(bad)]) == ExitCode.USAGE
    assert main(["scrub", str(tmp_path / "missing.ipynb")]) == ExitCode.USAGE


def test_committed_notebooks_pass_the_pre_commit_check() -> None:
    notebooks = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
    assert len(notebooks) >= 5
    assert main(["scrub", "--check", "--strip-outputs", *map(str, notebooks)]) == 0


def test_pre_commit_hooks_are_declared() -> None:
    text = (Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text()
    assert "entry: netra-diag scrub --check" in text and "files: \\.ipynb$" in text


# -- netra-diag lab -----------------------------------------------------------------------------


def test_lab_listens_on_loopback_only() -> None:
    from netra_diag.cli.lab import build_lab_command

    command = build_lab_command(8899, "/tmp/nb", open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in command and "--ServerApp.port=8899" in command
    assert "--ServerApp.open_browser=False" in command


def test_lab_needs_a_notebooks_folder(tmp_path: Path) -> None:
    assert main(["lab", "--notebooks", str(tmp_path / "missing")]) == ExitCode.USAGE


def test_cli_report_refuses_an_out_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["report", "token_lab", "--out", str(afile)]) == ExitCode.USAGE
    assert f"--out {afile} is not a directory" in capsys.readouterr().err


def test_cli_report_checks_path_parameters_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "suite_triage", "-p", "results", "/nonexistent/junit.xml"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "parameter results: /nonexistent/junit.xml: no such file" in err
    assert not (tmp_path / "o").exists()  # refused before anything ran
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["report", "latency_sla", "-p", "recordings", str(empty), "--out", str(tmp_path)]
    assert main(argv) == ExitCode.USAGE
    assert "no cassettes (*.jsonl) found" in capsys.readouterr().err


def test_cli_report_refuses_summary_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "token_lab", "-p", "summary_path", "/tmp/sp.json", "--out", str(tmp_path)]
    assert main(argv) == ExitCode.USAGE
    assert "parameter summary_path is set by netra-diag report" in capsys.readouterr().err


def test_relative_paths_are_resolved_from_the_callers_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netra_diag.report.parameters import check_path_parameters

    (tmp_path / "junit.xml").write_text("<testsuite/>")
    monkeypatch.chdir(tmp_path)
    declared = {"results": {}, "sla": {}}
    params = check_path_parameters({"results": "junit.xml", "sla": "service"}, declared)
    assert params == {"results": str(tmp_path / "junit.xml"), "sla": "service"}


def test_scrub_numbers_cells_from_1_and_names_the_notebook_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _dirty(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata["papermill"] = {"parameters": {"header": f"Bearer {TOKEN}"}}
    nbformat.write(nb, str(path))
    assert main(["scrub", "--check", str(path)]) == ExitCode.FAILURE
    out = capsys.readouterr().out
    assert "of cell 4" in out and "notebook's metadata" in out
    assert ", 0" not in out and "cell 0" not in out and "cells 0" not in out


def test_scrub_check_still_checks_the_others_when_one_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dirty = _dirty(tmp_path)
    assert main(["scrub", "--check", str(dirty), str(tmp_path / "nope.ipynb")]) == ExitCode.USAGE
    captured = capsys.readouterr()
    assert f"{dirty}: would change" in captured.out
    assert "1 of 2 files checked; some would change" in captured.err


# -- tables as a reader sees them --------------------------------------------------------------


def test_tables_show_cells_for_a_reader_not_pandas_reprs() -> None:
    import pandas as pd

    from netra_diag.report import format_table

    frame = pd.DataFrame(
        {
            "phase": ["connect", "auth"],
            "p50_ms": [15.678723, 0.0],
            "p95_ms": [0.097275, float("nan")],
            "required": [True, False],
            "n": [11, 3],
        }
    )
    table = format_table(frame, ["phase", "p50_ms", "p95_ms", "required", "n", "absent"])
    assert table.columns == ("phase", "p50 (ms)", "p95 (ms)", "required", "n")
    assert table.rows == (
        ("connect", "15.7", "0.097", "yes", "11"),
        ("auth", "0", "", "no", "3"),
    )
    html = table._repr_html_()
    assert "<th>p50 (ms)</th>" in html and "<td>15.7</td>" in html
    assert "dataframe" not in html and "<th>0</th>" not in html  # no index


def test_tables_show_headers_as_lines_and_lists_in_words() -> None:
    from netra_diag.report import format_table
    from netra_diag.tokens import build_handshake

    rows = [
        build_handshake("ws://127.0.0.1:8000/ws", TOKEN, transport).redacted()
        for transport in ("header", "subprotocol")
    ]
    table = format_table(rows, ["transport", "headers", "subprotocols"])
    header, subprotocol = table.rows
    assert header[1].startswith("Authorization: Bearer eyJ…#") and header[2] == ""
    assert subprotocol[1] == "" and subprotocol[2].startswith("jwt-auth, jwt.<base64url eyJ…#")
    html = table._repr_html_()
    cells = html.split("</style>", 1)[1]  # (the alignment rules before the table hold braces)
    assert "{" not in cells and "[" not in cells and TOKEN not in html
    assert "&lt;base64url" in html  # escaped
    two = format_table([{"headers": {"A": "1", "B": "2"}}])
    assert two.rows == (("A: 1\nB: 2",),) and "<td>A: 1<br>B: 2</td>" in two._repr_html_()


def test_an_empty_table_is_a_sentence() -> None:
    import pandas as pd

    from netra_diag.report import format_table

    empty = format_table(
        pd.DataFrame(columns=["severity", "rule", "message"]),
        empty="no findings: every contract held",
    )
    assert "<th>" not in empty._repr_html_()
    assert "no findings: every contract held" in empty._repr_html_()
    assert repr(empty) == "no findings: every contract held"


def test_tables_of_named_values_and_tokens_in_cells() -> None:
    from netra_diag.report import format_table

    table = format_table(
        {"elapsed_s": 8.2971, "connect_rate_per_s": 269.18, "expected_known": False, "users": 20},
        labels={"name": "fan-out", "value": ""},
    )
    assert table.columns == ("fan-out", "")
    assert table.rows == (
        ("elapsed (s)", "8.3"),
        ("connect rate (/s)", "269.2"),
        ("expected known", "no"),
        ("users", "20"),
    )
    leaky = format_table([{"detail": f"sent {TOKEN}"}])
    assert TOKEN not in leaky._repr_html_() and TOKEN not in repr(leaky)


def test_help_says_exit_0_covers_checks_not_verified(capsys: pytest.CaptureFixture[str]) -> None:
    # A required check "not verified" (no data) exits 0 too: the help must not call that a pass.
    from netra_diag.cli import main

    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0 every required check passed" not in text
    assert '0 no required check failed: each passed or is "not verified"' in text
