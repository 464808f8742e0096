"""Which notebook a report runs, and what its ``parameters`` cell takes.

:func:`find_notebook` takes a path or a bare name looked up in :func:`notebooks_dir`;
:func:`notebook_parameters` reads the ``parameters`` cell (``papermill.inspect_notebook``);
:func:`coerce_parameters` turns ``-p KEY VALUE`` strings into the type of each declared default
and refuses a name the notebook does not declare.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netra_diag.errors import UsageError
from netra_diag.redaction import scrub
from netra_diag.report.parameters import REPORT_SET

__all__ = ["coerce_parameters", "find_notebook", "notebook_parameters", "notebooks_dir"]


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


def _is_file(path: Path) -> bool:
    # A name too long for the file system (a token pasted in its place) is no file either.
    try:
        return path.is_file()
    except OSError:
        return False


def find_notebook(name: str | os.PathLike[str]) -> Path:
    """A notebook by path, or by name in :func:`notebooks_dir` (``.ipynb`` optional)."""
    path = Path(name)
    if path.suffix == ".ipynb" and _is_file(path):
        return path
    folder = notebooks_dir()
    if folder is not None:
        candidate = folder / (path.name if path.suffix == ".ipynb" else f"{path.name}.ipynb")
        if _is_file(candidate):
            return candidate
    known = sorted(p.stem for p in folder.glob("*.ipynb")) if folder else []
    hint = f"; notebooks in {folder}: {', '.join(known)}" if known else ""
    raise UsageError(f"no notebook {scrub(str(name))!r}{hint}")


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
            shown = scrub(str(key))  # a token pasted as the key is not printed whole
            raise UsageError(f"{where} has no parameter {shown!r}; its parameters: {valid}")
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
