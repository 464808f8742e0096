"""Run a notebook as a report: papermill, scrub, export HTML, write the JSON summary.

``run_report(name, parameters, out_dir=...)`` writes three files into ``out_dir``:

- ``NAME.ipynb``: the executed notebook, every output scrubbed of tokens and secrets;
- ``NAME.html``: a self-contained page whose figures render offline (:mod:`.html`);
- ``NAME.json``: verdicts, counts and SLA results the notebook recorded (:class:`.Summary`), the
  parameters, artifact sizes, and the exit code by class (:func:`.exit_code_for`).

A notebook with a ``record_dir`` parameter records what it needs into ``out_dir/recordings``
(:data:`RECORDINGS_DIR`: ``investigation_report``, as ``netra-diag demo`` keeps them) or
``out_dir/recordings-NAME`` (any other notebook, so that reports sharing an ``out_dir`` never
replace each other's recordings) unless told otherwise, never into a hidden temporary folder. An
interrupted run (Ctrl-C) writes no report: its kernel is killed and :class:`ReportInterrupted`
(a ``KeyboardInterrupt``) says where the partial recordings are.

The kernel is this interpreter's own (:func:`ensure_kernel`), so a report run from the project's
virtualenv executes with the project's packages whatever other kernels are installed.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_diag import __version__
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import NotebookError, UsageError
from netra_diag.report.parameters import REPORT_SET, check_path_parameters, refuse_report_set
from netra_diag.report.safety import (
    check_parameters,
    find_leaks,
    named_secrets,
    scrub_json,
    scrub_notebook,
    scrub_text,
    secret_values,
)
from netra_diag.report.summary import (
    Check,
    CheckKind,
    derive_headline,
    exit_code_for,
    to_jsonable,
)

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

DEFAULT_OUT_DIR = "netra-report"
# An executed report (notebook or HTML page) above this size is flagged in the summary.
MAX_REPORT_BYTES = 2 * 1024 * 1024
KERNEL_NAME = "python3"
# A cell that raises one of these refused its input (a parameter, or a file one names): the
# report exits 2 (usage) with the error's own message, not 8 as for a notebook that broke.
INPUT_ERRORS = frozenset({"UsageError", "ConfigFileError", "ReportParseError", "RecordingError"})
# A cell that raises one of these could not reach the service (down, wrong port, DNS): the
# report exits 9 (infrastructure), as --help says, not 8 as for a notebook that broke.
UNREACHABLE_ERRORS = frozenset({"ConnectFailed"})
FALLBACK_KERNEL_NAME = "netra-diag"
# Where a notebook's own recordings go, inside out_dir (as `netra-diag demo` keeps them).
RECORDINGS_DIR = "recordings"
RECORD_DIR_PARAMETER = "record_dir"


class ReportInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a report: nothing was written into ``out_dir``; ``recordings`` is where the
    recordings made so far are (``None``: none were made). ``str()`` says so, for the
    ``interrupted: ...`` line."""

    def __init__(self, out_dir: Path, recordings: Path | None) -> None:
        self.out_dir = out_dir
        self.recordings = recordings
        where = f"; partial recordings in {recordings}" if recordings is not None else ""
        super().__init__(f"no report written to {out_dir}{where}")


@dataclass(frozen=True)
class ReportResult:
    """Where a report went and what it found."""

    name: str
    notebook_path: Path
    html_path: Path | None
    summary_path: Path
    exit_code: ExitCode
    headline: str
    checks: tuple[Check, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0
    sizes: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    recordings_path: Path | None = None

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)


def notebooks_dir() -> Path | None:
    """The project's ``notebooks/`` folder: ``$NETRA_NOTEBOOKS`` if set, else next to the package
    (a source checkout), else ``./notebooks``; ``None`` if none exists."""
    candidates = []
    if os.environ.get("NETRA_NOTEBOOKS"):
        candidates.append(Path(os.environ["NETRA_NOTEBOOKS"]))
    candidates += [Path(__file__).resolve().parents[2] / "notebooks", Path.cwd() / "notebooks"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


def find_notebook(name: str | os.PathLike[str]) -> Path:
    """A notebook by path, or by name in :func:`notebooks_dir` (``.ipynb`` optional)."""
    path = Path(name)
    if path.suffix == ".ipynb" and path.is_file():
        return path
    folder = notebooks_dir()
    if folder is not None:
        candidate = folder / (path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb")
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in folder.glob("*.ipynb")) if folder else []
    hint = f"; notebooks in {folder}: {', '.join(known)}" if known else ""
    raise UsageError(f"no notebook {str(name)!r}{hint}")


def notebook_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """The ``parameters`` cell's names, defaults and help (``papermill.inspect_notebook``)."""
    import papermill

    return dict(papermill.inspect_notebook(str(path)))


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def coerce_parameters(
    raw: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]], *, where: str = "notebook"
) -> dict[str, Any]:
    """Convert ``-p KEY VALUE`` strings to the type of each declared default.

    An undeclared name is an error naming the valid ones (papermill would inject it silently).
    """
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in declared:
            # Not those the report command sets itself: giving them is refused too.
            valid = ", ".join(sorted(k for k in declared if k not in REPORT_SET)) or "none"
            raise UsageError(f"{where} has no parameter {key!r}; its parameters: {valid}")
        if not isinstance(value, str):
            out[key] = value
            continue
        default = _literal(str(declared[key].get("default", "")))
        if isinstance(default, bool):
            lowered = value.strip().lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                raise UsageError(f"parameter {key!r} wants true or false, got {value!r}")
            out[key] = lowered in {"true", "1", "yes"}
        elif isinstance(default, int | float):
            try:
                out[key] = type(default)(float(value) if isinstance(default, float) else value)
            except ValueError:
                kind = "an integer" if isinstance(default, int) else "a number"
                raise UsageError(f"parameter {key!r} wants {kind}, got {value!r}") from None
        elif isinstance(default, str):
            out[key] = value
        else:
            out[key] = _literal(value)
    return out


def prepare_out_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` for report output; a folder created here gets a ``.gitignore`` of ``*``
    (reports are build output: nothing in them belongs in version control)."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is not a directory")
    if not out.exists():
        try:
            out.mkdir(parents=True)
            (out / ".gitignore").write_text("*\n", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot create it: {exc.strerror or exc}") from None
    return out


def ensure_kernel() -> str:
    """The name of a kernel that runs this interpreter.

    jupyter_client starts a kernelspec whose ``argv[0]`` is plain ``python`` with the current
    interpreter, so the standard ``python3`` spec is used when it resolves to us. A ``python3``
    spec pointing elsewhere (e.g. a user-level one) would run the report without the project's
    packages; then a ``netra-diag`` kernelspec for this interpreter is installed into
    ``sys.prefix`` (the virtualenv) and used instead.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    manager = KernelSpecManager()
    for name in (KERNEL_NAME, FALLBACK_KERNEL_NAME):
        try:
            spec = manager.get_kernel_spec(name)
        except NoSuchKernel:
            continue
        argv0 = spec.argv[0] if spec.argv else ""
        plain = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}
        if argv0 in plain or Path(argv0).resolve() == Path(sys.executable).resolve():
            return name
    from ipykernel.kernelspec import install

    install(
        kernel_name=FALLBACK_KERNEL_NAME,
        display_name="Python 3 (netra-diag)",
        prefix=sys.prefix,
    )
    return FALLBACK_KERNEL_NAME


def _derive_headline(checks: tuple[Check, ...], error: str | None) -> str:
    """Worst first: a notebook error, then failed checks by exit-code class."""
    if error:
        return f"notebook failed: {error}"
    return derive_headline(checks)


def _write_checked(path: Path, text: str, secrets: tuple[str, ...]) -> int:
    leaks = find_leaks(text, secrets)
    if leaks:
        # Fail closed: a report that still holds a secret after scrubbing is not written at all.
        raise NotebookError(str(path), f"refusing to write: {', '.join(leaks[:3])} survived scrub")
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


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
            recordings = Path(params.get(RECORD_DIR_PARAMETER) or out / _own(name)).resolve()
            run_params[RECORD_DIR_PARAMETER] = str(recordings)
        say(f"running {source} with kernel {kernel!r}")
        run = RunTracker(cell_timeout, run_timeout, started)
        quiet = _QuietTimeouts()
        logging.getLogger("papermill").addFilter(quiet)
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
            raise ReportInterrupted(out, _recorded_since(recordings, wall_started)) from None
        except Exception as exc:  # kernel died, ...: still report what ran
            where = run.where()
            error = f"{where + ': ' if where else ''}{type(exc).__name__}: {exc}"
        finally:
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
    # Widget state would make the page load the widget manager from a CDN; the static views
    # that panels put beside their widget output are what a saved report shows.
    executed.metadata.pop("widgets", None)
    meta = executed.metadata.get("papermill", {})
    if isinstance(meta, dict):
        meta["output_path"] = str(nb_path)
        meta.get("parameters", {}).pop("summary_path", None)
    for cell in executed.cells:
        # The temporary file the notebook's summary went through is gone: not a parameter
        # a reader of the report can use or should look for.
        if "injected-parameters" in cell.get("metadata", {}).get("tags", ()):
            lines = str(cell.get("source", "")).splitlines()
            cell["source"] = "\n".join(x for x in lines if not x.startswith("summary_path = "))

    checks = tuple(Check.from_dict(c) for c in found.get("checks", ()) if isinstance(c, dict))
    exit_code = exit_code_for(checks, notebook_failed=error is not None)
    headline = _derive_headline(checks, error) if error else str(found.get("headline") or "")
    headline = headline or _derive_headline(checks, None)
    if refused is not None:
        refused = scrub_text(refused, secrets)
        exit_code = ExitCode.USAGE
        headline = f"bad input, nothing checked: {refused}"
    elif unreachable is not None:
        unreachable = scrub_text(unreachable, secrets)
        checks += (Check("infrastructure", CheckKind.INFRASTRUCTURE, False, unreachable),)
        exit_code = ExitCode.INFRASTRUCTURE
        headline = f"infrastructure: {unreachable}; nothing after it was checked"

    sizes: dict[str, int] = {}
    warnings: list[str] = [
        scrub_text(str(w), secrets) for w in found.get("warnings", ()) if isinstance(w, str)
    ]
    say(f"writing {nb_path}")
    text = nbformat.writes(executed)  # type: ignore[no-untyped-call]
    sizes["notebook"] = _write_checked(nb_path, text, secrets)
    written_html: Path | None = None
    if html:
        from netra_diag.report.html import export_html

        say(f"exporting {html_path}")
        page = export_html(executed, title=f"netra-diag report: {name}", hide_code=hide_code)
        sizes["html"] = _write_checked(html_path, page.html, secrets)
        written_html = html_path
    else:
        # A page left by an earlier run into the same folder would show that run's verdict
        # beside this run's notebook and summary.
        html_path.unlink(missing_ok=True)
    for kind, size in sizes.items():
        if size > MAX_REPORT_BYTES:
            warnings.append(f"{kind} is {size / 1e6:.1f} MB, over the 2 MB report budget")

    duration = time.monotonic() - started
    made = _recorded_since(recordings, wall_started)
    summary = {
        "report": name,
        "source": str(source),
        "tool_version": __version__,
        "status": (
            "bad_input"
            if refused is not None
            else "unreachable"
            if unreachable is not None
            else "notebook_error"
            if error
            else "ok"
        ),
        "error": error,
        "exit_code": int(exit_code),
        "exit_class": exit_code.name,
        "headline": headline,
        "checks": [c.to_dict() for c in checks],
        "values": to_jsonable(found.get("values", {})),
        "parameters": to_jsonable(params),
        "artifacts": {
            "notebook": nb_path.name,
            "html": written_html.name if written_html else None,
            "summary": summary_path.name,
            "recordings": _relative(made, out) if made is not None else None,
        },
        "sizes": sizes,
        "warnings": warnings,
        "duration_s": round(duration, 3),
    }
    _write_checked(
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


class _QuietTimeouts(logging.Filter):
    """Drops nbclient's 'Timeout waiting for execute reply (3s).' and 'Kernel died while
    waiting for execute reply.' log lines: the report says the same, naming the cell, in its
    headline and error."""

    said = ("Timeout waiting for execute reply", "Kernel died while waiting for execute reply")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).startswith(self.said)


def _own(name: str) -> str:
    """The folder in ``out_dir`` where notebook ``name`` records by default (see the module
    docstring): a collection replaces the previous one in its folder, and must not replace
    another report's (both default to ``./netra-report``)."""
    return RECORDINGS_DIR if name == "investigation_report" else f"{RECORDINGS_DIR}-{name}"


def _recorded_since(folder: Path | None, since: float) -> Path | None:
    """``folder`` if the notebook recorded into it during this run (it was changed since
    ``since``, a ``time.time()``), else ``None``: a notebook given recordings to read leaves
    ``record_dir`` untouched."""
    try:
        changed = folder is not None and folder.stat().st_mtime >= since - 1.0
    except OSError:
        return None
    return folder if changed else None


def _relative(path: Path, out: Path) -> str:
    """``path`` relative to ``out`` when inside it (as the other artifacts are named), else
    absolute."""
    try:
        return str(path.relative_to(out.resolve()))
    except ValueError:
        return str(path)
