"""Tiny, fast settings for driving the widgets headless (no kernel, no browser).

Widgets are driven as a user would: set ``.value``, call ``.click()``; runs go on the
Explorer's background thread and tests join it with ``explorer.wait()``.
"""

from __future__ import annotations

import time

import pytest

import optwidgets as ow

TIMEOUT = 60  # seconds a test waits for a background run


def tiny(**changes) -> ow.RunConfig:
    """A run that takes well under a second on one CPU core."""
    base = dict(
        dataset="moons",
        model="mlp",
        hidden=(8,),
        n_samples=200,
        epochs=2,
        batch_size=32,
        device="cpu",
    )
    base.update(changes)
    return ow.RunConfig(**base)


def wait_until(predicate, timeout: float = TIMEOUT, interval: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@pytest.fixture
def store(tmp_path):
    return ow.RunStore(tmp_path / "store")


@pytest.fixture
def explorer(store, tmp_path):
    ex = ow.Explorer(tiny(), store=store, export_dir=tmp_path / "exports")
    yield ex
    ex.stop()
    assert ex.wait(TIMEOUT), "a background run did not end"
