"""What every panel shares: a static view for when no widget frontend is attached.

A panel is an ``ipywidgets.VBox`` whose display bundle carries, besides the widget view, a
``text/html`` snapshot of its current state (``static_html``). JupyterLab draws the live widget;
a report exported without widget state (papermill, nbconvert) shows the snapshot instead, with
figures drawn by the report's plotly.js. ``text/plain`` is a fixed label: ipywidgets' default repr
lists every child's value, which for a token field would print the token.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from netra_diag.redaction import scrub
from netra_diag.report.figures import figure_placeholder, figure_spec

__all__ = ["Panel", "escape", "figure_html", "html_table", "in_kernel", "pre"]


def in_kernel() -> bool:
    """Whether an IPython kernel is running (outputs can reach a notebook)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def escape(value: Any) -> str:
    """``value`` as HTML text, with any token in it shown as its fingerprint: panels show text
    from outside (a failure's traceback, a server's close reason) that may quote one."""
    return html.escape(scrub("" if value is None else str(value)))


def pre(text: str) -> str:
    """Preformatted text (explanations keep their line layout)."""
    return f'<pre style="white-space:pre-wrap;margin:0">{escape(text)}</pre>'


def html_table(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, css_class: str = "netra-table"
) -> str:
    """A plain HTML table of ``rows`` (dicts) in ``columns`` order; every cell escaped."""
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(row.get(c, ''))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def figure_html(figure: Any) -> str:
    """A figure for the static view (drawn by the report page's plotly.js)."""
    if figure is None:
        return ""
    return figure_placeholder(figure_spec(figure))


class Panel(widgets.VBox):  # type: ignore[misc]
    """Base of every netra_diag panel: a ``VBox`` with a static fallback view."""

    title = "netra_diag panel"
    _display: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # For styling and for finding a panel in the page: netra-panel, netra-token-lab, ...
        self.add_class("netra-panel")
        self.add_class("netra-" + "-".join(self.title.lower().split()))

    def show(self) -> None:
        """Display the panel so that its static view can be refreshed later (see
        :meth:`refresh_display`); a report then shows the panel's final state, not its first."""
        from IPython.display import display

        self._display = display(self, display_id=True)

    def refresh_display(self) -> None:
        """Re-send the display shown by :meth:`show` (the live widget is unchanged; the static
        view now holds the current state). Does nothing if the panel was not shown that way."""
        if self._display is not None and in_kernel():
            self._display.update(self)

    def static_html(self) -> str:
        """HTML snapshot of the panel's current state; panels override this."""
        return ""

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle: dict[str, Any] | None = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        bundle["text/plain"] = f"{type(self).__name__}: {self.title} (interactive in JupyterLab)"
        body = self.static_html()
        bundle["text/html"] = (
            f'<div class="netra-static"><p><b>{escape(self.title)}</b> '
            "<i>(static view: the interactive panel needs a live kernel)</i></p>"
            f"{body}</div>"
        )
        return bundle

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.title}>"
