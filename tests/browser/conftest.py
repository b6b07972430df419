"""Fixtures for browser tests: JupyterLab + headless Chromium driven by Playwright.

Mark every test module here ``pytestmark = pytest.mark.browser`` (skipped when Chromium,
Playwright or JupyterLab is missing; fails instead under ``CI=true``).

Fixtures
--------
lab_server (session)
    A ``labharness.LabServer``: ``jupyter lab`` on 127.0.0.1, a free port, a random token,
    in a temp folder (``lab_server.root``) holding *copies* of ``notebooks/*.ipynb``;
    isolated Jupyter config/data/runtime dirs, no autosave, no news. Add a generated
    notebook with ``lab_server.add_notebook("name.ipynb", ["code", ...])``.
chromium_browser (session)
    Playwright ``Browser``: ``/usr/bin/chromium`` with the recipe's flags.
lab_page
    A Playwright ``Page`` in a fresh context whose ``base_url`` is the server, already
    logged in, collecting console errors. On teardown: a screenshot if the test failed
    (``artifacts/browser/<test>-failed.png``), context closed, all kernels shut down.
artifacts_dir (session)
    ``$OPTWIDGETS_ARTIFACTS`` if set, else ``artifacts/browser/`` at the repo root
    (git-ignored): screenshots go there (the folder is printed at the end of the run).

Helpers (``from labharness import ...``): ``open_notebook(page, name)``,
``wait_kernel_idle(page)``, ``run_all(page)``, ``wait_all_cells_executed(page, timeout)``,
``collect_console_errors(page)``, ``screenshot(page, path)``, ``make_notebook(cells)``.

Example::

    pytestmark = pytest.mark.browser

    def test_explorer(lab_server, lab_page, artifacts_dir):
        name = lab_server.add_notebook("explorer.ipynb", ["import optwidgets as ow", "ow.Explorer()"])
        errors = collect_console_errors(lab_page)
        open_notebook(lab_page, name)
        run_all(lab_page)
        wait_all_cells_executed(lab_page, timeout=120)
        lab_page.locator(".jupyter-widgets button.jupyter-button").first.wait_for()
        screenshot(lab_page, artifacts_dir / "explorer.png")
        assert errors == []
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:  # `from labharness import ...` under any --import-mode
    sys.path.insert(0, str(HERE))

from labharness import (  # noqa: E402
    collect_console_errors,
    launch_chromium,
    screenshot,
    start_lab,
    stop_lab,
)

_FAILED = pytest.StashKey[bool]()  # did the test's call phase fail (for the screenshot)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def artifacts_dir(request) -> Path:
    path = Path(os.environ.get("OPTWIDGETS_ARTIFACTS") or REPO / "artifacts" / "browser")
    path.mkdir(parents=True, exist_ok=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:  # said at the end, where a CI log reader looks
        request.config.add_cleanup(
            lambda: reporter.write_line(f"browser screenshots: {path}")
        )  # fmt: skip
    return path


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory):
    server = start_lab(
        tmp_path_factory.mktemp("jupyterlab"),
        notebooks=sorted((REPO / "notebooks").glob("*.ipynb")),
    )
    yield server
    stop_lab(server)


@pytest.fixture(scope="session")
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def lab_page(lab_server, chromium_browser, artifacts_dir, request) -> Iterator:
    # a laptop screen: 1366×768, JupyterLab's file browser open (~930 px of notebook)
    context = chromium_browser.new_context(
        base_url=lab_server.url, viewport={"width": 1366, "height": 768}
    )
    # A token-authenticated request sets the login cookie for the whole context.
    context.request.get(f"api/status?token={lab_server.token}").dispose()
    page = context.new_page()
    collect_console_errors(page)
    yield page
    if request.node.stash.get(_FAILED, False):
        screenshot(page, artifacts_dir / f"{request.node.name}-failed.png")
    context.close()
    lab_server.shutdown_kernels()
