"""The search engine imports neither UI libraries nor Dask (until executor='dask')."""

import subprocess
import sys


def test_search_imports_no_ui_and_no_dask():
    code = (
        "import sys, optwidgets as ow, optwidgets.search, optwidgets.search.cli;"
        "ow.search.parse_space({'lr': ('log', 1e-3, 1e-1)});"
        "bad = [m for m in ('ipywidgets', 'plotly', 'anywidget', 'dask', 'distributed')"
        " if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ow_search_is_callable_and_exports():
    import optwidgets as ow
    import optwidgets.search  # binds the package to ow.search: it must stay callable

    assert callable(ow.search) and ow.SearchResult is optwidgets.search.SearchResult
    assert "space" in str(__import__("inspect").signature(ow.search))
