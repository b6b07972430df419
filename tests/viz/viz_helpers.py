"""Helpers shared by the viz tests (a plain module: conftest names collide across folders)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from optwidgets.viz.style import PALETTE


def check_figure(fig: go.Figure) -> go.Figure:
    """A well-formed figure: the right type, serializable, with the optwidgets template."""
    assert isinstance(fig, go.Figure)
    fig.to_json()
    assert tuple(fig.layout.template.layout.colorway) == PALETTE
    return fig


def names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data]


def make_history(steps_per_epoch: int = 10, epochs: int = 3, run_id: str | None = None):
    rows = []
    for step in range(1, steps_per_epoch * epochs + 1):
        epoch = (step - 1) // steps_per_epoch + 1
        rows.append((step, epoch, "train", "loss", 2.0 / step))
        if step % steps_per_epoch == 0:
            rows.append((step, epoch, "val", "loss", 1.0 / epoch))
            rows.append((step, epoch, "val", "acc", 0.5 + 0.1 * epoch))
            rows.append((step, epoch, "train", "lr", 0.01))
    df = pd.DataFrame(rows, columns=["step", "epoch", "split", "metric", "value"])
    if run_id is not None:
        df.insert(0, "run_id", run_id)
    return df
