"""Tiny, fast settings and a wait helper for the headless widget tests."""

from __future__ import annotations

import time

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
