"""Self-check of the browser harness: widgets and a FigureWidget render in JupyterLab."""

from __future__ import annotations

import pytest
from labharness import (
    collect_console_errors,
    open_notebook,
    run_all,
    screenshot,
    wait_all_cells_executed,
)

pytestmark = pytest.mark.browser

CELLS = [
    "import ipywidgets as widgets\n"
    "import plotly.graph_objects as go",
    # A click round-trips browser -> kernel -> browser.
    "clicks = widgets.Label('clicks: 0')\n"
    "button = widgets.Button(description='Train')\n"
    "button.on_click(lambda _: setattr(clicks, 'value', 'clicks: 1'))\n"
    "widgets.HBox([button, clicks])",
    "fig = go.FigureWidget(go.Scatter(x=[0, 1, 2], y=[2, 0, 1], mode='markers'))\nfig",
]  # fmt: skip


def test_widgets_and_figurewidget_render(lab_server, lab_page, artifacts_dir):
    page = lab_page
    name = lab_server.add_notebook("harness_check.ipynb", CELLS)
    errors = collect_console_errors(page)

    open_notebook(page, name)
    run_all(page)
    state = wait_all_cells_executed(page, timeout=120)
    assert state["total"] == len(CELLS)

    button = page.locator(".jupyter-widgets button.jupyter-button", has_text="Train")
    button.wait_for(timeout=30_000)
    points = page.locator(".js-plotly-plot .scatterlayer .trace path.point")
    points.nth(2).wait_for(timeout=30_000)
    assert points.count() == 3

    button.click()
    page.locator(".jupyter-widgets.widget-label", has_text="clicks: 1").wait_for(timeout=10_000)

    screenshot(page, artifacts_dir / "harness_check.png")
    assert errors == []
