"""Callbacks and settings the search tests share (importable by worker processes)."""

from __future__ import annotations

import os
import time

import optwidgets as ow

# Tiny and fast: a 2-D toy set, an 8-unit MLP, one epoch (~0.1 s a run once warm).
TINY = ow.RunConfig(dataset="xor", model="mlp", hidden=(8,), epochs=1, n_samples=400)
MOONS2 = ow.RunConfig(dataset="moons", model="mlp", hidden=(16,), epochs=2, n_samples=400)


class CrashAbove(ow.Callback):
    """Kills the worker process (no exception, no cleanup) when lr > ``limit``."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def on_epoch_end(self, run, logs):
        if run.config.lr > self.limit:
            os._exit(7)


class BoomAbove(ow.Callback):
    """Raises inside the run when lr > ``limit`` (the run ends as failed)."""

    def __init__(self, limit: float) -> None:
        self.limit = limit

    def on_run_start(self, run):
        if run.config.lr > self.limit:
            raise RuntimeError("boom")


class MarkAndSleep(ow.Callback):
    """At the ``at``-th run this process starts: writes ``marker`` and sleeps, so a test
    knows a trial is running and can kill the process in the middle of it."""

    def __init__(self, marker: str, at: int) -> None:
        self.marker, self.at, self.seen = marker, at, 0

    def on_run_start(self, run):
        self.seen += 1
        if self.seen == self.at:
            with open(self.marker, "w") as f:
                f.write(run.run_id)
            time.sleep(600)
