"""What ``jest --json`` says of a run beyond its tests: jest fails a run whose snapshots are
obsolete (a snapshot no test checked any more, a snapshot file of no test file) unless run with
``-u``, with ``success: false`` and ``snapshot.failure``, every test passing (``@jest/core``:
``snapshot.failure = !updateAll && (unchecked || unmatched || filesRemoved)``, ``success =
!(test failures || snapshot.failure || reporter errors)``). No test says so: a warning does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netra_diag.wording import plural

__all__ = ["run_warnings"]

_SHOWN = 3  # obsolete snapshots named


def run_warnings(data: Mapping[str, Any], path: str, failing: bool) -> list[str]:
    """Warnings where jest failed the run for what no test records. ``failing``: whether a test
    failed or a file did not load (jest's word is then no news)."""
    if data.get("success") is not False:
        return []
    snapshot = data.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    obsolete = _count(snapshot.get("unchecked"))
    files = _count(snapshot.get("filesRemoved"))
    if snapshot.get("failure") is True and (obsolete or files):
        said = ", ".join(
            part
            for part in (
                plural(obsolete, "obsolete snapshot") + _named(snapshot) if obsolete else "",
                plural(files, "obsolete snapshot file") if files else "",
            )
            if part
        )
        return [
            f"{path}: jest failed the run for its snapshots (success: false): {said}; jest exits "
            "1 for it, whatever its tests did, until they are removed (jest -u removes them, "
            "and rewrites every snapshot that no longer matches)"
        ]
    if failing:
        return []
    return [
        f"{path}: jest says the run did not succeed (success: false) though no test failed "
        "and every test file ran (a reporter's error?): jest exits 1"
    ]


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _named(snapshot: Mapping[str, Any]) -> str:
    """' ("old payload 1" in __tests__/snap.test.js, …)': the first few, where jest names them."""
    names: list[str] = []
    by_file = snapshot.get("uncheckedKeysByFile")
    for entry in by_file if isinstance(by_file, list) else ():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("keys"), list):
            continue
        where = entry.get("filePath")
        for key in entry["keys"]:
            if isinstance(key, str):
                names.append(f"'{key}'" + (f" in {where}" if isinstance(where, str) else ""))
    if not names:
        return ""
    more = f", {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return f" ({', '.join(names[:_SHOWN])}{more})"
