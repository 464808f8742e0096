"""Path parameters, checked before a notebook runs.

A notebook runs with the report's output folder as its working directory, so a relative path
given on the command line would be looked up in the wrong place, and a missing file would only
surface as an error inside some cell. :func:`check_path_parameters` resolves every path a
notebook's path parameters name against the caller's working directory and refuses a missing
one, naming the parameter (``parameter results: /nonexistent/junit.xml: no such file``).

Path parameters are known by name, the same in every notebook: ``results`` and ``baseline``
(comma-separated result files; ``results`` may be ``none``), ``recordings`` (a folder of
cassettes, or comma-separated cassettes), ``history`` (a folder of earlier runs), ``sla`` (a
bundled SLA name, or a TOML file);
``record_dir``, the folder a notebook records into, may be missing but must not be a file.

A notebook run by papermill itself gets each ``-p`` value as papermill reads it (``42`` an int,
``false`` the text "false", ``True`` a bool), not converted to its default's type as
``netra-diag report`` converts them: :func:`text_parameter`, :func:`number_parameter` and
:func:`flag_parameter` read such a value as the notebook means it, or refuse it naming the
parameter.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from netra_diag.errors import UsageError

__all__ = [
    "PATH_PARAMETERS",
    "REPORT_SET",
    "check_path_parameters",
    "flag_parameter",
    "number_parameter",
    "refuse_report_set",
    "require_paths",
    "text_parameter",
]

PATH_PARAMETERS = ("results", "baseline", "recordings", "history", "sla")
_FOLDERS = ("recordings", "history")  # may name a folder
# Set by the report command itself; a value given for them would be silently overridden.
REPORT_SET = ("summary_path",)
_KEYWORDS = {"results": {"none"}}


def refuse_report_set(parameters: Mapping[str, Any]) -> None:
    """Refuse a parameter that ``netra-diag report`` sets itself (``summary_path``)."""
    for name in REPORT_SET:
        if name in parameters:
            raise UsageError(
                f"parameter {name} is set by netra-diag report (the JSON summary goes into "
                "--out as NAME.json); leave it out"
            )


def _is_builtin_sla(value: str) -> bool:
    from netra_diag.latency.sla import BUILTIN_SLAS

    return value in BUILTIN_SLAS and not Path(value).exists()


def _require_cassettes(folder: Path) -> None:
    from netra_diag.errors import RecordingError
    from netra_diag.recording import find_cassettes

    try:
        find_cassettes(folder)
    except RecordingError as exc:
        raise UsageError(f"parameter recordings: {exc}") from None


def _require_sla(path: Path) -> None:
    """Read the SLA file now: a notebook reads it only after recording a fan-out, a minute of
    work lost to a typo in the file."""
    from netra_diag.latency import load_sla

    try:
        load_sla(path)
    except UsageError as exc:  # ConfigFileError, which names the file and line
        raise UsageError(f"parameter sla: {exc}") from None


def check_path_parameters(
    parameters: Mapping[str, Any], declared: Mapping[str, Any], *, cwd: str | None = None
) -> dict[str, Any]:
    """``parameters`` with each path of a path parameter made absolute (from ``cwd``, default
    the current directory); raises :class:`UsageError` naming the parameter for a path that does
    not exist, or a ``recordings`` folder without cassettes."""
    base = Path(cwd or os.getcwd())
    out = dict(parameters)
    for name in PATH_PARAMETERS:
        value = out.get(name)
        if name not in declared or not isinstance(value, str) or not value.strip():
            continue
        help_text = str((declared.get(name) or {}).get("help", ""))
        if value.strip() in _KEYWORDS.get(name, ()) and f'"{value.strip()}"' in help_text:
            continue  # a keyword the notebook's parameter documents (results "none")
        if name == "sla" and _is_builtin_sla(value.strip()):
            continue
        resolved = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            path = Path(part).expanduser()
            path = path if path.is_absolute() else base / path
            if not path.exists():
                what = "no such file or directory" if name in _FOLDERS else "no such file"
                raise UsageError(f"parameter {name}: {part}: {what}")
            if name == "history" and not path.is_dir():
                raise UsageError(
                    f"parameter history: {part}: not a directory (expected a folder of earlier "
                    "runs, one results file or shard folder each)"
                )
            if name == "recordings" and path.is_dir():
                _require_cassettes(path)
            if name == "sla":
                _require_sla(path)
            resolved.append(str(path))
        out[name] = ",".join(resolved)
    folder = out.get("record_dir")
    if "record_dir" in declared and isinstance(folder, str) and folder.strip():
        path = Path(folder.strip()).expanduser()
        path = path if path.is_absolute() else base / path
        if path.exists() and not path.is_dir():
            raise UsageError(f"parameter record_dir: {folder}: not a directory")
        out["record_dir"] = str(path)
    return out


def require_paths(name: str, paths: Iterable[str | os.PathLike[str]] | None) -> None:
    """Refuse a path of parameter ``name`` that does not exist (:class:`UsageError` naming the
    parameter). For a notebook run by papermill itself, before its long step: ``netra-diag
    report`` checks path parameters before the run (:func:`check_path_parameters`), but on its
    own a notebook found a missing results file only after recording a fan-out."""
    for path in paths or ():
        if not Path(path).expanduser().exists():
            raise UsageError(f"parameter {name}: {os.fspath(path)}: no such file or directory")


def text_parameter(name: str, value: Any, *, numbers: bool = False) -> str:
    """A text parameter of a notebook run by papermill itself, where ``-p results 5`` arrives as
    an int and ``-y 'results: [a.xml, b.xml]'`` as a list (``netra-diag report`` converts every
    value to its default's type): a list or tuple of texts or paths is joined with commas, a
    path is its text, anything else is refused (:class:`UsageError` naming the parameter)
    rather than failing later in some cell as "'int' object has no attribute 'split'".

    With ``numbers`` (a user id, a TTL, a message: not a path), a number is the text that was
    typed: papermill reads ``-p sub 42`` as the int 42 (``-r sub 007`` keeps the digits as
    given)."""
    if isinstance(value, str):
        return value
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, os.PathLike):
        return str(os.fspath(value))
    if isinstance(value, list | tuple) and all(isinstance(v, str | os.PathLike) for v in value):
        return ",".join(str(os.fspath(v)) for v in value)
    from netra_diag.redaction import scrub

    wanted = "text" if numbers else "text (paths, comma-separated)"
    shown = scrub(repr(value))  # a token pasted in its place is not printed whole
    raise UsageError(f"parameter {name}: expected {wanted}, got {type(value).__name__} {shown}")


def number_parameter(name: str, value: Any, *, whole: bool = False) -> int | float:
    """A number parameter of a notebook run by papermill itself, where ``-p users ten`` arrives
    as the text ``"ten"`` (and failed deep in the library as "'<' not supported between
    instances of 'str' and 'int'"): an int, a float, or a text that reads as one is returned as
    an int (``whole``) or a float; anything else is refused (:class:`UsageError` naming the
    parameter). Ranges are the library's to check."""
    from netra_diag.redaction import scrub

    wanted = "a whole number" if whole else "a number"
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or (whole and not float(number).is_integer()):
        shown = scrub(repr(value))
        raise UsageError(f"parameter {name}: expected {wanted}, got {type(value).__name__} {shown}")
    return int(number) if whole else float(number)


_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0", "")


def flag_parameter(name: str, value: Any) -> bool:
    """A true/false parameter of a notebook run by papermill itself, where ``-p NAME True``
    arrives as a bool but ``-p NAME false`` as the text ``"false"`` (which Python reads as
    true) and ``-p NAME 0`` as an int: a bool, 0 or 1, or a text true/false/yes/no/1/0 (any
    case) is its truth; anything else is refused (:class:`UsageError` naming the parameter)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    from netra_diag.redaction import scrub

    shown = scrub(repr(value))  # a token pasted in its place is not printed whole
    raise UsageError(
        f"parameter {name}: expected true or false, got {type(value).__name__} {shown}"
    )
