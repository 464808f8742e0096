"""What a report leaves in its output folder, and where.

``out_dir`` (:data:`DEFAULT_OUT_DIR` unless told) is created with a ``.gitignore`` of ``*``
(:func:`prepare_out_dir`). Each file goes through :func:`write_checked`, which refuses to write
text that still holds a secret. The executed notebook is tidied first
(:func:`tidy_executed_notebook`).

A notebook with a ``record_dir`` parameter records what it needs into ``out_dir/recordings``
(:data:`RECORDINGS_DIR`: ``investigation_report``, as ``netra-diag demo`` keeps them) or
``out_dir/recordings-NAME`` (any other notebook, so that reports sharing an ``out_dir`` never
replace each other's recordings; :func:`recordings_folder_name`) unless told otherwise, never into
a hidden temporary folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from netra_diag.errors import NotebookError, UsageError
from netra_diag.redaction import scrub
from netra_diag.report.outcome import CHECKS_FAILED, INPUT_ERRORS
from netra_diag.report.safety import find_leaks

__all__ = [
    "DEFAULT_OUT_DIR",
    "MAX_REPORT_BYTES",
    "RECORDINGS_DIR",
    "check_targets",
    "prepare_out_dir",
    "recorded_since",
    "recordings_folder_name",
    "refuse_secret_in_out",
    "relative_to_out",
    "tidy_executed_notebook",
    "write_checked",
]

DEFAULT_OUT_DIR = "netra-report"
# An executed report (notebook or HTML page) above this size is flagged in the summary.
MAX_REPORT_BYTES = 2 * 1024 * 1024
# Where a notebook's own recordings go, inside out_dir (as `netra-diag demo` keeps them).
RECORDINGS_DIR = "recordings"
# An --out not yet made that ends so names one of the files, not the folder they go into.
_FILE_SUFFIXES = (".html", ".htm", ".ipynb", ".json")


def prepare_out_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` for report output; a folder created here gets a ``.gitignore`` of ``*``
    (reports are build output: nothing in them belongs in version control)."""
    out = Path(path)
    try:
        exists, is_dir = out.exists(), out.is_dir()
    except OSError as exc:  # a name too long (a token pasted in its place), ...
        shown = scrub(str(out))
        raise UsageError(f"--out {shown}: cannot use it: {exc.strerror or exc}") from None
    if exists and not is_dir:
        raise UsageError(f"--out {out} is not a directory")
    if not exists and out.suffix.lower() in _FILE_SUFFIXES:
        # `--out report.html` made a folder of that name with the report inside it.
        raise UsageError(
            f"--out {scrub(str(out))} names a file; --out is the folder the report's files go "
            f"into (NAME.ipynb, NAME.html, NAME.json): e.g. --out {scrub(str(out.with_suffix('')))}"
        )
    if not exists:
        try:
            out.mkdir(parents=True)
            (out / ".gitignore").write_text("*\n", encoding="utf-8")
        except OSError as exc:
            shown = scrub(str(out))
            raise UsageError(f"--out {shown}: cannot create it: {exc.strerror or exc}") from None
    try:
        # Found out now, not after a run of many minutes whose report then cannot be written.
        fd, probe = tempfile.mkstemp(prefix=".netra-write-check-", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write into it: {exc.strerror or exc}") from None
    return out


def refuse_secret_in_out(out: str | os.PathLike[str], secrets: Iterable[str]) -> None:
    """Raise :class:`~netra_diag.errors.UsageError` when ``out`` holds a secret's value: every
    path written there would print it, and no file could be written (the scrub check)."""
    for secret in secrets:
        if secret and secret in os.fspath(out):
            raise UsageError(
                f"--out {scrub(os.fspath(out), [secret])} holds the value of a secret variable; "
                "choose another folder"
            )


def check_targets(out: Path, paths: Iterable[Path]) -> None:
    """Raise :class:`~netra_diag.errors.UsageError` when one of the report's files in ``out``
    cannot be replaced (a folder of that name is in its place), before anything runs."""
    for path in paths:
        if path.is_dir():
            raise UsageError(
                f"--out {out}: {path.name} is a folder, where the report writes a file of that "
                "name; remove it or choose another folder"
            )


def write_checked(path: Path, text: str, secrets: tuple[str, ...]) -> int:
    """Write ``text`` to ``path`` and return its size in bytes; raise
    :class:`~netra_diag.errors.NotebookError` instead when a secret survived scrubbing."""
    leaks = find_leaks(text, secrets)
    if leaks:
        # Fail closed: a report that still holds a secret after scrubbing is not written at all.
        raise NotebookError(str(path), f"refusing to write: {', '.join(leaks[:3])} survived scrub")
    data = text.encode("utf-8")
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise NotebookError(str(path), f"cannot write it: {exc.strerror or exc}") from None
    return len(data)


def tidy_executed_notebook(executed: Any, nb_path: Path) -> None:
    """Make the executed notebook (an ``nbformat`` node, changed in place) what a reader of the
    report at ``nb_path`` should see."""
    # Widget state would make the page load the widget manager from a CDN; the static views
    # that panels put beside their widget output are what a saved report shows.
    executed.metadata.pop("widgets", None)
    if _first_error(executed) == CHECKS_FAILED:
        # The last cell raised as asked (-p raise_on_failed_checks): the page's verdict says
        # which checks failed; papermill's red "An Exception was encountered" heading would read
        # as a notebook that broke.
        executed.cells = [
            c for c in executed.cells if PAPERMILL_ERROR_TAG not in c.metadata.get("tags", ())
        ]
    meta = executed.metadata.get("papermill", {})
    if isinstance(meta, dict):
        meta["output_path"] = str(nb_path)
        meta.get("parameters", {}).pop("summary_path", None)
        _drop_timings(meta)
    for cell in executed.cells:
        cell_meta = cell.get("metadata", {})
        # When each cell ran (and for how long) differs on every run: a report re-run on the same
        # input, committed or shared in a pull request, would show a diff in every cell. The
        # JSON summary keeps the run's duration.
        cell_meta.pop("execution", None)
        _drop_timings(cell_meta.get("papermill"))
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "error" and output.get("ename") in _ONE_LINE:
                # The notebook refused its input (exit 2), or said which checks failed: the
                # error's own words say it; the library's frames under it are no help to the
                # reader.
                output["traceback"] = [f"{output['ename']}: {output.get('evalue', '')}"]
            data = output.get("data")
            # A widget's view names a model by a random id, and its state is gone (above):
            # its static view, beside it, is what the report shows.
            if isinstance(data, dict) and WIDGET_VIEW in data and len(data) > 1:
                del data[WIDGET_VIEW]
        if "injected-parameters" in cell_meta.get("tags", ()):
            # papermill gives the cell it adds a random id; the same run must give the same file
            cell["id"] = "injected-parameters"
            # The temporary file the notebook's summary went through is gone: not a parameter
            # a reader of the report can use or should look for.
            lines = str(cell.get("source", "")).splitlines()
            cell["source"] = "\n".join(x for x in lines if not x.startswith("summary_path = "))


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The cells papermill adds around the cell that raised (``papermill.execute.ERROR_MARKER_TAG``).
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
_ONE_LINE = INPUT_ERRORS | {CHECKS_FAILED}


def _first_error(executed: Any) -> str | None:
    """The name of the first error a cell of ``executed`` raised (papermill stops there)."""
    for cell in executed.cells:
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "error":
                return str(output.get("ename"))
    return None


def _drop_timings(meta: Any) -> None:
    """Remove papermill's clock readings (``start_time``, ``end_time``, ``duration``) from a
    notebook's or a cell's ``papermill`` metadata; its ``status`` and ``exception`` stay."""
    if isinstance(meta, dict):
        for key in ("start_time", "end_time", "duration"):
            meta.pop(key, None)


def recordings_folder_name(name: str) -> str:
    """The folder in ``out_dir`` where notebook ``name`` records by default (see the module
    docstring): a collection replaces the previous one in its folder, and must not replace
    another report's (both default to ``./netra-report``)."""
    return RECORDINGS_DIR if name == "investigation_report" else f"{RECORDINGS_DIR}-{name}"


def recorded_since(folder: Path | None, since: float) -> Path | None:
    """``folder`` if the notebook recorded into it during this run (it was changed since
    ``since``, a ``time.time()``), else ``None``: a notebook given recordings to read leaves
    ``record_dir`` untouched."""
    try:
        changed = folder is not None and folder.stat().st_mtime >= since - 1.0
    except OSError:
        return None
    return folder if changed else None


def relative_to_out(path: Path, out: Path) -> str:
    """``path`` relative to ``out`` when inside it (as the other artifacts are named), else
    absolute."""
    try:
        return str(path.relative_to(out.resolve()))
    except ValueError:
        return str(path)
