"""A model of your own: stored under its own class, rebuilt from its record, or refused with
a message saying what to pass."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import optwidgets as ow
from optwidgets.core.errors import ConfigError


class TwoLayer(nn.Module):
    """Keeps its constructor arguments as attributes, so the store can rebuild it."""

    def __init__(self, n_in: int = 64, n_hidden: int = 32, n_out: int = 10) -> None:
        super().__init__()
        self.n_in, self.n_hidden, self.n_out = n_in, n_hidden, n_out
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(n_in, n_hidden), nn.ReLU(),
                                  nn.Linear(n_hidden, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


CFG = ow.RunConfig(dataset="digits", model="mlp", epochs=2, device="cpu")


def _same_predictions(a: nn.Module, b: nn.Module, cfg: ow.RunConfig) -> bool:
    x = ow.runs.prepare_data(cfg).X_test
    with torch.inference_mode():
        return torch.equal(a.eval()(x).argmax(1), b.eval()(x).argmax(1))


@pytest.mark.parametrize("settings", [
    {},
    {"prune_method": "weight", "prune_ratio": 0.6},
    {"quant_mode": "simulated", "quant_bits": 4},
], ids=["dense", "weight-pruned", "4-bit"])
def test_your_model_is_stored_as_itself_and_rebuilt_from_its_record(tmp_path, settings):
    store = ow.RunStore(tmp_path)
    cfg = CFG.replace(**settings)
    res = ow.run(cfg, model=TwoLayer(n_hidden=24), store=store)
    assert res.status == "done" and res.custom_model
    assert res.model_class == f"{__name__}.TwoLayer"
    assert res.model_args == {"n_in": 64, "n_hidden": 24, "n_out": 10}
    row = store.to_frame().iloc[0]
    assert row["model"] == "TwoLayer"  # not the config's default zoo name
    loaded = store.load_model(res.run_id)
    assert type(loaded) is TwoLayer and loaded.n_hidden == 24
    assert _same_predictions(loaded, res.model, cfg)


def test_a_model_that_cannot_be_rebuilt_is_refused_with_what_to_pass(tmp_path):
    class Local(nn.Module):  # defined in a function: not importable by its path
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))

        def forward(self, x):
            return self.net(x)

    store = ow.RunStore(tmp_path)
    res = ow.run(CFG, model=Local(), store=store)
    with pytest.raises(ConfigError) as err:
        store.load_model(res.run_id)
    assert err.value.field == "model" and "Local" in str(err.value)
    assert f"store.load_model({res.run_id!r}, model=" in str(err.value)
    loaded = store.load_model(res.run_id, model=Local())  # given an instance, it loads
    assert _same_predictions(loaded, res.model, CFG)


def test_a_stored_run_loads_without_its_dataset(tmp_path, monkeypatch):
    store = ow.RunStore(tmp_path)
    res = ow.run(CFG, store=store)
    import optwidgets.runs.prepare as prepare

    monkeypatch.setattr(prepare, "load_dataset_for", lambda *a, **k: pytest.fail("data loaded"))
    assert store.load_model(res.run_id) is not None
    monkeypatch.undo()
    # the test itself can tell: the same patch does catch a load that needs the data
    monkeypatch.setattr(prepare, "load_dataset_for", lambda *a, **k: pytest.fail("data loaded"))
    with pytest.raises(pytest.fail.Exception):
        ow.runs.build_model_for(CFG)


def test_a_store_file_from_before_still_loads(tmp_path):
    import json

    store = ow.RunStore(tmp_path)
    res = ow.run(CFG, store=store)
    p = store.runs_dir / f"{res.run_id}.json"
    d = json.loads(p.read_text())
    for key in ("input_shape", "num_classes", "model_class", "model_args", "custom_model",
                "size_encoding", "dense_bytes", "latency_iqr_ms", "latency_iqr_ms_b256"):
        d.pop(key)
    p.write_text(json.dumps(d))
    store.artefact_path(res.run_id).unlink()  # stores from before kept trained weights only
    old = ow.RunStore(tmp_path)
    assert old.load(res.run_id).metrics == res.metrics
    assert len(old.to_frame()) == 1
    assert _same_predictions(old.load_model(res.run_id), res.model, CFG)


def test_a_run_on_your_own_data_is_named_so_and_other_processes_read_it(tmp_path):
    import subprocess
    import sys

    import numpy as np

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 3)), rng.integers(0, 2, 120)
    store = ow.RunStore(tmp_path)
    res = ow.run(ow.RunConfig(model="mlp", hidden=(4,), epochs=1), data=(X, y), store=store)
    assert res.config.dataset == "arrays"  # not the default "digits" it never saw
    code = (f"import optwidgets as ow; s = ow.RunStore({str(tmp_path)!r}); "
            f"f = s.to_frame(); print(len(f), f.loc[0, 'dataset'], s.problems, "
            f"s.load({res.run_id!r}).config.dataset)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "arrays", "[]", "arrays"]
