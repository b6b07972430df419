"""Session-wide test setup: an isolated data home and the `gpu` / `browser` markers.

- ``OPTWIDGETS_DATA`` points at a fresh temporary folder for the whole session, set
  when this file is imported (before any test module imports optwidgets), so no test
  reads or writes the user's cache. Subprocesses (CLI, Jupyter kernels) inherit it.
- ``@pytest.mark.gpu`` tests skip when neither CUDA nor MPS is available
  (torch is imported only when such a test is about to run).
- ``@pytest.mark.browser`` tests skip when Chromium, Playwright or JupyterLab is
  missing, except under ``CI=true``, where they fail: CI must not skip them silently.
  Their fixtures live in ``tests/browser/conftest.py``.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_DATA_HOME = Path(tempfile.mkdtemp(prefix="optwidgets-test-data-"))
os.environ["OPTWIDGETS_DATA"] = str(_DATA_HOME)

CHROMIUM = Path(os.environ.get("OPTWIDGETS_CHROMIUM", "/usr/bin/chromium"))


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_DATA_HOME, ignore_errors=True)


@functools.cache
def _gpu_missing() -> str | None:
    import torch

    if torch.cuda.is_available():
        return None
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return None
    return "needs a GPU: torch sees neither CUDA nor MPS"


@functools.cache
def _browser_missing() -> str | None:
    missing = [name for name in ("playwright", "jupyterlab") if not importlib.util.find_spec(name)]
    if not CHROMIUM.exists():
        missing.append(str(CHROMIUM))
    return f"browser test needs {', '.join(missing)}" if missing else None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gpu") and (reason := _gpu_missing()):
        pytest.skip(reason)
    if item.get_closest_marker("browser") and (reason := _browser_missing()):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: browser tests may not be skipped)", pytrace=False)
        pytest.skip(reason)
