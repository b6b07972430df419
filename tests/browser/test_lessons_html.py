"""Each lesson, executed and exported to static HTML, shows its summary figure with no kernel
and no network: Chromium opens the page from file://, every other request is aborted.

Executing the lessons is the cost (each trains a few dozen small runs); the browser part
is a second or two per page, in one shared Chromium.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from labharness import collect_console_errors, screenshot

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSONS = [
    "00_quickstart.ipynb",
    "01_learning_rate_and_optimizers.ipynb",
    "02_regularization_and_early_stopping.ipynb",
]
PLOTLY_MIME = "application/vnd.plotly.v1+json"
# Marks (scatter markers, line paths, bars) inside a drawn figure.
MARKS = ".scatterlayer .trace path.point, .scatterlayer .trace path.js-line, .barlayer .trace path"


def _exporter():
    spec = importlib.util.spec_from_file_location("export_html", REPO / "tools" / "export_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _execute(name: str, folder: Path) -> tuple[nbformat.NotebookNode, float]:
    from nbconvert.preprocessors import ExecutePreprocessor

    path = folder / name
    shutil.copy2(REPO / "notebooks" / name, path)
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    ExecutePreprocessor(timeout=600, store_widget_state=False).preprocess(
        nb, {"metadata": {"path": str(folder)}}
    )
    return nb, time.perf_counter() - t0


def _figures(nb: nbformat.NotebookNode) -> int:
    return sum(
        PLOTLY_MIME in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])
    )


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_html_shows_summary_figure_offline(name, tmp_path, chromium_browser, artifacts_dir):
    nb, seconds = _execute(name, tmp_path)
    print(f"\n{name}: executed in {seconds:.1f} s")
    assert not nb.metadata.get("widgets"), "widget state stored: ~MBs of JSON per widget"
    figures = _figures(nb)
    assert figures >= 1

    html = tmp_path / Path(name).with_suffix(".html").name
    text = _exporter().export_html(nb, resources={"metadata": {"name": html.stem}})
    html.write_text(text, encoding="utf-8")
    # plotly.js inline, nothing from a CDN
    assert "window.PlotlyConfig" in text and len(text) > 3_000_000
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", text)
    if name.startswith("00"):
        assert "Interactive widget" in text  # the Explorer became a note, not a broken view

    blocked: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = chromium_browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        page.route("**/*", only_files)
        errors = collect_console_errors(page)
        page.goto(html.as_uri())
        plots = page.locator(".js-plotly-plot")
        plots.nth(figures - 1).locator(".main-svg").first.wait_for(timeout=30_000)
        assert plots.count() == figures
        summary = plots.nth(figures - 1)  # each lesson ends with its summary figure
        summary.scroll_into_view_if_needed()
        marks = summary.locator(MARKS)
        marks.first.wait_for(state="attached", timeout=10_000)
        assert marks.count() >= 2
        for i in range(figures):  # every figure drew something, not only the last
            assert plots.nth(i).locator(MARKS).count() >= 1, f"figure {i} is empty"
        if name.startswith("00"):
            screenshot(page, artifacts_dir / "lesson_00_html.png")
    finally:
        context.close()
    assert blocked == []
    assert errors == []
