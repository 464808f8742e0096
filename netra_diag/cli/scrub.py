"""``netra-diag scrub FILE... [--check]``: keep tokens and secrets out of notebooks and cassettes.

Notebooks (``.ipynb``): every output that contains a JWT (or a base64url-wrapped one) or the value
of a secret environment variable is removed; a token or secret in a cell's source or metadata is
replaced by its fingerprint. ``--strip-outputs`` removes all outputs (notebooks are committed
without them), ``--clear-counts`` the execution counts.

Cassettes (``.jsonl``, docs/cassette-format.md): every token, secret value, ticket in a URL and
value of a secret-named key (``api_key=…``, ``Bearer …``) on any line, damaged lines included, is
replaced by its fingerprint (or ``<secret>``); every other line is kept as it is. A recorder
scrubs what it knows as it writes; this catches what it did not know.

A directory means every notebook and cassette below it. ``--check`` changes nothing and exits 1
when a file would change: that is the pre-commit hook (``.pre-commit-hooks.yaml``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.wording import plural

__all__ = ["ScrubResult", "register", "run", "scrub_file"]

EPILOG = """\
exit codes:
  0  nothing to change (or, without --check, files were cleaned)
  1  --check: at least one file would change (nothing was written)
  2  a file is missing, not a notebook or cassette, or a directory holds neither (the others
     are still checked)

examples:
  netra-diag scrub notebooks/*.ipynb --strip-outputs
  netra-diag scrub --check notebooks/live_session.ipynb   # as a pre-commit hook does
  netra-diag scrub --check cassettes/                     # before sharing recordings in a PR
"""


@dataclass
class ScrubResult:
    """What scrubbing one notebook did (or would do, in check mode)."""

    path: Path
    removed_outputs: list[int] = field(default_factory=list)  # cell numbers, 1-based
    scrubbed_cells: list[int] = field(default_factory=list)  # 1-based, as removed_outputs
    scrubbed_metadata: bool = False  # the notebook's own metadata (papermill parameters)
    stripped_outputs: int = 0
    cleared_counts: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.removed_outputs
            or self.scrubbed_cells
            or self.scrubbed_metadata
            or self.stripped_outputs
            or self.cleared_counts
        )

    def describe(self) -> str:
        parts = []
        if self.removed_outputs:
            cells = ", ".join(str(c) for c in sorted(set(self.removed_outputs)))
            parts.append(
                f"{plural(len(self.removed_outputs), 'output')} holding a token or secret "
                f"({'cell' if len(set(self.removed_outputs)) == 1 else 'cells'} {cells})"
            )
        if self.scrubbed_cells:
            cells = ", ".join(str(c) for c in self.scrubbed_cells)
            noun = "cell" if len(self.scrubbed_cells) == 1 else "cells"
            parts.append(f"token or secret in source/metadata of {noun} {cells}")
        if self.scrubbed_metadata:
            parts.append("token or secret in the notebook's metadata")
        if self.stripped_outputs:
            parts.append(f"{plural(self.stripped_outputs, 'output')} stripped")
        if self.cleared_counts:
            parts.append(f"{plural(self.cleared_counts, 'execution count')} cleared")
        return "; ".join(parts) or "clean"


def _dump(node: Any) -> str:
    return json.dumps(node, sort_keys=True, ensure_ascii=False)


def scrub_file(
    path: Path,
    secrets: Sequence[str],
    *,
    check: bool = False,
    strip_outputs: bool = False,
    clear_counts: bool = False,
) -> ScrubResult:
    """Scrub one notebook file in place (unless ``check``); raise ``UsageError`` if unreadable."""
    import nbformat

    from netra_diag.errors import UsageError
    from netra_diag.report.safety import find_leaks, scrub_text

    try:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable notebook: {exc}") from exc
    if not isinstance(nb.get("cells"), list):
        raise UsageError(f"{path}: not a notebook (no 'cells' list)")

    result = ScrubResult(path)
    for number, cell in enumerate(nb.cells, start=1):
        outputs = cell.get("outputs")
        if isinstance(outputs, list):
            kept = []
            for output in outputs:
                if strip_outputs:
                    result.stripped_outputs += 1
                elif find_leaks(_dump(output), secrets):
                    result.removed_outputs.append(number)
                else:
                    kept.append(output)
            cell["outputs"] = kept
        if (strip_outputs or clear_counts) and cell.get("execution_count") is not None:
            cell["execution_count"] = None
            result.cleared_counts += 1
        before = _dump({"source": cell.get("source"), "metadata": cell.get("metadata")})
        if find_leaks(before, secrets):
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            cell["source"] = scrub_text(str(source), secrets)
            cell["metadata"] = json.loads(scrub_text(_dump(cell.get("metadata", {})), secrets))
            result.scrubbed_cells.append(number)
    meta_text = _dump(nb.get("metadata", {}))
    if find_leaks(meta_text, secrets):
        nb["metadata"] = json.loads(scrub_text(meta_text, secrets))
        result.scrubbed_metadata = True
    if result.changed and not check:
        tmp = path.with_name(f".{path.name}.scrub-tmp")
        nbformat.write(nb, str(tmp))  # type: ignore[no-untyped-call]
        os.replace(tmp, path)
    return result


def _expand(path: Path) -> list[Path]:
    """A file as given; a directory as its notebooks and cassettes (hidden ones, such as
    ``.ipynb_checkpoints`` and reserved cassettes, left out)."""
    from netra_diag.errors import UsageError

    if not path.is_dir():
        return [path]
    found = sorted(
        p
        for p in path.rglob("*")
        if p.suffix in (".ipynb", ".jsonl")
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not found:
        raise UsageError(f"{path}: no notebooks (*.ipynb) or cassettes (*.jsonl) found")
    return found


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scrub",
        help="remove tokens and secrets from notebooks and cassettes (pre-commit hook)",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="notebooks (.ipynb) and cassettes (.jsonl) to scrub, or directories holding them",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a file would change (for pre-commit and CI)",
    )
    parser.add_argument(
        "--strip-outputs",
        action="store_true",
        help="notebooks: remove every output and execution count (commit notebooks without "
        "outputs)",
    )
    parser.add_argument(
        "--clear-counts", action="store_true", help="notebooks: also clear execution counts"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from netra_diag.cli.scrub_cassette import CassetteScrub, scrub_cassette
    from netra_diag.errors import RecordingError, UsageError
    from netra_diag.report.safety import secret_values

    secrets = secret_values(os.environ)
    would_change = False
    failed = 0
    status = ExitCode.OK
    paths: list[Path] = []
    empty_dirs = 0
    for name in args.files:
        try:
            paths.extend(_expand(Path(name)))
        except UsageError as exc:
            print(f"netra-diag scrub: error: {exc}", file=sys.stderr)
            status = ExitCode.USAGE
            failed += 1
            empty_dirs += 1
    for path in paths:
        result: ScrubResult | CassetteScrub
        try:
            if path.suffix == ".jsonl":
                result = scrub_cassette(path, secrets, check=args.check)
            else:
                result = scrub_file(
                    path,
                    secrets,
                    check=args.check,
                    strip_outputs=args.strip_outputs,
                    clear_counts=args.clear_counts,
                )
        except (UsageError, RecordingError) as exc:
            print(f"netra-diag scrub: error: {exc}", file=sys.stderr)
            status = ExitCode.USAGE
            failed += 1
            continue
        if result.changed:
            would_change = True
            verb = "would change" if args.check else "cleaned"
            print(f"{path}: {verb}: {result.describe()}")
    if status is not ExitCode.OK:
        # Every other file was still checked: say so, so a missing one does not hide them.
        total = len(paths) + empty_dirs
        checked = total - failed
        print(
            f"netra-diag scrub: {checked} of {total} files checked"
            + ("; some would change (see above)" if would_change else "")
            + f"; {failed} missing or unreadable",
            file=sys.stderr,
        )
        return int(status)
    return int(ExitCode.FAILURE if args.check and would_change else ExitCode.OK)
