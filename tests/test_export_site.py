"""``tools/export_html.py --all``: the course as linked static pages, offline.

Two tiny lessons (written here, executed in a kernel) stand for the course: the index
links every page, previous / next links resolve, nothing is loaded from the network, and
each live widget became its last state (a FigureWidget: the figure as it was after the
last cell, not as first displayed) or a launch note with a Binder link. A slow test does
the same with the first two real lessons.
"""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
REPO_URL = "https://github.com/someone/optwidgets"
CDN_RE = re.compile(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", re.I)
A_RE = re.compile(r"<a\s[^>]*>")


def _rel_links(text: str) -> list[tuple[str, str]]:
    """(rel, href) of every <a rel=prev|next|index>, whatever the attribute order."""
    out = []
    for tag in A_RE.findall(text):
        rel, href = re.search(r'rel="([^"]+)"', tag), re.search(r'href="([^"]+)"', tag)
        if rel and href and rel[1] in ("prev", "next", "index"):
            out.append((rel[1], href[1]))
    return out


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return sys.modules[spec.name]


export = _tool("export_html")


def _top(number: str, title: str, before: str) -> str:
    return (f"# {number} · {title}\n**You will be able to:**\n- one thing\n- another\n"
            f"**Before this:** {before}\n**Time:** about 1 min on one core")


def _lesson(path: Path, top: str, *cells: tuple[str, str]) -> Path:
    make = {"md": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(top)]
                                  + [make[k](s) for k, s in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def _check_site(out: Path, stems: list[str]) -> dict[str, str]:
    """The checks every built site passes; returns each page's text."""
    pages = {p.stem: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    assert set(pages) == {"index", *stems}
    index_links = set(re.findall(r'href="([^"#]+\.html)"', pages["index"]))
    assert {f"{s}.html" for s in stems} <= index_links, "the index misses a lesson page"
    for i, stem in enumerate(stems):
        text = pages[stem]
        rels = _rel_links(text)
        for rel, href in rels:
            assert (out / href).is_file(), f"{stem}: {rel} link {href} leads nowhere"
        got = {(rel, href) for rel, href in rels}
        if i > 0:
            assert ("prev", f"{stems[i - 1]}.html") in got
        if i + 1 < len(stems):
            assert ("next", f"{stems[i + 1]}.html") in got
        assert ("index", "index.html") in got
        assert not any(rel == "prev" for rel, _ in rels) or i > 0
        assert not any(rel == "next" for rel, _ in rels) or i + 1 < len(stems)
    for stem, text in pages.items():
        assert not CDN_RE.search(text), f"{stem}.html loads something from the network"
        assert export.WIDGET_MIME not in text and export.WIDGET_STATE_MIME not in text, (
            f"{stem}.html still holds a live widget view or the widget state")
    return pages


def test_launch_links():
    launch = export.Launch(REPO_URL, "v0.1")
    assert launch.binder_url("01_x.ipynb") == (
        "https://mybinder.org/v2/gh/someone/optwidgets/v0.1?urlpath=lab/tree/notebooks/01_x.ipynb")
    assert export.Launch("https://gitlab.com/a/b.git").binder_url("x.ipynb").startswith(
        "https://mybinder.org/v2/gl/a%2Fb/main?")
    note = launch.note("01_x.ipynb", "Explorer")
    assert "optwidgets lab --notebook 01_x.ipynb" in note and "open this notebook" not in note


def test_site_of_two_lessons(tmp_path):
    src = tmp_path / "lessons"
    src.mkdir()
    _lesson(src / "00_alpha.ipynb", _top("00", "Alpha", "Python"),
            ("md", "Then [01 · Beta](01_beta.ipynb), or [the course index](README.md)."),
            ("code", "import plotly.graph_objects as go\n"
                     "fw = go.FigureWidget(go.Figure(go.Scatter(x=[0, 1], y=[1, 0])))\nfw"),
            ("code", "fw.add_scatter(x=[0, 1, 2], y=[5, 6, 7])\n"
                     "fw.layout.title = 'the last state'"),
            ("code", "go.Figure(go.Bar(x=['a', 'b'], y=[1, 2]))"))
    _lesson(src / "01_beta.ipynb", _top("01", "Beta", "[00 · Alpha](00_alpha.ipynb)"),
            ("md", "Later: [07 · Not here](07_not_here.ipynb)."),
            ("code", "import ipywidgets as W\nW.VBox([W.HTML('<b>text only</b>')])"),
            ("code", "W.Button(description='press me')"))
    out = tmp_path / "site"
    assert export.main(["--all", "--notebooks", str(src), "-o", str(out),
                        "--repo-url", REPO_URL, "--ref", "v0.1"]) == 0
    pages = _check_site(out, ["00_alpha", "01_beta"])

    alpha, beta = pages["00_alpha"], pages["01_beta"]
    # the FigureWidget as it was after the last cell: two traces and the later title
    snap = alpha.split('class="optwidgets-widget-snapshot"', 1)[1].split("</script>", 1)[0]
    assert "the last state" in snap and "[5,6,7]" in snap.replace(" ", "")
    assert alpha.count("plotly-graph-div") >= 2 and "window.PlotlyConfig" in alpha
    # a box of text is shown as it is; a control becomes a launch note
    assert "<b>text only</b>" in beta.split('class="optwidgets-widget-snapshot"', 1)[1]
    binder = html.escape(export.Launch(REPO_URL, "v0.1").binder_url("01_beta.ipynb"))
    assert f'href="{binder}"' in beta and "optwidgets lab --notebook 01_beta.ipynb" in beta
    assert beta.count('class="optwidgets-launch"') == 1
    # links between lessons point at pages; lessons not built at the repository's file
    assert 'href="01_beta.html"' in alpha and 'href="index.html"' in alpha
    assert f'href="{REPO_URL}/blob/v0.1/notebooks/07_not_here.ipynb"' in beta
    assert "about 1 min" in pages["index"]


@pytest.mark.slow
def test_site_of_the_first_two_lessons(tmp_path):
    src = tmp_path / "lessons"
    src.mkdir()
    stems = ["00_quickstart", "01_learning_rate_and_optimizers"]
    for stem in stems:
        shutil.copy2(REPO / "notebooks" / f"{stem}.ipynb", src)
    out = tmp_path / "site"
    assert export.main(["--all", "--notebooks", str(src), "-o", str(out)]) == 0
    pages = _check_site(out, stems)
    for stem in stems:  # every live widget of these lessons needs a kernel: launch notes
        nb = nbformat.read(src / f"{stem}.ipynb", as_version=4)
        widgets = sum("ow.Explorer(" in c.source or "ow.ui." in c.source
                      for c in nb.cells if c.cell_type == "code")
        assert pages[stem].count('class="optwidgets-launch"') == widgets >= 1
        assert "open this notebook in Jupyter" not in pages[stem]
    assert 'href="02_regularization_and_early_stopping.html"' not in pages[stems[1]]
