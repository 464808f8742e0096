"""Run a notebook as a report: papermill, scrub, export HTML, write the JSON summary.

``run_report(name, parameters, out_dir=...)`` writes three files into ``out_dir``:

- ``NAME.ipynb``: the executed notebook, every output scrubbed of tokens and secrets;
- ``NAME.html``: a self-contained page whose figures render offline (:mod:`.html`);
- ``NAME.json``: verdicts, counts and SLA results the notebook recorded (:class:`.Summary`), the
  parameters, artifact sizes, and the exit code by class (:func:`.exit_code_for`).

A notebook with a ``record_dir`` parameter records beside the report (:mod:`.artifacts` says
where). An interrupted run (Ctrl-C) writes no report, and leaves none from an earlier run into the
same folder (removed as the run starts): its kernel is killed and :class:`ReportInterrupted` (a
``KeyboardInterrupt``) says where the partial recordings are.

This module drives the run; the parts live beside it: :mod:`.notebooks` finds the notebook and
checks its parameters, :mod:`.kernelspec` picks this interpreter's own kernel, :mod:`.execution`
bounds the run, :mod:`.outcome` judges how it ended and :mod:`.artifacts` writes the files. The
public names of :mod:`.notebooks`, :mod:`.kernelspec`, :mod:`.outcome` and :mod:`.artifacts` that
were first defined here stay importable from here.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from netra_diag import __version__
from netra_diag.errors import NotebookError, UsageError
from netra_diag.report.artifacts import (
    DEFAULT_OUT_DIR,
    MAX_REPORT_BYTES,
    RECORDINGS_DIR,
    check_targets,
    prepare_out_dir,
    recorded_since,
    recordings_folder_name,
    refuse_secret_in_out,
    relative_to_out,
    tidy_executed_notebook,
    write_checked,
)
from netra_diag.report.kernelspec import ensure_kernel
from netra_diag.report.notebooks import (
    coerce_parameters,
    find_notebook,
    notebook_parameters,
    notebooks_dir,
)
from netra_diag.report.outcome import (
    CHECKS_FAILED,
    INPUT_ERRORS,
    UNREACHABLE_ERRORS,
    ReportInterrupted,
    ReportResult,
    judge_report,
)
from netra_diag.report.parameters import check_path_parameters, refuse_report_set
from netra_diag.report.safety import (
    check_parameters,
    named_secrets,
    scrub_json,
    scrub_notebook,
    scrub_text,
    secret_values,
)
from netra_diag.report.shown_paths import shorten_notebook, shorten_paths, shown_path_prefixes
from netra_diag.report.summary import to_jsonable

__all__ = [
    "DEFAULT_OUT_DIR",
    "MAX_REPORT_BYTES",
    "RECORDINGS_DIR",
    "ReportInterrupted",
    "ReportResult",
    "coerce_parameters",
    "ensure_kernel",
    "find_notebook",
    "notebook_parameters",
    "notebooks_dir",
    "prepare_out_dir",
    "run_report",
]

RECORD_DIR_PARAMETER = "record_dir"


def _not_the_killed_kernel(record: logging.LogRecord) -> bool:
    """False for asyncio's report of the kernel an interrupt killed (see ``run_report``)."""
    exc = record.exc_info[1] if record.exc_info else None
    return type(exc).__name__ != "DeadKernelError"


def run_report(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR,
    kernel_name: str | None = None,
    cell_timeout: float = 600.0,
    run_timeout: float | None = 1800.0,
    html: bool = True,
    hide_code: bool = False,
    environ: Mapping[str, str] | None = None,
    log: Callable[[str], None] | None = None,
) -> ReportResult:
    """Execute ``notebook`` with ``parameters`` and write the report into ``out_dir``.

    Raises :class:`~netra_diag.errors.UsageError` for an unknown notebook or parameter, or a
    parameter that carries a secret. A notebook that fails does not raise: the result has
    ``exit_code == ExitCode.NOTEBOOK`` and ``error`` says which cell failed and why, and the
    executed notebook and HTML still show everything up to that cell.

    ``environ`` is the environment the parameter checks, the scrubbing and the notebook's
    kernel all see (a whole one, e.g. ``{**os.environ, "QA_KEY": ...}``); ``None``: this
    process's.

    Bounded: each cell gets ``cell_timeout`` seconds and all of them together ``run_timeout``
    from the start (``None``: only the per-cell limit); a cell that has not answered by then
    ends the run the same way, its error naming the cell. Starting the kernel is bounded apart
    (120 s).
    """
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    from netra_diag.report.execution import (
        RunTracker,
        first_line,
        kernel_config,
        kill_kernels,
        raising_line,
    )

    started = time.monotonic()
    wall_started = time.time()
    env = dict(os.environ if environ is None else environ)
    say = log or (lambda _msg: None)
    source = find_notebook(notebook)
    name = source.stem
    declared = notebook_parameters(source)
    refuse_report_set(dict(parameters or {}))
    params = coerce_parameters(dict(parameters or {}), declared, where=f"notebook {name!r}")
    # The variable -p secret_env names holds a secret whatever it is called.
    named = named_secrets(params, declared, env)
    check_parameters(params, env, named=named)
    # Paths are resolved here: the notebook runs in the output folder.
    params = check_path_parameters(params, declared)
    secrets = tuple(sorted({*secret_values(env), *named}, key=len, reverse=True))
    refuse_secret_in_out(out_dir, secrets)

    planned = Path(out_dir) / f"{name}.ipynb"
    if planned.resolve() == source.resolve():
        # `--out notebooks` from a checkout: the executed notebook would replace its source.
        raise UsageError(
            f"--out {out_dir} would overwrite the notebook being run ({source}) with the "
            "executed one; choose another folder"
        )
    out = prepare_out_dir(out_dir)
    nb_path, html_path, summary_path = (
        out / f"{name}{ext}" for ext in (".ipynb", ".html", ".json")
    )
    check_targets(out, (nb_path, html_path, summary_path))
    for earlier in (nb_path, html_path, summary_path):
        # An earlier run's report must not outlive this run unreplaced (Ctrl-C, a killed
        # process): CI would read its verdict as this run's, over recordings this run replaced.
        earlier.unlink(missing_ok=True)
    kernel = kernel_name or ensure_kernel()

    error: str | None = None
    refused: str | None = None  # a cell refused its input (a bad parameter): exit 2, not 8
    unreachable: str | None = None  # a cell could not reach the service: exit 9, not 8
    with tempfile.TemporaryDirectory(prefix="netra-report-") as tmp:
        raw_out = Path(tmp) / f"{name}.ipynb"
        notebook_summary = Path(tmp) / "summary.json"
        run_params = dict(params)
        if "summary_path" in declared:
            run_params["summary_path"] = str(notebook_summary)
        recordings: Path | None = None
        if RECORD_DIR_PARAMETER in declared:
            # Recordings made now land beside the report, not in a hidden temporary folder.
            recordings = Path(
                params.get(RECORD_DIR_PARAMETER) or out / recordings_folder_name(name)
            ).resolve()
            run_params[RECORD_DIR_PARAMETER] = str(recordings)
        say(f"running {source} with kernel {kernel!r}")
        run = RunTracker(cell_timeout, run_timeout, started)
        quiet = _QuietTimeouts()
        logging.getLogger("papermill").addFilter(quiet)
        ticker = _Ticker(run, say)
        try:
            papermill.execute_notebook(
                str(source),
                str(raw_out),
                parameters=run_params,
                kernel_name=kernel,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                execution_timeout=cell_timeout,
                timeout_func=run.timeout_for,
                on_notebook_start=run.on_notebook_start,
                on_cell_execute=run.on_cell_execute,
                on_cell_executed=run.on_cell_executed,
                start_timeout=120,
                cwd=str(out),
                config=kernel_config(tmp, None if environ is None else env),
            )
        except PapermillExecutionError as exc:
            first = raising_line(exc.traceback) or first_line(str(exc.source))
            if exc.ename != CHECKS_FAILED:  # (that one ends a run that was not broken)
                error = f"In [{exc.exec_count}] {first!r}: {exc.ename}: {exc.evalue}"
            if exc.ename in INPUT_ERRORS:
                refused = str(exc.evalue)
            elif exc.ename in UNREACHABLE_ERRORS:
                unreachable = f"{exc.evalue} (the notebook stopped at In [{exc.exec_count}])"
        except CellTimeoutError:
            error = run.timeout_error()
        except KeyboardInterrupt:
            # The loop stopped mid-cell: no shutdown can run, so the kernel (in a session of
            # its own, which the terminal's Ctrl-C never reached) is killed, and nothing is
            # written: a report of half a run would read as a verdict.
            kill_kernels()
            # The cell's task then ends in nbclient's DeadKernelError, which nobody awaits any
            # more: asyncio would log its traceback at exit, after the line that says what
            # happened, as if the report had crashed.
            logging.getLogger("asyncio").addFilter(_not_the_killed_kernel)
            raise ReportInterrupted(out, recorded_since(recordings, wall_started)) from None
        except Exception as exc:  # kernel died, ...: still report what ran
            where = run.where()
            error = f"{where + ': ' if where else ''}{type(exc).__name__}: {exc}"
        finally:
            ticker.stop()
            logging.getLogger("papermill").removeFilter(quiet)
        if not raw_out.is_file() and run.notebook is not None:
            nbformat.write(run.notebook, str(raw_out))  # type: ignore[no-untyped-call]
        if not raw_out.is_file():
            raise NotebookError(str(source), error or "papermill wrote no output notebook")
        executed = nbformat.read(str(raw_out), as_version=4)  # type: ignore[no-untyped-call]
        found = (
            json.loads(notebook_summary.read_text(encoding="utf-8"))
            if notebook_summary.is_file()
            else {}
        )

    scrub_notebook(executed, secrets)
    # The notebook's Summary scrubs what it knows; the runner knows more (the variable
    # -p secret_env names), and a summary it cannot write would lose the whole report.
    found = scrub_json(found, secrets)
    if error:
        error = scrub_text(error, secrets)
    tidy_executed_notebook(executed, nb_path)
    # Paths as the user gave them (relative to where the report was started), not the CI's.
    shown = shown_path_prefixes()
    shorten_notebook(executed, shown)
    found, error = shorten_paths(found, shown), shorten_paths(error, shown)
    refused, unreachable = shorten_paths(refused, shown), shorten_paths(unreachable, shown)

    verdict = judge_report(found, error, refused, unreachable, secrets)
    checks, exit_code, headline = verdict.checks, verdict.exit_code, verdict.headline

    sizes: dict[str, int] = {}
    warnings: list[str] = [
        scrub_text(str(w), secrets) for w in found.get("warnings", ()) if isinstance(w, str)
    ]
    say(f"writing {nb_path}")
    text = nbformat.writes(executed)  # type: ignore[no-untyped-call]
    sizes["notebook"] = write_checked(nb_path, text, secrets)
    written_html: Path | None = None
    if html:
        from netra_diag.report.html import export_html

        say(f"exporting {html_path}")
        from netra_diag.report.banner import verdict_banner

        banner = verdict_banner(
            name=name,
            exit_code=exit_code,
            headline=headline,
            checks=checks,
            error=error,
            warnings=warnings,
        )
        page = export_html(
            executed, title=f"netra-diag report: {name}", hide_code=hide_code, banner=banner
        )
        sizes["html"] = write_checked(html_path, page.html, secrets)
        written_html = html_path
    for kind, size in sizes.items():
        if size > MAX_REPORT_BYTES:
            warnings.append(f"{kind} is {size / 1e6:.1f} MB, over the 2 MB report budget")

    duration = time.monotonic() - started
    made = recorded_since(recordings, wall_started)
    summary = {
        "report": name,
        "source": shorten_paths(str(source), shown),
        "tool_version": __version__,
        "status": verdict.status,
        "error": error,
        "exit_code": int(exit_code),
        "exit_class": exit_code.name,
        "headline": headline,
        "checks": [c.to_dict() for c in checks],
        "values": to_jsonable(found.get("values", {})),
        "parameters": shorten_paths(to_jsonable(params), shown),
        "artifacts": {
            "notebook": nb_path.name,
            "html": written_html.name if written_html else None,
            "summary": summary_path.name,
            "recordings": relative_to_out(made, out) if made is not None else None,
        },
        "sizes": sizes,
        "warnings": warnings,
        "duration_s": round(duration, 3),
    }
    write_checked(
        summary_path, json.dumps(summary, indent=2, sort_keys=True, allow_nan=False), secrets
    )
    return ReportResult(
        name=name,
        notebook_path=nb_path,
        html_path=written_html,
        summary_path=summary_path,
        exit_code=exit_code,
        headline=headline,
        checks=checks,
        values=summary["values"],
        error=error,
        duration_s=duration,
        sizes=sizes,
        warnings=tuple(warnings),
        recordings_path=made,
    )


# A cell running longer than this gets a progress line, and another as often: a report that
# records a fan-out in one cell is otherwise silent for a minute, which reads as a hang.
PROGRESS_EVERY_S = 10.0


class _Ticker:
    """A daemon thread saying which cell runs, every ``PROGRESS_EVERY_S`` while one does
    (papermill's own progress bar is off: it draws nothing useful without a terminal)."""

    def __init__(self, run: Any, say: Callable[[str], None]) -> None:
        self._run, self._say = run, say
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="report-progress", daemon=True)
        self._thread.start()

    def _tick(self) -> None:
        said = 0.0
        while not self._done.wait(min(1.0, PROGRESS_EVERY_S / 4)):
            # Counted from the cell's start, so a fast cell never gets a line.
            since = max(self._run.cell_started, said)
            if time.monotonic() - since < PROGRESS_EVERY_S:
                continue
            line = self._run.progress()
            if line:
                self._say(f"still running: {line}")
                said = time.monotonic()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=1.0)


class _QuietTimeouts(logging.Filter):
    """Drops nbclient's 'Timeout waiting for execute reply (3s).' and 'Kernel died while
    waiting for execute reply.' log lines: the report says the same, naming the cell, in its
    headline and error."""

    said = ("Timeout waiting for execute reply", "Kernel died while waiting for execute reply")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(self.said)
