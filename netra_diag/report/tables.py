"""Tables as a reader of a report sees them: no pandas index, readable cells, a sentence when empty.

A DataFrame displayed as is shows its index (0, 1, 2 …), floats to six places (``15.678723``),
``True``/``False``, and Python reprs of dicts and lists (``{'Authorization': 'Bearer …'}``); an
empty one shows column headers and nothing else. :func:`format_table` renders each cell for a
person instead:

- numbers: integers as they are; other values to one decimal, below 1 to three places
  (``0.097``), below 0.001 as ``<0.001``; a value that is 0 as ``0``;
- ``True``/``False`` as ``yes``/``no``; missing values (``None``, NaN) as an empty cell;
- a mapping as ``Name: value`` lines (HTTP headers); a list or tuple as ``a, b, c``;
- column headers (and the names of a mapping's entries) with units in words: ``p95_ms`` →
  ``p95 (ms)``, ``elapsed_s`` → ``elapsed (s)``, ``run_id`` → ``run id``, ``observed_text`` →
  ``observed``.

Every cell is scrubbed of tokens (:func:`netra_diag.redaction.scrub`) and HTML-escaped. Text
reads from the left and numbers line up on the right: JupyterLab right-aligns every table cell,
which made columns of messages ragged on the left, hard to read.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netra_diag.redaction import scrub

__all__ = ["Table", "format_cell", "format_label", "format_number", "format_table"]

_UNIT_SUFFIXES = (("_per_s", " (/s)"), ("_ms", " (ms)"), ("_s", " (s)"), ("_text", ""))


def format_number(value: Any) -> str:
    """A measurement as a reader wants it: one decimal, three places below 1 (see module)."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    number = float(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if number == 0:
        return "0"
    if abs(number) < 0.001:
        return "<0.001" if number > 0 else ">-0.001"
    if abs(number) < 1:
        return f"{number:.3f}"
    return f"{number:.1f}"


def format_cell(value: Any) -> str:
    """One cell as text (lines separated by ``\\n``); see the module docstring."""
    import numpy as np

    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(f"{name}: {format_cell(item)}" for name, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(format_cell(item) for item in value)
    if isinstance(value, numbers.Number):
        return format_number(value)
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def format_label(name: Any) -> str:
    """A column name as a header: units in words, underscores as spaces."""
    text = str(name)
    for suffix, unit in _UNIT_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)] + unit
            break
    return text.replace("_", " ")


# Alignment without touching the cells' markup: text to the left, and the columns a table names
# in its classes (``netra-num-3``: the third column is numbers) to the right. The class twice:
# more specific than JupyterLab's ":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td"
# (right-aligned), wherever the table is shown.
_LEFT = "table.netra-table.netra-table th,table.netra-table.netra-table td{text-align:left}"


def _align_css(numeric: Sequence[int]) -> str:
    right = ",".join(
        f"table.netra-num-{n}.netra-num-{n} td:nth-child({n}),"
        f"table.netra-num-{n}.netra-num-{n} th:nth-child({n})"
        for n in numeric
    )
    return (
        f"<style>{_LEFT}{right}{{text-align:right}}</style>" if right else f"<style>{_LEFT}</style>"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _numeric_columns(
    records: Sequence[Mapping[str, Any]], chosen: Sequence[str]
) -> tuple[int, ...]:
    """The 1-based positions of the columns whose values are all numbers (missing ones aside)."""
    out = []
    for n, column in enumerate(chosen, 1):
        values = [r.get(column) for r in records]
        present = [v for v in values if v is not None]  # (NaN is a float: a number)
        if present and all(map(_is_number, present)):
            out.append(n)
    return tuple(out)


def _cell_html(text: str) -> str:
    return "<br>".join(html.escape(scrub(line)) for line in text.split("\n"))


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of formatted cells under headers; or, with no rows, the sentence ``empty``.

    Displays as HTML in a notebook (``_repr_html_``) and as aligned text elsewhere (``repr``).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    empty: str = "no rows"
    caption: str = ""
    numeric: tuple[int, ...] = ()  # 1-based positions of the columns of numbers

    def _repr_html_(self) -> str:
        caption = f"<p>{_cell_html(self.caption)}</p>" if self.caption else ""
        if not self.rows:
            return f'{caption}<p class="netra-empty">{_cell_html(self.empty)}</p>'
        head = "".join(f"<th>{_cell_html(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell_html(cell)}</td>" for cell in row) + "</tr>"
            for row in self.rows
        )
        classes = " ".join(["netra-table", *(f"netra-num-{n}" for n in self.numeric)])
        return (
            f'{_align_css(self.numeric)}{caption}<table class="{classes}">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def text(self) -> str:
        """The table as aligned plain text (multi-line cells joined with ``; ``)."""
        lines = [self.caption] if self.caption else []
        if not self.rows:
            return "\n".join([*lines, self.empty])
        cells = [list(self.columns)] + [[c.replace("\n", "; ") for c in row] for row in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in cells
        ]
        return scrub("\n".join(lines))

    def __repr__(self) -> str:
        return self.text()


def format_table(
    data: Any,
    columns: Sequence[str] | None = None,
    *,
    empty: str = "no rows",
    labels: Mapping[str, str] | None = None,
    caption: str = "",
) -> Table:
    """``data`` as a :class:`Table`: a DataFrame, a Series or mapping (one ``name``/``value``
    row per entry, the name written as a header would be), or an iterable of dicts.
    ``columns`` picks and orders them (missing ones are left out); ``labels`` overrides
    headers; ``empty`` is the sentence shown instead of a table with no rows ("no findings:
    every contract held"); ``caption`` is a line above either."""
    records, found = _records(data)
    chosen = [c for c in columns if c in found] if columns is not None else found
    names = dict(labels or {})
    return Table(
        columns=tuple(names.get(c, format_label(c)) for c in chosen),
        rows=tuple(tuple(format_cell(record.get(c)) for c in chosen) for record in records),
        empty=empty,
        caption=caption,
        numeric=_numeric_columns(records, chosen),
    )


def _records(data: Any) -> tuple[list[dict[str, Any]], list[str]]:
    import pandas as pd

    if isinstance(data, pd.Series):
        data = {str(k): v for k, v in data.items()}
    if isinstance(data, Mapping):
        rows = [{"name": format_label(k), "value": v} for k, v in data.items()]
        return rows, ["name", "value"]
    if isinstance(data, pd.DataFrame):
        found = [str(c) for c in data.columns]
        rows = [dict(zip(found, row, strict=True)) for row in data.itertuples(index=False)]
        return rows, found
    rows = [dict(r) for r in _iterable(data)]
    found = list(dict.fromkeys(k for r in rows for k in r))
    return rows, found


def _iterable(data: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise TypeError(f"format_table: expected a DataFrame, mapping or rows, not {data!r:.60}")
    return data
