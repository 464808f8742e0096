"""Paths as a report's reader should see them: as the user gave them, not as the machine that ran
the report spelled them.

``netra-diag report`` makes every path parameter absolute before the notebook runs (the notebook
runs in the output folder), so a report made in CI showed ``/home/runner/work/app/app/junit.xml``
where the user wrote ``junit.xml``, and ``netra-diag triage junit.xml`` says ``junit.xml``: a
report shared in a pull request named the CI machine's folders, and differed from one checkout to
the next. :func:`shown_path_prefixes` lists the prefixes to take off (the working directory the
report was started from, and the installed package's folder, for its bundled example data);
:func:`shorten_paths` and :func:`shorten_notebook` take them off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["shorten_notebook", "shorten_paths", "shown_path_prefixes"]


def shown_path_prefixes(cwd: str | os.PathLike[str] | None = None) -> tuple[tuple[str, str], ...]:
    """``(prefix, replacement)`` pairs, most specific first: the installed package's folder
    (``.../site-packages/netra_diag/data/x`` is shown ``netra_diag/data/x``), a source
    checkout's ``notebooks/`` folder beside it, then ``cwd``
    (default: the current directory; a path under it is shown relative to it). A ``cwd`` of
    ``/`` is left alone: every absolute path is under it."""
    package = Path(__file__).resolve().parents[1]
    pairs = [(str(package) + os.sep, package.name + os.sep)]
    # A checkout's notebooks (what `netra-diag report NAME` runs there): notebooks/NAME.ipynb
    pairs.append((str(package.parent / "notebooks") + os.sep, "notebooks" + os.sep))
    base = Path(cwd or os.getcwd()).resolve()
    if len(base.parts) >= 2:
        pairs.append((str(base) + os.sep, ""))
    return tuple(pairs)


def shorten_paths(value: Any, prefixes: Sequence[tuple[str, str]]) -> Any:
    """``value`` with each prefix replaced: text is returned changed, lists and dicts (JSON-like,
    or ``nbformat`` nodes) are changed in place and returned."""
    if isinstance(value, str):
        for prefix, replacement in prefixes:
            value = value.replace(prefix, replacement)
        return value
    if isinstance(value, list):
        value[:] = [shorten_paths(v, prefixes) for v in value]
    elif isinstance(value, dict):
        for key in list(value):
            value[key] = shorten_paths(value[key], prefixes)
    return value


def shorten_notebook(executed: Any, prefixes: Sequence[tuple[str, str]]) -> None:
    """Shorten the paths of an executed notebook (an ``nbformat`` node, changed in place): cell
    sources and outputs, and papermill's record of its input and parameters."""
    meta = executed.metadata.get("papermill")
    if isinstance(meta, dict):
        for key in ("input_path", "parameters"):
            if key in meta:
                meta[key] = shorten_paths(meta[key], prefixes)
    for cell in executed.cells:
        cell["source"] = shorten_paths(cell.get("source", ""), prefixes)
        for output in cell.get("outputs", ()):
            shorten_paths(output, prefixes)
