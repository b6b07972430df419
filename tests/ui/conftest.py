"""Tiny, fast settings for driving the widgets headless (no kernel, no browser).

Widgets are driven as a user would: set ``.value``, call ``.click()``; runs go on the
Explorer's background thread and tests join it with ``explorer.wait()``.
"""

from __future__ import annotations

import pytest

import optwidgets as ow

from .helpers import TIMEOUT, tiny


@pytest.fixture
def store(tmp_path):
    return ow.RunStore(tmp_path / "store")


@pytest.fixture
def explorer(store, tmp_path):
    ex = ow.Explorer(tiny(), store=store, export_dir=tmp_path / "exports")
    assert ex.ready(TIMEOUT)  # the figures are made in the background
    yield ex
    ex.stop()
    assert ex.wait(TIMEOUT), "a background run did not end"
