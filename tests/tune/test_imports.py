"""The search engine imports neither UI libraries nor Dask (until executor='dask')."""

import inspect
import subprocess
import sys

import optwidgets as ow
import optwidgets.tune


def test_search_imports_no_ui_and_no_dask():
    code = (
        "import sys, optwidgets as ow, optwidgets.tune, optwidgets.cli.search;"
        "ow.tune.parse_space({'lr': ('log', 1e-3, 1e-1)});"
        "bad = [m for m in ('ipywidgets', 'plotly', 'anywidget', 'dask', 'distributed')"
        " if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ow_search_is_the_function_and_tune_the_package():
    assert ow.search is optwidgets.tune.search and ow.SearchResult is optwidgets.tune.SearchResult
    assert ow.tune is optwidgets.tune and ow.sweep_knob is optwidgets.tune.sweep_knob
    assert "space" in str(inspect.signature(ow.search))
