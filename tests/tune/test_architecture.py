"""Architecture search: the preset, depth/units building hidden, the Pareto set, bad specs,
and ``optwidgets search --space architecture`` from the command line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import optwidgets as ow
from optwidgets import viz
from optwidgets.cli.main import main
from optwidgets.core.errors import ConfigError
from optwidgets.models import register
from optwidgets.tune import (
    ARCHITECTURE_RANGES,
    architecture_space,
    config_changes,
    parse_space,
    searched_value,
)
from optwidgets.tune.architecture import default_objectives

from .helpers import TINY


def test_preset_follows_the_knobs_each_model_takes():
    assert list(architecture_space(TINY)) == ["depth", "units", "activation", "dropout"]
    assert list(architecture_space(ow.RunConfig(model="cnn"))) == ["width", "dropout"]
    assert list(architecture_space(ow.RunConfig(model="resnet_tiny"))) == ["width", "dropout"]
    assert architecture_space(TINY)["units"] == ARCHITECTURE_RANGES["units"]
    register("arch_any", lambda input_shape, num_classes, **kw: ow.models.MLP(
        input_shape, num_classes, **{k: v for k, v in kw.items() if k != "width"}))
    register("arch_none", lambda input_shape, num_classes: ow.models.MLP(input_shape, num_classes))
    cfg_any = TINY.replace(model="arch_any")
    assert set(architecture_space(cfg_any)) == {"depth", "units", "activation", "width", "dropout"}
    with pytest.raises(ConfigError) as err:
        architecture_space(TINY.replace(model="arch_none"))
    assert err.value.field == "space" and err.value.value == "architecture"
    assert "hidden, activation, width or dropout" in err.value.allowed


def test_depth_and_units_build_hidden():
    base = TINY.replace(hidden=(64, 32))
    assert config_changes({"depth": 3, "units": 16}, base) == {"hidden": (16, 16, 16)}
    assert config_changes({"depth": 1}, base) == {"hidden": (64,)}  # base's first layer
    assert config_changes({"units": 8, "lr": 0.1}, base) == {"lr": 0.1, "hidden": (8, 8)}
    cfg = base.replace(hidden=(24, 24))
    assert (searched_value(cfg, "depth"), searched_value(cfg, "units")) == (2, 24)
    assert searched_value(cfg, "dropout") == cfg.dropout


def test_preset_with_overrides_and_additions():
    params = parse_space(["architecture", "units=int:8:32", "lr=log:1e-3:1e-1"], TINY)
    texts = [p.to_text() for p in params]
    assert texts == ["depth=int:1:3", "units=int:8:32", "activation=choice:relu,tanh,gelu",
                     "dropout=float:0:0.5", "lr=log:0.001:0.1"]  # fmt: skip
    # an explicit hidden replaces the preset's depth and units
    names = [p.name for p in parse_space(["architecture", "hidden=choice:8|16,16"], TINY)]
    assert names == ["activation", "dropout", "hidden"]
    assert [p.name for p in parse_space("architecture", ow.RunConfig())] == ["width", "dropout"]
    assert default_objectives("architecture") == ("val_acc", "size_bytes")
    assert default_objectives(["architecture", "lr=log:1e-3:1e-1"]) == ("val_acc", "size_bytes")
    assert default_objectives({"lr": ("log", 1e-3, 1e-1)}) == ("val_acc",)


@pytest.mark.parametrize(
    ("space", "field", "value", "allowed"),
    [
        ({"depth": ("int", 0, 3)}, "space['depth']", 0, "[1, 16]"),
        ({"depth": ("int", 1, 40)}, "space['depth']", 40, "[1, 16]"),
        ({"units": [16, 0]}, "space['units']", 0, "[1, 65,536]"),
        ({"units": ("float", 8, 64)}, "space['units']", ("float", 8, 64), "'int' or 'log'"),
        ({"units": ("log", 0, 64)}, "space['units']", 0.0, "low > 0"),
        ({"depth": ("int", 3, 1)}, "space['depth']", (3.0, 1.0), "low < high"),
        ({"dropout": ("float", 0, 1)}, "dropout", 1.0, "[0, 1)"),
        ({"width": ("int", 0, 64)}, "width", 0, "[1, 4,096]"),
        (["activation=choice:relu,swish"], "activation", "swish", "'relu'"),
        ({"depth": ("int", 1, 3), "hidden": [(8,)]}, "space", "hidden", "not both"),
        (["architecture", "depth=int:1:2", "depth=int:1:3"], "space", "depth", "each field once"),
        (["architectur"], "space", "architectur", "'architecture'"),
        ({"dept": ("int", 1, 3)}, "space", "dept", "'depth'"),
    ],
)
def test_bad_specs_are_refused_naming_field_value_and_allowed(space, field, value, allowed):
    with pytest.raises(ConfigError) as err:
        parse_space(space, TINY)
    assert err.value.field == field
    assert err.value.value == value
    assert allowed in err.value.allowed


def test_depth_for_a_model_without_hidden_layers_is_refused():
    with pytest.raises(ConfigError) as err:
        parse_space({"depth": ("int", 1, 3)}, ow.RunConfig(model="cnn"))
    assert err.value.field == "space['depth']" and "hidden layers" in err.value.allowed
    assert "width, dropout" in err.value.hint
    # searching the model itself lets some trials use them
    assert len(parse_space({"model": ["mlp", "cnn"], "depth": ("int", 1, 2)})) == 2


def test_preset_samples_the_shape_and_each_run_has_it(store):
    res = ow.search(TINY, space="architecture", method="random", n_trials=4, store=store)
    assert res.objectives == ("val_acc", "size_bytes")  # chosen on validation data
    frame = res.trials_frame()
    assert (frame["state"] == "COMPLETE").all()
    for _, row in frame.iterrows():
        cfg = store.load(row["run_id"]).config
        assert cfg.hidden == (int(row["params_units"]),) * int(row["params_depth"])
        assert cfg.activation == row["params_activation"]
        assert cfg.dropout == pytest.approx(row["params_dropout"])
        assert 1 <= len(cfg.hidden) <= 3 and 16 <= cfg.hidden[0] <= 256
        assert row["values_0"] == pytest.approx(row["val_acc"])
        assert row["values_1"] == row["size_bytes"]
    # the trials differ in shape, so their saved sizes differ
    assert frame["size_bytes"].nunique() == len(frame)
    best = res.best
    assert isinstance(best, list) and best
    for b in best:
        assert b.config.hidden == (b.params["units"],) * b.params["depth"]
        assert b.config.activation == b.params["activation"]


def test_a_stored_architecture_study_reopens_and_resumes(tmp_path):
    storage = str(tmp_path / "arch.log")
    first = ow.search(TINY, space="architecture", method="random", n_trials=2,
                      storage=storage, store=False)  # fmt: skip
    again = ow.tune.load_search(storage)
    assert [p.name for p in again.params] == ["depth", "units", "activation", "dropout"]
    assert again.objectives == ("val_acc", "size_bytes")
    assert [b.config for b in again.best] == [b.config for b in first.best]
    more = ow.search(TINY, space="architecture", method="random", n_trials=1,
                     storage=storage, store=False)  # fmt: skip
    assert more.study_name == first.study_name and len(more.trials_frame()) == 3


def _dominates(a, b) -> bool:
    """a beats b: at least as accurate and as small, strictly better on one."""
    return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])


def test_multi_objective_returns_a_non_dominated_pareto_set(store):
    res = ow.search(TINY, space="architecture", method="random", n_trials=8, seed=3,
                    store=store)  # fmt: skip
    frame = res.trials_frame()
    done = frame[frame["state"] == "COMPLETE"]
    points = {int(r.number): (r.values_0, r.values_1) for r in done.itertuples()}
    front = res.pareto_front()
    on = set(front["number"].astype(int))
    assert on and on <= set(points)
    for n in on:  # nothing beats a front trial
        assert not any(_dominates(points[m], points[n]) for m in points if m != n)
    for n in set(points) - on:  # every other trial is beaten by one on the front
        assert any(_dominates(points[m], points[n]) for m in on)
    # sorted by the objective to minimize (size), as best is
    assert front["values_1"].tolist() == sorted(front["values_1"])
    assert [b.number for b in res.best] == front["number"].tolist()
    # the drawn front is the same set of trials
    fig = viz.pareto_trials(frame, x="values_1", y="values_0", log_x=True, x_unit="B")
    drawn = {tr.name: set(np.asarray(tr.customdata, dtype=int)) for tr in fig.data[1:]}
    assert drawn[viz.TRACE_PARETO_TRIALS] == on
    assert drawn[viz.TRACE_TRIALS] == set(points) - on
    assert fig.layout.xaxis.type == "log" and all("B" in t for t in fig.layout.xaxis.ticktext)


def test_pareto_plot_of_one_trial_has_room_around_it():
    one = {"number": [0], "state": ["COMPLETE"], "values_0": [0.9], "values_1": [12_000.0]}
    fig = viz.pareto_trials(pd.DataFrame(one), x="values_1", y="values_0", log_x=True,
                            x_unit="B")  # fmt: skip
    lo, hi = fig.layout.xaxis.range  # log10 units
    assert lo < np.log10(12_000) < hi and hi - lo < 2
    lin = viz.pareto_trials(pd.DataFrame(one), x="values_1", y="values_0")
    lo, hi = lin.layout.xaxis.range
    assert lo < 12_000 < hi and lin.layout.xaxis.type == "linear"


def test_cli_space_architecture_json(tmp_path, capsys):
    code = main(["search", "--dataset", "xor", "--model", "mlp", "--epochs", "1",
                 "--n-samples", "400", "--space", "architecture", "--n-trials", "3",
                 "--method", "random", "--store", str(tmp_path), "--json"])  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    d = json.loads(out.out)
    assert d["objectives"] == ["val_acc", "size_bytes"] and len(d["trials"]) == 3
    assert d["directions"] == ["maximize", "minimize"]
    for t in d["trials"]:
        assert t["state"] == "COMPLETE"
        assert {"params_depth", "params_units", "params_activation", "params_dropout"} <= set(t)
    for b in d["best"]:
        assert b["config"]["hidden"] == [b["params"]["units"]] * b["params"]["depth"]
    assert "depth=" in out.err  # progress on stderr


def test_cli_refuses_a_bad_architecture_range(capsys):
    code = main(["search", "--model", "mlp", "--dataset", "xor", "--space", "architecture",
                 "--space", "depth=int:0:2", "--n-trials", "1", "--no-store", "--json"])
    assert code == 2  # a user's mistake, refused before any trial runs
    err = json.loads(capsys.readouterr().out)
    assert err["field"] == "space['depth']" and err["value"] == 0
    assert "a whole number in [1, 16]" in err["error"]
