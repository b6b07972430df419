"""Search figures from a trials frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optwidgets.viz import (
    TRACE_BEST,
    TRACE_OBJECTIVE,
    TRACE_PARETO,
    TRACE_PARETO_TRIALS,
    TRACE_TRIALS,
    completed_trials,
    optimization_history,
    optimization_history_data,
    parallel_coordinates,
    parallel_coordinates_data,
    pareto_trials,
)

from .viz_helpers import check_figure, names


def test_completed_trials(trials):
    assert completed_trials(trials)["number"].tolist() == [0, 1, 3]
    enum_like = trials.assign(state=["TrialState.COMPLETE"] * 5)
    assert completed_trials(enum_like, ["value"])["number"].tolist() == [0, 1, 2, 3]
    assert completed_trials(trials.drop(columns="state"), ["value"])["number"].tolist() == [
        0,
        1,
        2,
        3,
    ]


@pytest.mark.parametrize(
    ("direction", "best"),
    [("maximize", [0.80, 0.80, 0.90]), ("minimize", [0.80, 0.75, 0.75])],
)
def test_optimization_history_data(trials, direction, best):
    d = optimization_history_data(trials, direction=direction)
    assert d["number"].tolist() == [0, 1, 3]
    assert d["value"].tolist() == [0.80, 0.75, 0.90]
    assert d["best"].tolist() == best


def test_optimization_history_figure(trials):
    fig = check_figure(optimization_history(trials, objective="values_0", direction="minimize"))
    assert names(fig) == [TRACE_OBJECTIVE, TRACE_BEST]
    assert fig.data[0].customdata.tolist() == [0, 1, 3]
    assert fig.data[1].y.tolist() == [3e5, 1e5, 1e5]
    assert fig.data[1].line.shape == "hv"
    assert fig.layout.xaxis.title.text == "Trial"
    assert fig.layout.yaxis.title.text == "Objective 0"


def test_optimization_history_empty_and_bad_direction():
    fig = check_figure(optimization_history(pd.DataFrame()))
    assert names(fig) == [TRACE_OBJECTIVE, TRACE_BEST] and len(fig.data[0].x) == 0
    with pytest.raises(ValueError, match="direction"):
        optimization_history_data(pd.DataFrame(), direction="max")


def test_parallel_coordinates_data(trials):
    dims = parallel_coordinates_data(trials)
    assert [d["label"] for d in dims] == ["Objective value", "lr (log)", "optimizer", "batch_size"]
    assert dims[0]["values"].tolist() == [0.80, 0.75, 0.90]
    lr = dims[1]
    assert np.allclose(lr["values"], [-4, -3, -1])
    assert lr["tickvals"] == [-4, -3, -2, -1]
    assert lr["ticktext"] == ["0.0001", "0.001", "0.01", "0.1"]
    opt = dims[2]
    assert opt["ticktext"] == ["adam", "adamw", "sgd"]
    assert opt["values"].tolist() == [2, 0, 1]
    assert dims[3]["values"].tolist() == [32, 64, 128] and "tickvals" not in dims[3]


def test_parallel_coordinates_params_and_missing(trials):
    dims = parallel_coordinates_data(trials, ["optimizer", "params_batch_size"])
    assert [d["label"] for d in dims] == ["Objective value", "optimizer", "batch_size"]
    with pytest.raises(KeyError, match="params_momentum"):
        parallel_coordinates_data(trials, ["momentum"])
    # a conditional parameter missing in a trial drops that trial
    t = trials.assign(params_momentum=[0.9, np.nan, 0.9, 0.5, 0.9])
    assert parallel_coordinates_data(t)[0]["values"].tolist() == [0.80, 0.90]


def test_parallel_coordinates_figure(trials):
    fig = check_figure(parallel_coordinates(trials, direction="minimize"))
    (pc,) = fig.data
    assert pc.type == "parcoords"
    assert [d.label for d in pc.dimensions][0] == "Objective value"
    assert pc.line.reversescale is True
    empty = check_figure(parallel_coordinates(trials.iloc[0:0]))
    assert len(empty.data[0].dimensions) == 4


def test_pareto_trials(trials):
    fig = check_figure(pareto_trials(trials, x_title="Saved size (bytes)", y_title="Accuracy"))
    assert names(fig) == [TRACE_PARETO, TRACE_TRIALS, TRACE_PARETO_TRIALS]
    # complete trials: 0 (3e5, .80), 1 (1e5, .75), 3 (2e5, .90); 0 is dominated by 3
    assert fig.data[2].customdata.tolist() == [1, 3]
    assert fig.data[1].customdata.tolist() == [0]
    assert fig.data[0].x.tolist() == [1e5, 2e5]
    assert fig.layout.xaxis.title.text == "Saved size (bytes)"
    assert "lr: 0.0001" in fig.data[1].text[0]


def test_pareto_trials_empty():
    fig = check_figure(pareto_trials(pd.DataFrame()))
    assert names(fig) == [TRACE_PARETO, TRACE_TRIALS, TRACE_PARETO_TRIALS]
    assert fig.layout.xaxis.title.text == "Objective 0"


def test_one_trial_gets_sensible_axes():
    one = pd.DataFrame({"number": [0], "state": ["COMPLETE"], "value": [0.97],
                        "params_lr": [0.01], "params_optimizer": ["adam"]})  # fmt: skip
    fig = check_figure(optimization_history(one, title="Optimization history"))
    lo, hi = fig.layout.yaxis.range
    assert 0.9 < lo < 0.97 < hi <= 1.01  # not 0.47 to 1.47
    assert list(fig.layout.xaxis.range) == [-0.5, 0.5] and fig.layout.xaxis.dtick == 1
    assert fig.layout.title.x == 0.5 and fig.layout.margin.t >= 40
    par = check_figure(parallel_coordinates(one, title="Parallel coordinates"))
    dims = par.data[0].dimensions
    assert dims[0].range[0] < 0.97 < dims[0].range[1] <= 1.01
    assert dims[1].range is not None  # a constant parameter gets room around it
    assert par.layout.margin.t >= 80  # the axis names sit between title and plot
    front = check_figure(pareto_trials(one.assign(values_0=3e4, values_1=0.97),
                                       x="values_0", y="values_1"))  # fmt: skip
    assert front.layout.yaxis.range[1] <= 1.01


def test_many_trials_keep_accuracy_in_the_unit_range(trials):
    fig = optimization_history(trials)
    lo, hi = fig.layout.yaxis.range
    assert 0 <= lo < 0.75 and 0.9 < hi <= 1.01
