"""sweep_knob: one run per value of one field, in order, stored as they finish, stoppable."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import optwidgets as ow
from optwidgets.core.errors import ConfigError
from optwidgets.tune.sweep import (
    SWEEPABLE,
    default_values,
    parse_values,
    sweep_configs,
    sweep_curve,
    sweep_knob,
)


def tiny(**changes) -> ow.RunConfig:
    base = dict(
        dataset="xor",
        model="mlp",
        hidden=(8,),
        n_samples=200,
        epochs=1,
        batch_size=32,
        device="cpu",
    )
    base.update(changes)
    return ow.RunConfig(**base)


def test_runs_each_value_in_order_and_stores_each_run(tmp_path):
    store = ow.RunStore(tmp_path)
    seen = []
    cfg = tiny(prune_method="neuron")
    runs = sweep_knob(
        cfg,
        "prune_ratio",
        [0.0, 0.25, 0.5],
        store=store,
        on_result=lambda r: seen.append((r.run_id, len(store))),
    )
    assert [r.config.prune_ratio for r in runs] == [0.0, 0.25, 0.5]
    assert [r.status for r in runs] == ["done"] * 3
    assert [r.technique for r in runs] == ["baseline", "prune-neuron", "prune-neuron"]
    # each run is in the store by the time on_result sees it
    assert [n for _, n in seen] == [1, 2, 3] and [i for i, _ in seen] == [r.run_id for r in runs]
    assert cfg.prune_ratio == 0.0  # the caller's config is not changed
    params = [r.params for r in runs]
    assert params[0] > params[1] > params[2]  # neurons really removed
    frame = store.to_frame()
    assert sorted(frame["prune_ratio"]) == [0.0, 0.25, 0.5]


def test_other_settings_and_seed_are_kept():
    cfg = tiny(quant_mode="simulated", seed=3, hidden=(64, 64))
    runs = sweep_knob(cfg, "quant_bits", [2, 16], store=False)
    assert [r.config.seed for r in runs] == [3, 3]
    assert [r.config.quant_bits for r in runs] == [2, 16]
    assert [r.config.hidden for r in runs] == [(64, 64)] * 2
    # the size is the saved artefact's: the bit-packed file, smaller at 2 bits
    assert [r.size_encoding for r in runs] == ["packed-2bit", "packed-16bit"]
    assert runs[0].size_bytes < runs[1].size_bytes < runs[0].dense_bytes == runs[1].dense_bytes


def test_default_series():
    assert default_values("prune_ratio")[0] == 0.0 and default_values("prune_ratio")[-1] == 0.9
    assert default_values("quant_bits")[0] == 2 and default_values("quant_bits")[-1] == 16
    assert all(0 < v < 1 for v in default_values("lowrank_rank"))
    with pytest.raises(ConfigError, match="sweep knob"):
        default_values("lr_typo")
    for field, values in SWEEPABLE.items():  # every default series is valid for its field
        cfg = tiny(prune_method="weight", quant_mode="simulated", distill_student="mlp_small")
        assert len(sweep_configs(cfg, field, values)) == len(values)


def test_values_are_validated_before_anything_runs(tmp_path):
    store = ow.RunStore(tmp_path)
    with pytest.raises(ConfigError) as err:
        sweep_knob(tiny(prune_method="weight"), "prune_ratio", [0.1, 1.0], store=store)
    assert err.value.field == "prune_ratio" and "1.0" in str(err.value)
    with pytest.raises(ConfigError, match="quant_bits"):
        sweep_knob(tiny(quant_mode="simulated"), "quant_bits", [4, 17], store=store)
    with pytest.raises(ConfigError, match="values"):
        sweep_knob(tiny(), "lowrank_rank", [], store=store)
    with pytest.raises(ConfigError, match="sweep field"):
        sweep_knob(tiny(), "prune_ration", [0.1], store=store)
    assert len(store) == 0  # nothing half-started


def test_a_knob_whose_technique_is_off_is_refused():
    with pytest.raises(ConfigError) as err:
        sweep_configs(tiny(), "prune_ratio", [0.1, 0.5])
    assert err.value.field == "prune_method" and "'weight'" in str(err.value)
    with pytest.raises(ConfigError) as err:
        sweep_configs(tiny(quant_mode="int8"), "quant_bits", [4, 8])
    assert err.value.field == "quant_mode" and "simulated" in str(err.value)
    assert len(sweep_configs(tiny(), "lowrank_rank", [0.5])) == 1  # needs nothing else
    # the rule is the config's own: the error says what the knob needs
    with pytest.raises(ConfigError) as err:
        sweep_configs(tiny(), "finetune_epochs", [1, 2])
    assert err.value.field == "lowrank_rank"
    assert tiny().inactive_reason("finetune_epochs") in str(err.value)
    with pytest.raises(ConfigError) as err:
        sweep_configs(tiny(optimizer="adam"), "momentum", [0.5, 0.9])
    assert err.value.field == "optimizer"


def test_a_setting_only_some_values_switch_off_goes_back_to_its_default():
    # agp steps apply once pruning is on: not in the ratio-0 run, which still runs
    cfg = tiny(prune_method="weight", prune_schedule="agp", prune_steps=3, finetune_epochs=1)
    cfgs = sweep_configs(cfg, "prune_ratio", [0.0, 0.5])
    assert [(c.prune_steps, c.prune_schedule, c.finetune_epochs) for c in cfgs] == [
        (1, "oneshot", 0),
        (3, "agp", 1),
    ]
    runs = sweep_knob(cfg, "prune_ratio", [0.0, 0.5], store=False)
    assert [r.status for r in runs] == ["done", "done"]
    # a setting no run of the sweep uses is refused, as ow.run refuses it
    with pytest.raises(ConfigError) as err:
        sweep_configs(tiny(qat_epochs=2), "lr", [0.01, 0.1])
    assert err.value.field == "qat_epochs" and "no run of this sweep" in str(err.value)


def test_parse_values():
    assert parse_values("0, 0.1 0.5;0.9") == [0.0, 0.1, 0.5, 0.9]
    assert parse_values("2,4,16") == [2, 4, 16]
    assert all(isinstance(v, int) for v in parse_values("2 3"))
    with pytest.raises(ConfigError, match="values"):
        parse_values("0.1, half")


def test_a_set_cancel_starts_nothing():
    cancel = threading.Event()
    cancel.set()
    assert sweep_knob(tiny(), "lowrank_rank", [0.25, 0.5], store=False, cancel=cancel) == []


def test_stop_mid_sweep_keeps_the_stopped_run_and_starts_no_other(tmp_path):
    store = ow.RunStore(tmp_path)
    cancel = threading.Event()

    class StopAfterSomeBatches(ow.Callback):
        def on_batch_end(self, run, loss):
            if run.step >= 3:
                cancel.set()

    runs = sweep_knob(
        tiny(epochs=50, prune_method="weight"),
        "prune_ratio",
        [0.0, 0.3, 0.6],
        callbacks=[StopAfterSomeBatches()],
        store=store,
        cancel=cancel,
    )
    assert [r.status for r in runs] == ["stopped"]
    assert len(store) == 1 and store.to_frame()["status"].tolist() == ["stopped"]


def test_sweep_curve_orders_by_knob_and_drops_unmeasured_runs():
    runs = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d", "other"],
            "quant_bits": [8, 2, 4, 6, 3],
            "size_bytes": [800, 200, 400, np.nan, 300],
            "test_acc": [0.9, 0.5, 0.8, 0.85, 0.1],
        }
    )
    pts = sweep_curve(runs, "quant_bits", ["a", "b", "c", "d"], x="size_bytes", y="test_acc")
    assert pts["run_id"].tolist() == ["b", "c", "a"]  # d failed (no size); other not in it
    assert pts["quant_bits"].tolist() == [2, 4, 8]
    assert list(pts.columns) == ["run_id", "quant_bits", "size_bytes", "test_acc"]
    empty = sweep_curve(pd.DataFrame(), "quant_bits", ["a"], x="size_bytes", y="test_acc")
    assert empty.empty and "quant_bits" in empty.columns


def test_sweep_is_engine_code_without_ui_imports():
    code = (
        "import sys, optwidgets.tune.sweep;"
        "bad = [m for m in ('ipywidgets', 'plotly', 'anywidget') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
