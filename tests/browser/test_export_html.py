"""tools/export_html.py: an executed notebook becomes a page that draws its plotly
figures with no kernel and no network."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from labharness import collect_console_errors, screenshot, write_notebook

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CELLS = [
    "import ipywidgets as widgets\n"
    "import plotly.graph_objects as go\n"
    "widgets.Button(description='live only')",
    "fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[2, 0, 1], mode='markers'))\n"
    "fig.show()",
]  # fmt: skip


def test_exported_page_draws_figure_offline(tmp_path, chromium_browser, artifacts_dir):
    notebook = write_notebook(tmp_path / "tiny.ipynb", CELLS)
    html = tmp_path / "site" / "tiny.html"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "export_html.py"), "--execute", str(notebook),
         "-o", str(html)],
        check=True, timeout=300,
    )  # fmt: skip
    text = html.read_text()
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", text)
    assert "Interactive widget" in text

    blocked: list[str] = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = chromium_browser.new_context(offline=True)
    try:
        page = context.new_page()
        page.route("**/*", only_files)
        errors = collect_console_errors(page)
        page.goto(html.as_uri())
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)
        points = page.locator(".js-plotly-plot .scatterlayer .trace path.point")
        points.nth(2).wait_for(timeout=10_000)
        assert points.count() == 3
        screenshot(page, artifacts_dir / "export_html.png")
    finally:
        context.close()
    assert blocked == []
    assert errors == []
