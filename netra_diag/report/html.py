"""Export an executed notebook to one self-contained HTML file whose plotly figures really render.

nbconvert's ``lab`` template is used with everything that would reach the network removed
(require.js, MathJax, mermaid and the widget manager all come from CDNs by default). Each plotly
output becomes a placeholder (:func:`netra_diag.report.figures.figure_placeholder`) and one
loader script draws them all with a single embedded copy of plotly.js, stored gzip-compressed and
base64-encoded and inflated in the browser with ``DecompressionStream``: plotly.js is 4.8 MB as
shipped, which alone would break the 2 MB budget of a report. When every figure uses only
cartesian trace types the vendored cartesian bundle (1.5 MB, 0.5 MB compressed) is embedded;
otherwise the full bundle from the plotly package.

Widget outputs have no saved state in a report (it is stripped: it would pull the widget manager
from a CDN), so nbconvert falls back to each widget's ``text/html`` static view.
"""

from __future__ import annotations

import base64
import copy
import functools
import gzip
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from netra_diag.report.figures import FIGURE_CLASS, PLOTLY_MIME, figure_placeholder

__all__ = ["CARTESIAN_TRACES", "HtmlExport", "export_html", "plotly_bundle"]

CARTESIAN_TRACES = frozenset(
    {
        "bar",
        "box",
        "contour",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "image",
        "pie",
        "scatter",
        "scatterternary",
        "violin",
    }
)
_CARTESIAN_VERSION = "4.1.1"
_CARTESIAN_FILE = f"plotly-cartesian-{_CARTESIAN_VERSION}.min.js.gz"

# Blocks of the lab template that would load scripts from a CDN, emptied; plus our styles.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}
<style type="text/css">
  .netra-figure { margin: 0.5em 0; }
  .netra-plotly { width: 100%; color: #888; }
  .netra-static { border-left: 3px solid #ccc; padding-left: 0.6em; }
  .netra-static table { border-collapse: collapse; font-size: 12px; }
  /* "html body .jp-OutputArea-output": more specific than JupyterLab's output tables
     (right-aligned, padded) */
  html body .jp-OutputArea-output .netra-static th,
  html body .jp-OutputArea-output .netra-static td { padding: 2px 6px;
    border-bottom: 1px solid #eee; text-align: left; vertical-align: top;
    overflow-wrap: break-word; }
  /* words stay whole ("tests", "completion" were cut into letters); only the last column,
     where panels put test ids and other long names without spaces, may wrap anywhere */
  html body .jp-OutputArea-output .netra-static th { white-space: nowrap; }
  html body .jp-OutputArea-output .netra-static td:last-child { overflow-wrap: anywhere;
    min-width: 12em; }
  /* JupyterLab's output style breaks preformatted text anywhere ("valid fo" / "r 7195 s"):
     break at spaces, and inside a word only when it cannot fit on a line of its own */
  body .jp-OutputArea-output pre { word-break: normal; overflow-wrap: anywhere; }
  /* test ids are long and have no spaces: let them wrap rather than widen the page */
  .jp-RenderedMarkdown td code { white-space: normal; overflow-wrap: anywhere; }
</style>
{%- endblock extra_css -%}
"""

_LOADER = """
<script type="text/plain" id="netra-plotlyjs" data-bundle="%(bundle)s">%(payload)s</script>
<script>
(function () {
  "use strict";
  var figures = Array.prototype.slice.call(document.querySelectorAll("div.%(cls)s"));
  function mark(state) { document.body.setAttribute("data-netra-figures", state); }
  function fail(err) {
    figures.forEach(function (fig) {
      fig.querySelector("div.netra-plotly").textContent = "plotly.js could not be loaded: " + err;
    });
    mark("error");
  }
  function draw() {
    var failed = 0;
    figures.forEach(function (fig) {
      var target = fig.querySelector("div.netra-plotly");
      try {
        var spec = JSON.parse(fig.querySelector("script.netra-plotly-spec").textContent);
        target.textContent = "";
        window.Plotly.newPlot(target, spec.data || [], spec.layout || {},
                              {displaylogo: false, responsive: true});
        fig.setAttribute("data-rendered", "true");
      } catch (err) {
        failed += 1;
        target.textContent = "figure could not be drawn: " + err;
        fig.setAttribute("data-rendered", "error");
      }
    });
    mark(failed ? "error" : "done");
  }
  if (!figures.length) { mark("none"); return; }
  if (typeof DecompressionStream === "undefined") { fail("no DecompressionStream"); return; }
  try {
    var text = atob(document.getElementById("netra-plotlyjs").textContent.trim());
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    new Response(stream).text().then(function (source) {
      var script = document.createElement("script");
      script.textContent = source;
      document.head.appendChild(script);
      draw();
    }).catch(fail);
  } catch (err) { fail(err); }
})();
</script>
"""

_BODY_OPEN = re.compile(r"<body[^>]*>")
_TRACES_ATTR = re.compile(r'class="' + FIGURE_CLASS + r'" data-traces="([^"]*)"')


@dataclass(frozen=True)
class HtmlExport:
    """The exported page and what went into it."""

    html: str
    figures: int
    bundle: str  # "cartesian-4.1.1", "full-<version>" or "" when there is no figure

    @property
    def size(self) -> int:
        return len(self.html.encode("utf-8"))


@functools.lru_cache(maxsize=2)
def plotly_bundle(cartesian: bool) -> tuple[str, str]:
    """``(name, base64 of the gzip-compressed plotly.js)``; cartesian only if it matches the
    plotly.js version the installed plotly package writes figures for."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    version = get_plotlyjs_version()
    if cartesian and version == _CARTESIAN_VERSION:
        packed = resources.files("netra_diag").joinpath("data", "report", _CARTESIAN_FILE)
        if packed.is_file():
            return f"cartesian-{version}", base64.b64encode(packed.read_bytes()).decode("ascii")
    compressed = gzip.compress(get_plotlyjs().encode("utf-8"), 9, mtime=0)
    return f"full-{version}", base64.b64encode(compressed).decode("ascii")


def _convert_figures(nb: Any) -> None:
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            data = output.get("data")
            if isinstance(data, dict) and PLOTLY_MIME in data:
                output["data"] = {"text/html": figure_placeholder(data[PLOTLY_MIME])}


def export_html(
    nb: Any, *, title: str = "", hide_code: bool = False, banner: str = ""
) -> HtmlExport:
    """Render an executed notebook (``nbformat.NotebookNode``) to self-contained HTML.

    The notebook is not modified. No part of the page is fetched from the network. ``banner``:
    HTML put above the first cell (the report's verdict, :mod:`.banner`).
    """
    import jinja2
    from nbconvert import HTMLExporter

    work = copy.deepcopy(nb)
    work.metadata.pop("widgets", None)
    if title:
        work.metadata["title"] = title
    _convert_figures(work)
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"netra_report.html.j2": _TEMPLATE})],
        template_file="netra_report.html.j2",
        exclude_input=hide_code,
        exclude_input_prompt=hide_code,
    )
    body, _ = exporter.from_notebook_node(work)
    if banner:
        body = _BODY_OPEN.sub(lambda m: m.group(0) + banner, body, count=1)
    found = _TRACES_ATTR.findall(body)
    if not found:
        return HtmlExport(body, 0, "")
    used = {t for attr in found for t in attr.split(",") if t}
    name, payload = plotly_bundle(used <= CARTESIAN_TRACES)
    loader = _LOADER % {"bundle": name, "payload": payload, "cls": FIGURE_CLASS}
    head, sep, tail = body.rpartition("</body>")
    page = head + loader + sep + tail if sep else body + loader
    return HtmlExport(page, len(found), name)
