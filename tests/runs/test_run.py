"""ow.run end to end: statuses, events, measurements, seeding, persistence."""

import subprocess
import sys
import threading

import pytest

import optwidgets as ow
from optwidgets.core.errors import ConfigError


class Recorder(ow.Callback):
    def __init__(self):
        self.events = []

    def on_run_start(self, run):
        self.events.append("run_start")

    def on_phase(self, run, phase):
        self.events.append(f"phase:{phase}")

    def on_batch_end(self, run, loss):
        if not self.events or self.events[-1] != "batch_end":
            self.events.append("batch_end")

    def on_epoch_end(self, run, logs):
        self.events.append("epoch_end")

    def on_run_end(self, run, result):
        self.events.append(f"run_end:{result.status}")


def test_run_reports_measured_results_and_events(tmp_path):
    rec = Recorder()
    res = ow.run(ow.RunConfig(dataset="digits", model="mlp", epochs=2), callbacks=[rec],
                 store=tmp_path)
    assert res.status == "done"
    assert set(res.metrics) >= {"test_acc", "precision", "recall", "f1", "train_loss", "val_loss"}
    assert res.metrics["test_acc"] > 0.85
    assert res.size_bytes > 4 * res.params  # fp32 weights plus the pickle's framing
    assert res.params == sum(p.numel() for p in res.model.parameters())
    assert 0 < res.nonzero_params <= res.params
    assert res.latency_ms > 0 and res.latency_ms_b256 > 0 and res.train_seconds > 0
    assert rec.events == ["run_start", "phase:train", "batch_end", "epoch_end", "batch_end",
                          "epoch_end", "phase:measure", "run_end:done"]
    assert list(res.history.columns) == ["step", "epoch", "phase", "split", "metric", "value"]
    assert len(res.confusion) == 10 and sum(map(sum, res.confusion)) == 360


def test_same_config_same_result():
    cfg = ow.RunConfig(dataset="digits", model="cnn", epochs=2, width=8)
    a, b = ow.run(cfg, store=False), ow.run(cfg, store=False)
    assert a.metrics == b.metrics
    assert a.history["value"].tolist() == b.history["value"].tolist()


def test_to_dict_rebuilds_the_config():
    cfg = ow.RunConfig(dataset="moons", model="mlp", hidden=(8, 8), epochs=1,
                       augment={"noise": 0.1})
    res = ow.run(cfg, store=False)
    import json

    d = json.loads(json.dumps(res.to_dict()))
    assert ow.RunConfig.from_dict(d["config"]) == cfg
    assert ow.RunResult.from_dict(d).metrics == pytest.approx(res.metrics)


def test_stop_keeps_what_was_measured(tmp_path):
    cancel = threading.Event()

    class StopSoon(ow.Callback):
        def on_batch_end(self, run, loss):
            if run.step == 3:
                cancel.set()

    res = ow.run(ow.RunConfig(dataset="digits", model="mlp", epochs=50), cancel=cancel,
                 callbacks=[StopSoon()], store=tmp_path)
    assert res.status == "stopped"
    assert res.metrics["test_acc"] is not None and res.size_bytes > 0
    assert ow.RunStore(tmp_path).to_frame()["status"].tolist() == ["stopped"]


def test_stop_from_a_callback_by_exception():
    class Raise(ow.Callback):
        def on_epoch_end(self, run, logs):
            raise ow.StopRun()

    res = ow.run(ow.RunConfig(dataset="xor", model="mlp", epochs=9), callbacks=[Raise()],
                 store=False)
    assert res.status == "stopped" and res.history["epoch"].max() == 1


def test_divergence_is_a_status_not_a_traceback(tmp_path):
    from tests.train.test_trainer import TurnsNaN

    res = ow.run(ow.RunConfig(dataset="digits", model="mlp", epochs=5), model=TurnsNaN(),
                 store=tmp_path)
    assert res.status == "diverged" and "loss became" in res.error
    row = ow.RunStore(tmp_path).to_frame().iloc[0]
    assert row["status"] == "diverged"


def test_an_error_inside_a_run_fails_it_and_is_stored(tmp_path):
    class Boom(ow.Callback):
        def on_epoch_end(self, run, logs):
            raise RuntimeError("boom in a callback")

    res = ow.run(ow.RunConfig(dataset="xor", model="mlp", epochs=2), callbacks=[Boom()],
                 store=tmp_path)
    assert res.status == "failed" and "boom in a callback" in res.error
    assert ow.RunStore(tmp_path).load(res.run_id).status == "failed"


def test_cuda_without_cuda_is_refused_before_starting(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="device='cuda'") as err:
        ow.run(ow.RunConfig(model="mlp", device="cuda"), store=tmp_path)
    assert err.value.field == "device"
    assert len(ow.RunStore(tmp_path)) == 0  # nothing half-started


def test_fp16_amp_on_cpu_is_refused():
    with pytest.raises(ConfigError, match="amp='fp16'"):
        ow.run(ow.RunConfig(model="mlp", amp="fp16", device="cpu"), store=False)


def test_bring_your_own_module():
    from torch import nn

    net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    res = ow.run(ow.RunConfig(dataset="moons", model="mlp", epochs=3), model=net, store=False)
    assert res.status == "done" and res.params == 2 * 16 + 16 + 16 * 2 + 2


def test_default_cli_config_trains_digits_cnn_to_097():
    res = ow.run(ow.RunConfig(), store=False)
    assert res.status == "done"
    assert res.metrics["test_acc"] >= 0.97


def test_engine_does_not_import_ui_libraries():
    code = ("import sys, optwidgets, optwidgets.runs, optwidgets.runs, "
            "optwidgets.cli, optwidgets.compress, optwidgets.data, optwidgets.models, "
            "optwidgets.export, optwidgets.runs.analysis, optwidgets.tune, optwidgets.runs.transfer, "
            "optwidgets.tune.sweep, optwidgets.runs.preview;"
            "bad = [m for m in ('ipywidgets', 'plotly', 'anywidget') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_compression_the_model_cannot_take_is_refused_before_training(tmp_path):
    rec = Recorder()
    with pytest.raises(ConfigError) as err:
        ow.run(ow.RunConfig(dataset="digits", model="mlp", hidden=(4,), prune_method="neuron",
                            prune_ratio=0.9), callbacks=[rec], store=tmp_path)
    assert err.value.field == "prune_ratio"
    assert rec.events == [] and len(ow.RunStore(tmp_path)) == 0


def test_keyword_overrides_and_a_model_name():
    res = ow.run(dataset="xor", model="mlp", hidden=(8,), epochs=1, store=False)
    assert res.status == "done" and res.config.model == "mlp" and res.config.hidden == (8,)


def test_store_argument_forms(tmp_path):
    from optwidgets.runs import as_store

    assert as_store(False) is None
    assert as_store(tmp_path).path == tmp_path
    assert as_store(True).path == as_store(None).path
    with pytest.raises(ConfigError, match="store=3"):
        as_store(3)
