"""Fixtures for the data tests: a private data home and a registry restored after each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from optwidgets.data import clear_cache
from optwidgets.data import registry as _registry


@pytest.fixture(autouse=True)
def _restore_registry():
    """Datasets registered by a test are forgotten after it."""
    saved, kinds = dict(_registry._REGISTRY), dict(_registry._KIND)
    yield
    _registry._REGISTRY.clear()
    _registry._REGISTRY.update(saved)
    _registry._KIND.clear()
    _registry._KIND.update(kinds)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data home for this test only (and no cached raw arrays from other homes)."""
    folder = tmp_path / "data_home"
    monkeypatch.setenv("OPTWIDGETS_DATA", str(folder))
    clear_cache()
    yield folder
    clear_cache()
