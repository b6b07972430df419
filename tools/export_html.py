"""Export lessons to static HTML for course material: one page, or the whole course.

A page needs no kernel and no network: every plotly figure is drawn from the figure JSON
that the notebook stored (``application/vnd.plotly.v1+json``, what ``fig.show()`` stores
in Jupyter by default), with plotly.js embedded once, inline. Nothing is loaded from a
CDN: no require.js, no MathJax (unless ``--mathjax-url`` is given), no widget manager.

Live widgets cannot run without a kernel. When this tool executes a notebook it keeps
each widget's last state: a plotly ``FigureWidget`` becomes the static figure it showed
at the end of the run (read from the kernel after the last cell: the widget state that
Jupyter saves holds only a figure's first version), and a widget made only of
text (``HTML``, ``Label`` and boxes of them) becomes that text. Any other widget (the
Explorer, the lesson widgets, anything with a control) becomes a launch note: a Binder
link that opens the lesson live, and the ``optwidgets lab`` command for a local copy.
End a lesson cell with a plain ``go.Figure`` where the page should show a plot.

Usage::

    python tools/export_html.py notebooks/00_quickstart.ipynb -o site/00_quickstart.html
    python tools/export_html.py --execute lesson.ipynb     # run it first (needs a kernel)
    python tools/export_html.py --all -o site/             # the course: index.html + lessons

``--all`` runs every ``notebooks/NN_*.ipynb`` that is not executed yet (``--no-execute``
keeps them as stored) and writes one page per lesson with previous / index / next links,
its links to other lessons pointing at their pages, and ``index.html`` from the course
index (``tools/course_index.py``). The Binder links point at ``--repo-url`` (default
``$OPTWIDGETS_REPO_URL`` or the README's repository) at ``--ref``.

Also works on notebooks executed with ``pio.renderers.default = "plotly_mimetype+notebook"``:
their CDN-loading HTML is replaced and their embedded copy of plotly.js dropped.
"""

from __future__ import annotations

import argparse
import copy
import html
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat

REPO = Path(__file__).resolve().parents[1]
PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
DEFAULT_REPO_URL = "https://github.com/OWNER/optwidgets"  # the README's Binder badge
SNAPSHOT_MARK = "__optwidgets_figure_snapshot__"
LESSON_LINK_RE = re.compile(r"\]\((\d\d_\w+)\.ipynb\)")
INDEX_LINK_RE = re.compile(r"\]\(README\.md\)")
# Widgets a snapshot can show as they are: text, and boxes holding only such widgets.
_TEXT_MODELS = {"HTMLModel", "HTMLMathModel", "LabelModel"}
_BOX_MODELS = {"BoxModel": "column", "VBoxModel": "column", "HBoxModel": "row"}

# Run in the kernel after the last cell: every live FigureWidget's figure as it is now.
SNAPSHOT_CODE = f"""
def __optwidgets_snapshot():
    import json, sys
    if "plotly" not in sys.modules or "ipywidgets" not in sys.modules:
        return {{}}
    import plotly.io as pio
    from ipywidgets.widgets.widget import _instances
    out = {{}}
    for model_id, w in list(_instances.items()):
        if not (hasattr(w, "_widget_data") and hasattr(w, "to_dict")):
            continue
        try:  # a figure still being built on a background thread has no layout yet
            out[model_id] = json.loads(pio.to_json(w.to_dict(), validate=False))
        except (AttributeError, ValueError, TypeError):
            continue
    return out
print({SNAPSHOT_MARK!r} + __import__("json").dumps(__optwidgets_snapshot()))
del __optwidgets_snapshot
"""

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
{% block extra_css %}
<style>
.optwidgets-nav { display: flex; justify-content: space-between; gap: 1em;
  padding: 0.5em 0; border-bottom: 1px solid #ddd; font-size: 0.95em; }
.optwidgets-launch { border-left: 4px solid #1f77b4; background: #f4f8fc;
  padding: 0.6em 1em; margin: 0.3em 0; }
</style>
{% endblock extra_css %}
"""


class Launch:
    """Where a live widget can be opened: Binder on ``repo_url`` at ``ref``, or locally.

    A plain class, not a dataclass: tests load this file with ``importlib`` without
    registering it in ``sys.modules``, which dataclasses need.

    Example
    -------
    >>> Launch("https://github.com/me/optwidgets", "v1").binder_url("01_lr.ipynb")
    'https://mybinder.org/v2/gh/me/optwidgets/v1?urlpath=lab/tree/notebooks/01_lr.ipynb'
    """

    def __init__(self, repo_url: str = DEFAULT_REPO_URL, ref: str = "main",
                 lessons_path: str = "notebooks") -> None:
        self.repo_url = repo_url
        self.ref = ref
        self.lessons_path = lessons_path  # the lessons' folder inside the repository

    def __repr__(self) -> str:
        return f"Launch({self.repo_url!r}, {self.ref!r}, {self.lessons_path!r})"

    def binder_url(self, notebook: str) -> str:
        path = quote(f"lab/tree/{self.lessons_path}/{notebook}", safe="/")
        url = self.repo_url.rstrip("/")
        if url.endswith(".git"):
            url = url[:-4]
        ref = quote(self.ref, safe="")
        github = re.match(r"https?://github\.com/([^/]+)/([^/]+)$", url)
        if github:
            return f"https://mybinder.org/v2/gh/{github[1]}/{github[2]}/{ref}?urlpath={path}"
        gitlab = re.match(r"https?://gitlab\.com/(.+)$", url)
        if gitlab:
            return f"https://mybinder.org/v2/gl/{quote(gitlab[1], safe='')}/{ref}?urlpath={path}"
        return f"https://mybinder.org/v2/git/{quote(self.repo_url, safe='')}/{ref}?urlpath={path}"

    def file_url(self, notebook: str) -> str:
        """The lesson's file in the repository (for links to lessons not on the site)."""
        return f"{self.repo_url.rstrip('/')}/blob/{self.ref}/{self.lessons_path}/{notebook}"

    def note(self, notebook: str | None, widget: str = "widget") -> str:
        """The HTML that stands in for a live widget on a static page."""
        target = notebook or "00_quickstart.ipynb"
        return (
            f'<div class="optwidgets-launch" data-widget="{html.escape(widget)}"><p>'
            f"<strong>Interactive widget</strong> (<code>{html.escape(widget)}</code>): it "
            "needs a running Python kernel. "
            f'<a class="optwidgets-binder" href="{html.escape(self.binder_url(target))}">'
            "Launch this lesson on Binder</a> (in the browser, nothing to install), or run "
            f"<code>optwidgets lab --notebook {html.escape(target)}</code> where the kit is "
            "installed (<code>pip install 'optwidgets[lab]'</code>).</p></div>"
        )


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
    text = data.get("text/html", "")
    text = "".join(text) if isinstance(text, list) else text
    is_figure = "plotly-graph-div" in text  # plotly.js itself never contains that class
    return PLOTLY_MIME not in data and "window.PlotlyConfig" in text and not is_figure


def _widget_name(data: dict) -> str:
    plain = data.get("text/plain", "")
    plain = "".join(plain) if isinstance(plain, list) else plain
    m = re.match(r"\s*(\w+)\(", plain)
    return m.group(1) if m else "widget"


def _snapshot(model_id: str, state: dict, figures: dict, depth: int = 0) -> str | None:
    """The static HTML of widget ``model_id`` in its last state, or None if it is live-only."""
    if model_id in figures:
        return _figure_html(figures[model_id])
    model = state.get(model_id)
    if model is None or depth > 20:
        return None
    name, values = model.get("model_name", ""), model.get("state", {})
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{values.get('value', '')}</div>"
    if name == "LabelModel":
        return f"<div>{html.escape(str(values.get('value', '')))}</div>"
    if name in _BOX_MODELS:
        parts = []
        for child in values.get("children", []):
            inner = _snapshot(str(child).removeprefix("IPY_MODEL_"), state, figures, depth + 1)
            if inner is None:
                return None
            parts.append(inner)
        return (f'<div style="display:flex;flex-direction:{_BOX_MODELS[name]};gap:8px">'
                + "".join(parts) + "</div>")
    return None


def make_static(
    nb: nbformat.NotebookNode, *, launch: Launch | None = None, notebook: str | None = None,
    figures: dict | None = None,
) -> tuple[nbformat.NotebookNode, int]:
    """Return a copy of ``nb`` whose outputs need no kernel or network, and its figure count.

    ``figures``: the last figure of each FigureWidget by model id (see :func:`execute`);
    ``launch`` and ``notebook`` make the note that replaces a live-only widget.
    """
    nb = copy.deepcopy(nb)
    widgets = nb.metadata.pop("widgets", None) or {}  # its state would pull a CDN manager
    state = widgets.get(WIDGET_STATE_MIME, {}).get("state", {})
    figures = figures or {}
    launch = launch or Launch()
    count = 0
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
                count += 1
                kept.append(output)
            elif WIDGET_MIME in data:
                model_id = str(data[WIDGET_MIME].get("model_id", ""))
                snap = _snapshot(model_id, state, figures)
                if snap is None:
                    snap = launch.note(notebook, _widget_name(data))
                else:
                    count += "plotly-graph-div" in snap
                    snap = (f'<div class="optwidgets-widget-snapshot" data-model-id='
                            f'"{html.escape(model_id)}">{snap}</div>')
                output.data = nbformat.from_dict({"text/html": snap})
                kept.append(output)
            else:
                kept.append(output)
        cell.outputs = kept
    return nb, count


def export_html(
    nb: nbformat.NotebookNode, *, mathjax_url: str = "", resources: dict | None = None,
    launch: Launch | None = None, figures: dict | None = None,
) -> str:
    """Render ``nb`` (already executed) as one self-contained HTML page."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    res = dict(resources or {})
    name = res.get("metadata", {}).get("name")
    static, count = make_static(nb, launch=launch, figures=figures,
                                notebook=f"{name}.ipynb" if name else None)
    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"optwidgets_static.html.j2": TEMPLATE})],
        template_file="optwidgets_static.html.j2",
    )
    res["offline_mathjax_url"] = mathjax_url
    if count:
        from plotly.offline import get_plotlyjs

        res["plotlyjs"] = get_plotlyjs()
    body, _ = exporter.from_notebook_node(static, resources=res)
    return body


def is_executed(nb: nbformat.NotebookNode) -> bool:
    """Every code cell ran (has an execution count)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    return bool(code) and all(c.get("execution_count") is not None for c in code)


def execute(nb: nbformat.NotebookNode, folder: Path, *, timeout: int = 600) -> dict:
    """Run ``nb`` in place (in ``folder``) with widget state kept; return the last figure of
    every FigureWidget, by model id."""
    from nbconvert.preprocessors import ExecutePreprocessor

    nb.cells.append(nbformat.v4.new_code_cell(SNAPSHOT_CODE))
    try:
        ExecutePreprocessor(timeout=timeout, store_widget_state=True).preprocess(
            nb, {"metadata": {"path": str(folder)}})
    finally:
        last = nb.cells.pop()
    text = "".join(o.get("text", "") for o in last.get("outputs", [])
                   if o.get("output_type") == "stream")
    _, _, payload = text.partition(SNAPSHOT_MARK)
    return json.loads(payload) if payload.strip() else {}


# --- the whole course --------------------------------------------------------------------


def _course_index():
    if "course_index" in sys.modules:
        return sys.modules["course_index"]
    spec = importlib.util.spec_from_file_location("course_index", REPO / "tools" / "course_index.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _relink(text: str, built: set[str], launch: Launch) -> str:
    """Links to lessons point at their pages (or the repository's file), README.md at index."""
    def lesson(m: re.Match) -> str:
        stem = m.group(1)
        return f"]({stem}.html)" if stem in built else f"]({launch.file_url(stem + '.ipynb')})"

    return INDEX_LINK_RE.sub("](index.html)", LESSON_LINK_RE.sub(lesson, text))


def _nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    """Previous / index / next links; each pair is (page, title)."""
    def link(pair, rel, text):
        if pair is None:
            return "<span></span>"
        return f'<a rel="{rel}" href="{html.escape(pair[0])}">{text}</a>'

    return ('<nav class="optwidgets-nav">'
            + link(prev, "prev", f"← {html.escape(prev[1]) if prev else ''}")
            + '<a rel="index" href="index.html">Course index</a>'
            + link(nxt, "next", f"{html.escape(nxt[1]) if nxt else ''} →")
            + "</nav>")


def build_site(
    notebooks: list[Path], out: Path, *, execute_missing: bool = True, timeout: int = 600,
    launch: Launch | None = None, mathjax_url: str = "", log=print,
) -> list[Path]:
    """Write ``out/index.html`` and one page per lesson, linked; returns the pages written."""
    ci = _course_index()
    launch = launch or Launch()
    notebooks = sorted(notebooks, key=lambda p: p.name)
    out.mkdir(parents=True, exist_ok=True)
    built = {p.stem for p in notebooks}
    titles = {}
    for path in notebooks:
        top = ci.read_lesson(path).top
        titles[path.stem] = top.heading or path.stem
    pages = []
    for i, path in enumerate(notebooks):
        nb = nbformat.read(path, as_version=4)
        figures = {}
        if execute_missing and not is_executed(nb):
            log(f"{path.name}: executing")
            figures = execute(nb, path.parent.resolve(), timeout=timeout)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = _relink(cell.source, built, launch)
        prev = notebooks[i - 1] if i > 0 else None
        nxt = notebooks[i + 1] if i + 1 < len(notebooks) else None
        nav = _nav(prev and (f"{prev.stem}.html", titles[prev.stem]),
                   nxt and (f"{nxt.stem}.html", titles[nxt.stem]))
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(nav))
        nb.cells.append(nbformat.v4.new_markdown_cell(nav))
        nb.metadata["title"] = titles[path.stem]
        page = out / f"{path.stem}.html"
        text = export_html(nb, mathjax_url=mathjax_url, launch=launch, figures=figures,
                           resources={"metadata": {"name": path.stem}})
        page.write_text(text, encoding="utf-8")
        log(f"{page}: {len(text) / 1e6:.1f} MB")
        pages.append(page)
    index_md = _relink(ci.render_index(notebooks[0].parent if notebooks else ci.NOTEBOOKS,
                                       paths=notebooks), built, launch)
    index_nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(index_md)])
    index_nb.metadata["title"] = "The optwidgets course"
    index = out / "index.html"
    index.write_text(export_html(index_nb, mathjax_url=mathjax_url, launch=launch,
                                 resources={"metadata": {"name": "index"}}), encoding="utf-8")
    log(f"{index}: {len(pages)} lessons")
    return [index, *pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path, nargs="?", help="one notebook (without --all)")
    parser.add_argument("--all", action="store_true",
                        help="the whole course: every lesson of --notebooks and index.html")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks",
                        help="the lessons folder for --all (default: %(default)s)")
    parser.add_argument("-o", "--output", type=Path,
                        help="the page (default: NOTEBOOK with .html); with --all a folder "
                             "(default: site/)")
    parser.add_argument("--execute", action=argparse.BooleanOptionalAction, default=None,
                        help="run notebooks not executed yet (default: yes with --all, no "
                             "for one notebook)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (--execute)")
    parser.add_argument("--mathjax-url", default="", help="load MathJax from here (network)")
    parser.add_argument("--repo-url", default=os.environ.get("OPTWIDGETS_REPO_URL",
                                                             DEFAULT_REPO_URL),
                        help="repository that Binder launch links open (default: "
                             "$OPTWIDGETS_REPO_URL or %(default)s)")
    parser.add_argument("--ref", default="main", help="branch, tag or commit for Binder")
    parser.add_argument("--lessons-path", default="notebooks",
                        help="the lessons' folder inside that repository")
    args = parser.parse_args(argv)
    launch = Launch(args.repo_url, args.ref, args.lessons_path)

    if args.all:
        if args.notebook is not None:
            parser.error("give either one notebook or --all, not both")
        ci = _course_index()
        lessons = ci.lesson_paths(args.notebooks)
        if not lessons:
            parser.error(f"no lessons NN_name.ipynb in {args.notebooks}")
        build_site(lessons, args.output or Path("site"), execute_missing=args.execute is not False,
                   timeout=args.timeout, launch=launch, mathjax_url=args.mathjax_url)
        return 0
    if args.notebook is None:
        parser.error("give a notebook, or --all")
    nb = nbformat.read(args.notebook, as_version=4)
    figures = execute(nb, args.notebook.parent.resolve(), timeout=args.timeout) if args.execute else {}
    output = args.output or args.notebook.with_suffix(".html")
    text = export_html(nb, mathjax_url=args.mathjax_url, launch=launch, figures=figures,
                       resources={"metadata": {"name": args.notebook.stem}})
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"{output}: {len(text) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
