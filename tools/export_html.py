"""Export a notebook to one self-contained HTML page for course material.

The page needs no kernel and no network: every plotly figure is drawn from the
figure JSON that the notebook stored (``application/vnd.plotly.v1+json``, what
``fig.show()`` stores in Jupyter by default), with plotly.js embedded once, inline.
Nothing is loaded from a CDN: no require.js, no MathJax (unless ``--mathjax-url``
is given), no widget manager. ipywidgets (and ``go.FigureWidget``) are live-only: their
outputs become a short note, so end a lesson cell with a plain ``go.Figure`` (e.g.
``go.Figure(figure_widget)``) where the static page should show the plot.

Usage::

    python tools/export_html.py notebooks/00_quickstart.ipynb -o site/00_quickstart.html
    python tools/export_html.py --execute lesson.ipynb     # run it first (needs a kernel)

Also works on notebooks executed with ``pio.renderers.default = "plotly_mimetype+notebook"``:
their CDN-loading HTML is replaced and their embedded copy of plotly.js dropped.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    '<p class="optwidgets-static-note"><em>Interactive widget: open this notebook in '
    "Jupyter to use it.</em></p>"
)

# Extends nbconvert's lab template; drops the CDN scripts and adds plotly.js inline.
TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- from 'mathjax.html.j2' import mathjax -%}
{%- block html_head_js_requirejs -%}
{%- if resources.plotlyjs -%}
<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: 'local'};</script>
<script type="text/javascript">{{ resources.plotlyjs }}</script>
{%- endif -%}
{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
{%- if resources.offline_mathjax_url -%}{{ mathjax(resources.offline_mathjax_url) }}{%- endif -%}
{%- endblock html_head_js_mathjax -%}
"""


def _figure_html(bundle: dict) -> str:
    import plotly.io as pio

    fig = {k: v for k, v in bundle.items() if k in ("data", "layout", "frames")}
    return pio.to_html(
        fig,
        config=bundle.get("config") or {},
        include_plotlyjs=False,
        include_mathjax=False,
        full_html=False,
        validate=False,
        default_width="100%",
        default_height=525,
    )


def _is_plotlyjs_loader(output: dict) -> bool:
    """The output that the ``notebook`` renderer displays once: plotly.js itself."""
    data = output.get("data", {})
    html = data.get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    is_figure = "plotly-graph-div" in html  # plotly.js itself never contains that class
    return PLOTLY_MIME not in data and "window.PlotlyConfig" in html and not is_figure


def make_static(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return a copy of ``nb`` whose outputs need no kernel or network, and its figure count."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # widget state would pull the widget manager from a CDN
    figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is None:
                kept.append(output)
            elif _is_plotlyjs_loader(output):
                continue
            elif PLOTLY_MIME in data:
                data["text/html"] = _figure_html(data[PLOTLY_MIME])
                figures += 1
                kept.append(output)
            elif WIDGET_MIME in data:
                output.data = nbformat.from_dict({"text/html": WIDGET_NOTE})
                kept.append(output)
            else:
                kept.append(output)
        cell.outputs = kept
    return nb, figures


def export_html(
    nb: nbformat.NotebookNode, *, mathjax_url: str = "", resources: dict | None = None
) -> str:
    """Render ``nb`` (already executed) as one self-contained HTML page."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    static, figures = make_static(nb)
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"optwidgets_static.html.j2": TEMPLATE})],
        template_file="optwidgets_static.html.j2",
    )
    res = dict(resources or {})
    res["offline_mathjax_url"] = mathjax_url
    if figures:
        from plotly.offline import get_plotlyjs

        res["plotlyjs"] = get_plotlyjs()
    body, _ = exporter.from_notebook_node(static, resources=res)
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="default: NOTEBOOK with .html")
    parser.add_argument("--execute", action="store_true", help="run the notebook first")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (--execute)")
    parser.add_argument("--mathjax-url", default="", help="load MathJax from here (network)")
    args = parser.parse_args(argv)

    nb = nbformat.read(args.notebook, as_version=4)
    if args.execute:
        from nbconvert.preprocessors import ExecutePreprocessor

        ep = ExecutePreprocessor(timeout=args.timeout, store_widget_state=False)
        ep.preprocess(nb, {"metadata": {"path": str(args.notebook.parent.resolve())}})
    output = args.output or args.notebook.with_suffix(".html")
    html = export_html(
        nb, mathjax_url=args.mathjax_url, resources={"metadata": {"name": output.stem}}
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(html, encoding="utf-8")
    print(f"{output}: {len(html) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
