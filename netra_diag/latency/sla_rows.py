"""Which metric rows an SLA check looks at, said where the choice is not obvious.

* One measurement per attempt: ``tool_duration`` is timed by the client and reported by the
  server, two rows per tool call. Pooled, each call would count twice (the sample size, and so
  every interval and small-sample verdict, doubled) and the statistic would mix two clocks. A
  check without ``source`` takes the client's rows, what a user waits for, and says so.
* A ``where`` filter that matches nothing names the values it could have matched, rather than
  reporting that the phase has no measurements at all.
"""

from __future__ import annotations

import pandas as pd

from netra_diag.latency.sla import SlaCheck

__all__ = ["one_source", "where_note"]


def one_source(check: SlaCheck, df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """``df`` with the check's phase measured one way only, and a note ("" when nothing was
    left out)."""
    if check.source is not None or "source" in check.where or "source" not in df.columns:
        return df, ""  # the check chose its source itself
    mine = df["phase"] == check.phase
    sources = sorted(set(df.loc[mine, "source"].dropna().astype(str)))
    if len(sources) <= 1:
        return df, ""
    keep = "client" if "client" in sources else sources[0]
    other = [s for s in sources if s != keep]
    dropped = mine & (df["source"].astype(str) != keep)
    kept = int(mine.sum() - dropped.sum())
    note = (
        f"{check.phase} is measured by both {' and '.join(sources)}: the {keep}'s "
        f"{kept} {'value' if kept == 1 else 'values'} checked, not both "
        f"(source = {other[0]!r} checks the other)"
    )
    return df[~dropped], note


def where_note(check: SlaCheck, df: pd.DataFrame) -> str:
    """Why the check's ``where`` leaves none of its phase's rows ("" when it is not that)."""
    rows = df[df["phase"] == check.phase]
    if rows.empty:
        return ""
    for column, wanted in check.where.items():
        if column not in rows.columns:
            return f"where {column} = {wanted!r}: the metrics have no column {column!r}"
        match = rows[column].astype(str) == wanted
        if not match.any():
            seen = sorted(set(rows[column].dropna().astype(str)))
            shown = ", ".join(repr(s) for s in seen[:8]) + (" …" if len(seen) > 8 else "")
            return (
                f"no {check.phase} measurements with {column} = {wanted!r} "
                f"({column} in the data: {shown or 'none'})"
            )
        rows = rows[match]
    return ""
