"""Fixtures of the search tests: a RunStore per test, a warm pair of local workers."""

from __future__ import annotations

import pytest

import optwidgets as ow
from optwidgets.tune import worker_pool


@pytest.fixture
def store(tmp_path):
    return ow.RunStore(tmp_path / "store")


@pytest.fixture(scope="module")
def two_workers():
    """Two local worker processes kept warm for every search of a test module."""
    with worker_pool(2) as pool:
        pool.warm()
        yield pool
